"""Accounts fixtures: the fixed clock, for the actions that take the time."""

from tests.care.conftest import fixed_clock  # noqa: F401
