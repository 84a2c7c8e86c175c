"""Portal rights: permission groups, and which mails a customer wants."""
