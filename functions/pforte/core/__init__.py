"""What every area builds on: errors, fields, clock, identity, pagination, settings, observability."""
