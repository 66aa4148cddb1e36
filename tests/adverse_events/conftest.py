"""Adverse-event fixtures: an injection given to the patient, staff with e-mail addresses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from autologic.adverse_events import actions as ae
from autologic.injections import actions as bedside
from autologic.injections.models import Administration
from autologic.lab.models import Collection
from tests.conftest import band
from tests.injections.conftest import (  # noqa: F401
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
    resources,
    sessions,
    start_course,
    tech,
)


@pytest.fixture
def inject(released, physician, nurse, fixed_clock) -> Callable[..., Administration]:
    """Give the first session's unit of a new lot; the physician operates unless told."""

    def make(who=None, *, operator=None, verifier=None) -> Administration:
        fixed_clock.current = NOW  # a course cannot start in the past
        lot = released(who=who) if who is not None else released()
        operator = operator or physician
        verifier = verifier or (nurse if operator != nurse else physician)
        return give_first(lot, nurse, fixed_clock, operator=operator, verifier=verifier)

    return make


def give_first(lot: Collection, nurse, fixed_clock, *, operator, verifier) -> Administration:
    """The nurse readies the lot's first session's unit; ``operator`` gives it, ``verifier``
    checks."""
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    return bedside.administer(
        first,
        given(unit, band(lot.patient)),
        operator=proof(operator),
        verifier=proof(verifier),
        now=fixed_clock.now(),
    )


@pytest.fixture
def administration(inject) -> Administration:
    return inject()


def with_email(user, address: str):
    """Give a staff member an e-mail address (staff are created without one)."""
    user.email = address
    user.save(update_fields=["email"])
    return user


def judged(**overrides: Any) -> ae.FollowUp:
    """A valid non-serious judgement: a mild, recovering event, possibly procedure-related."""
    values: dict[str, Any] = {
        "grade": 1,
        "serious": False,
        "criteria": (),
        "related_product": "unlikely",
        "related_procedure": "possible",
        "outcome": "recovering",
        "action_taken": "Ice and rest.",
        "resolved_on": None,
        "note": "",
    }
    values.update(overrides)
    return ae.FollowUp(**values)


def report(term: str = "arthralgia", *, onset, **overrides: Any) -> ae.Report:
    """A report of an event with onset ``onset``; judgement fields go to ``judged``."""
    links = {k: overrides.pop(k) for k in list(overrides) if k in REPORT_FIELDS}
    return ae.Report(
        term=term,
        onset_at=onset,
        description=links.pop("description", "Knee pain the evening after the injection."),
        judged=judged(**overrides),
        **links,
    )


REPORT_FIELDS = {"description", "term_other", "soc", "administration_id", "unit_id"}

SERIOUS = {"grade": 3, "serious": True, "criteria": ("hospitalisation",)}


@pytest.fixture
def after(fixed_clock):
    """Move the clock to a day after the injection; return the onset (2 h after it)."""

    def move(administration: Administration):
        fixed_clock.current = administration.given_at + timedelta(days=1)
        return administration.given_at + timedelta(hours=2)

    return move
