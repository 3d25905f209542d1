"""Article revision diffing service."""
