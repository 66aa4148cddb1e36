"""Outcome fixtures: a scheduled knee-and-hip ACS course with its follow-up timepoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from autologic.care import actions as care
from autologic.care.models import Appointment, Course
from autologic.outcomes import actions
from autologic.outcomes.models import Response
from tests.care.conftest import NOW, fixed_clock, knee, resources, start_course  # noqa: F401


def hip(side: str = "right") -> dict[str, Any]:
    return knee(side=side) | {"region": "hip"}


@pytest.fixture
def course(start_course, resources, physician, fixed_clock) -> Course:
    """An ACS course for a left knee and a right hip, scheduled with its follow-ups."""
    made = start_course("acs-large-joint", regions=[knee(), hip()])
    assert care.schedule_course(course=made, by=physician, expected_version=made.version).ok
    return made


def follow_up(course: Course, key: str) -> Appointment:
    return Appointment.objects.get(course=course, key=f"fu-{key}")


def region(course: Course, name: str):
    return course.regions.get(region=name)


@pytest.fixture
def submit(patient, nurse_user, fixed_clock) -> Callable[..., Response]:
    """Submit one questionnaire for the course's patient (staff-entered from paper)."""

    def go(
        course: Course,
        key: str,
        region_name: str,
        instrument: str,
        answers: dict[str, int | None],
        *,
        on: date | None = None,
        by=None,
    ) -> Response:
        appointment = follow_up(course, key)
        on = on or appointment.due_on
        assert on is not None
        noon = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
        if fixed_clock.now() < noon:
            fixed_clock.current = noon  # the form is filled in on the day it carries
        entry = actions.Entry(
            instrument=instrument,
            answers=answers,
            completed_on=on,
            language="en",
            mode="paper",
            region=region(course, region_name),
            appointment=appointment,
        )
        return actions.submit_response(
            patient, entry, by=by or nurse_user, staff_entered=True, now=fixed_clock.now()
        )

    return go


@pytest.fixture
def nurse_user(make_staff):
    return make_staff("nurse")


def koos(value: int) -> dict[str, int | None]:
    """A complete KOOS with every item at one value."""
    layout = {"P": 9, "S": 7, "A": 17, "SP": 5, "Q": 4}
    return {f"{p}{n}": value for p, c in layout.items() for n in range(1, c + 1)}


def hoos(value: int) -> dict[str, int | None]:
    layout = {"S": 5, "P": 10, "A": 17, "SP": 4, "Q": 4}
    return {f"{p}{n}": value for p, c in layout.items() for n in range(1, c + 1)}


def answer_everything(submit: Callable[..., Response], course: Course, key: str) -> None:
    """Submit every questionnaire owed at one timepoint of a knee-and-hip course."""
    for name, form, answers in (
        ("knee", "NRS", {"PAIN": 5}),
        ("knee", "PGA", {"GLOBAL": 40}),
        ("knee", "KOOS", koos(2)),
        ("hip", "NRS", {"PAIN": 5}),
        ("hip", "PGA", {"GLOBAL": 40}),
        ("hip", "HOOS", hoos(2)),
    ):
        submit(course, key, name, form, answers)
