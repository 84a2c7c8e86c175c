"""Activities on an account: notes and hints, each with an optional file."""
