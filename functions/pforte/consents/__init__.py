"""Consents per channel, with double opt-in for email."""
