"""Use cases: take a session and plain values, call the engine, write rows; never commit."""
