"""Custom data: the fields a tenant defines for its contacts, and the rules their values follow."""
