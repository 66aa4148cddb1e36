"""Clinical fixtures: the care fixtures (fixed clock, courses prepared for collection)."""

from __future__ import annotations

from tests.care.conftest import NOW, fixed_clock, resources, start_course  # noqa: F401
