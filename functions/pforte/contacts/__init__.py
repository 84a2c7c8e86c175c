"""Contacts: the contact list, status changes, the CSV import and the delete cascade."""
