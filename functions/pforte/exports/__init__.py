"""Exports: the backup ZIP of a customer and the CSV export of the accounts."""
