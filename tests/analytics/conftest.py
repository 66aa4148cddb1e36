"""Registry fixtures: an injection given, so a treated joint exists to measure."""

from tests.adverse_events.conftest import (  # noqa: F401
    NOW,
    administration,
    fixed_clock,
    freezer,
    inject,
    make_lot,
    manager,
    nurse,
    other_patient,
    released,
    resources,
    start_course,
    tech,
)
