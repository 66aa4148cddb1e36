"""Closing a day with appointments booked on it: they are re-planned with the rest of their
course, or the course needs attention and the calendar lists them for a person."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.care import actions, queries
from autologic.care.models import Course
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def day_of(moment: datetime):
    return moment.astimezone(BERLIN).date()


def scheduled(start_course, physician, code: str = "acs-large-joint") -> Course:
    course = start_course(code)
    assert actions.schedule_course(course=course, by=physician, expected_version=course.version).ok
    course.refresh_from_db()
    return course


def starts(course: Course) -> dict[str, datetime]:
    return {a.key: a.starts_at for a in course.appointments.all() if a.starts_at}


def test_closing_day_replans_the_appointments_booked_on_it(
    start_course, physician, resources, site, fixed_clock
):
    course = scheduled(start_course, physician)
    before = starts(course)
    closed = day_of(before["inj2"])
    closing = actions.add_closed_day(site=site, day=closed, reason="Staff training", by=physician)
    assert [c.pk for c in closing.replanned] == [course.pk] and closing.attention == ()
    after = starts(course)
    assert day_of(after["inj2"]) != closed
    assert all(day_of(after[k]) != closed for k in after if k.startswith("inj"))
    # Still inside the protocol's windows; what came before the closed day did not move.
    assert after["inj1"] == before["inj1"] and after["collection"] == before["collection"]
    for k in range(2, 7):
        gap = (day_of(after[f"inj{k}"]) - day_of(after[f"inj{k - 1}"])).days
        assert 3 <= gap <= 7
    moved = course.appointments.get(key="inj2")
    assert moved.status == "planned"
    assert moved.history[-1]["status"] == "closed"
    assert moved.history[-1]["reason"] == "Staff training"
    course.refresh_from_db()
    assert course.status == "scheduled"
    replan = AuditEvent.objects.get(action="course.replan")
    assert replan.changes["closed_day"] == closed.isoformat() and "inj2" in replan.changes["moved"]
    assert AuditEvent.objects.get(action="closed_day.create").changes["appointments"] == 1
    assert queries.stranded(site, closed, 1) == {}
    assert audit.verify().ok


def test_closing_day_that_cannot_be_replanned_needs_attention_and_is_listed(
    start_course, physician, resources, site, fixed_clock, make_staff
):
    # Cultured cells are injected 19-23 days after the harvest: close those days one by one.
    course = scheduled(start_course, physician, "bm-msc-knee")
    for _attempt in range(6):
        closed = day_of(starts(course)["inj1"])
        closing = actions.add_closed_day(site=site, day=closed, reason="Inspection", by=physician)
        if closing.attention:
            break
        assert [c.pk for c in closing.replanned] == [course.pk]
    assert [c.pk for c in closing.attention] == [course.pk]
    course.refresh_from_db()
    assert course.status == "attention"
    assert course.problem["message"].startswith(f"The clinic is closed on {closed.isoformat()}")
    assert course.problem["step"] == "inj1"
    injection = course.appointments.get(key="inj1")
    assert injection.status == "planned" and day_of(injection.starts_at) == closed
    assert AuditEvent.objects.filter(action="course.replan_failed").count() == 1
    # Listed for a person: on the calendar of that day and week, and under "Needs attention".
    assert list(queries.stranded(site, closed, 1)) == [closed]
    coordinator = signed_in(make_staff("coordinator"))
    page = coordinator.get(f"/care/calendar/?date={closed.isoformat()}").content.decode()
    assert 'data-testid="stranded"' in page and course.patient.mrn in page
    listed = coordinator.get("/care/courses/?status=attention").content.decode()
    assert f"/care/courses/{course.pk}/" in listed


def test_closing_day_is_marked_on_the_calendar(
    start_course, physician, resources, site, fixed_clock, make_staff
):
    course = scheduled(start_course, physician)
    closed = day_of(starts(course)["inj2"])
    actions.add_closed_day(site=site, day=closed, reason="Staff training", by=physician)
    coordinator = signed_in(make_staff("coordinator"))
    week = coordinator.get(f"/care/calendar/?view=week&date={closed.isoformat()}")
    html = week.content.decode()
    assert f'data-closed="{closed.isoformat()}"' in html
    assert 'td class="closed"' in html
    day = coordinator.get(f"/care/calendar/?date={closed.isoformat()}").content.decode()
    assert 'data-testid="closed-day"' in day and "Staff training" in day
    assert 'data-testid="stranded"' not in day  # its appointments were re-planned
