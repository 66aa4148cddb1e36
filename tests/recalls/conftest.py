"""Recall fixtures: released lots reserved for their courses, an injection given, staff with
e-mail addresses, and a failing result recorded after release."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autologic.lab.actions.release import record_result
from autologic.lab.models import Collection, QCResult
from tests.adverse_events.conftest import give_first, inject, with_email  # noqa: F401
from tests.injections.conftest import (  # noqa: F401
    LATER,
    NOW,
    fixed_clock,
    freezer,
    given,
    knee,
    make_lot,
    manager,
    nurse,
    other_patient,
    pass_qc,
    proof,
    ready,
    released,
    reserved_unit,
    resources,
    sessions,
    start_course,
    tech,
)


@pytest.fixture
def mailed(physician, manager, nurse, tech):
    """The physician and the manager have e-mail addresses (staff are created without)."""
    with_email(physician, "physician@clinic.test")
    with_email(manager, "manager@clinic.test")
    return physician, manager


def fail_after_release(lot: Collection, *, by, now, attribute: str = "sterility") -> QCResult:
    """Record a failing result on a released lot through the lab's own action (a 7-day culture
    read after release): it holds the lot and opens the look-back in its transaction."""
    return record_result(
        lot,
        attribute=attribute,
        value="growth",
        reason="7-day BacT/ALERT read after release",
        by=by,
        now=now,
    )


@pytest.fixture
def given_first(released, physician, nurse, fixed_clock) -> Callable[..., Collection]:
    """A released lot whose first session's unit was given; the rest are reserved."""

    def make(**kwargs) -> Collection:
        lot = released(**kwargs)
        give_first(lot, nurse, fixed_clock, operator=physician, verifier=nurse)
        return lot

    return make
