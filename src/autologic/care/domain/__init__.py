"""Pure rules for treatment courses: expansion of a protocol into events, and scheduling."""
