"""Tenants: the tenant profile and its settings."""
