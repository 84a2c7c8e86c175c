"""SEPA bank accounts (direct debit mandates) of a contact."""
