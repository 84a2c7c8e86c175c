"""Billing and delivery addresses of a contact."""
