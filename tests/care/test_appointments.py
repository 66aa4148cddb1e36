"""Marking a course's appointment done: one care action with its guard, whoever closes it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from autologic.audit.models import AuditEvent
from autologic.care import actions
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, ValidationFailed

SOURCE = Path(__file__).resolve().parents[2] / "src" / "autologic"
# Setting a status to "done" (not comparing or filtering): x.status = "done", or
# .update(status="done").
DONE = re.compile(r"\.status\s*=(?!=)\s*\"done\"|\.update\([^)]*\bstatus\s*=\s*\"done\"")


def test_appointment_done_is_one_care_action_no_app_writes_the_status_itself():
    # The lab (collection), the bedside (session) and outcomes (questionnaires) each wrote
    # status = "done" with their own rules; now they all call care.actions.complete_appointment.
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("*.py")
        if path.relative_to(SOURCE).as_posix() != "care/actions.py"
        and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if DONE.search(line)
    ]
    assert offenders == []


def scheduled(start_course, physician) -> Course:
    course = start_course()
    assert actions.schedule_course(course=course, by=physician, expected_version=course.version).ok
    course.refresh_from_db()
    return course


@pytest.mark.django_db
def test_appointment_done_guard_refuses_closed_appointments_and_future_times(
    start_course, physician, resources, fixed_clock
):
    course = scheduled(start_course, physician)
    draw = course.appointments.get(key="collection")
    fixed_clock.current = draw.starts_at + timedelta(minutes=10)
    with pytest.raises(ValidationFailed) as early:
        actions.complete_appointment(
            draw, at=fixed_clock.now() + timedelta(hours=1), by=physician, now=fixed_clock.now()
        )
    assert early.value.code == "done_in_future"
    moved = actions.complete_appointment(
        draw, at=draw.starts_at, by=physician, now=fixed_clock.now()
    )
    draw.refresh_from_db()
    assert draw.status == "done" and moved is False and draw.history == []
    assert draw.done_at == draw.starts_at  # kept on the appointment, as the audit event says
    event = AuditEvent.objects.get(action="appointment.done")
    assert event.changes["done_at"] == draw.done_at.isoformat()
    with pytest.raises(ConflictError) as twice:
        actions.complete_appointment(draw, at=draw.starts_at, by=physician, now=fixed_clock.now())
    assert twice.value.code == "appointment_closed"
    Course.objects.filter(pk=course.pk).update(status="cancelled")
    with pytest.raises(ConflictError) as cancelled:
        actions.complete_appointment(
            course.appointments.get(key="inj1"),
            at=fixed_clock.now(),
            by=physician,
            now=fixed_clock.now(),
        )
    assert cancelled.value.code == "course_cancelled"


@pytest.mark.django_db
def test_appointment_done_on_another_day_keeps_the_planned_time_in_its_history(
    start_course, physician, resources, fixed_clock
):
    course = scheduled(start_course, physician)
    session = course.appointments.get(key="inj2")
    planned, length = session.starts_at, session.ends_at - session.starts_at
    at = planned - timedelta(days=2)
    fixed_clock.current = at + timedelta(minutes=30)
    assert actions.complete_appointment(session, at=at, by=physician, now=fixed_clock.now())
    session.refresh_from_db()
    assert session.status == "done"
    assert (session.starts_at, session.ends_at) == (at, at + length)
    assert session.history[-1]["status"] == "moved"
    assert session.history[-1]["start"] == planned.isoformat()
    event = AuditEvent.objects.get(action="appointment.done")
    assert event.changes["planned"] == planned.isoformat()
