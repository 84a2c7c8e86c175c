"""The HTTP edge: the resolver, the one mapping of errors to HTTP, events, the caller."""
