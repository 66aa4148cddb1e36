"""Therapy protocols as versioned data: the schema, its validation, and derived quantities."""
