"""Care pages: start a course, schedule it, re-plan a missed session, calendars, resources."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.care.models import ClosedDay, Course, Resource
from autologic.clinical.models import EligibilityDecision
from tests.care.conftest import knee
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(start_course) -> EligibilityDecision:
    """A signed decision (and a first course, which the tests do not use)."""
    return start_course().decision


@pytest.fixture
def coordinator(make_staff):
    return signed_in(make_staff("coordinator"))


def test_a_course_is_started_scheduled_and_shown_from_the_pages(
    decision, coordinator, resources, patient
):
    url = f"/care/patients/{patient.pk}/decisions/{decision.pk}/course/"
    page = coordinator.get(url)
    assert page.status_code == 200
    assert "3 to 6 for this protocol." in page.content.decode()
    bad = coordinator.post(
        url, {"injections": "9", "guidance": "ultrasound", "earliest_start": "2026-11-23"}
    )
    assert bad.status_code == 400
    assert "This protocol gives 3 to 6 injections." in bad.content.decode()
    past = coordinator.post(
        url, {"injections": "5", "guidance": "ultrasound", "earliest_start": "2026-11-01"}
    )
    assert "The earliest start cannot be in the past." in past.content.decode()
    made = coordinator.post(
        url, {"injections": "5", "guidance": "ultrasound", "earliest_start": "2026-11-24"}
    )
    assert made.status_code == 302
    course = Course.objects.latest("id")
    assert made["Location"] == f"/care/courses/{course.pk}/"
    assert course.injections == 5

    scheduled = coordinator.post(
        f"/care/courses/{course.pk}/schedule/", {"version": course.version}, follow=True
    )
    body = scheduled.content.decode()
    assert "Course scheduled" in body
    assert "Injection 5" in body and ("Room 1" in body or "Room 2" in body)
    course.refresh_from_db()
    assert course.status == "scheduled"
    # The calendar of the first injection's day shows the patient.
    inj1 = course.appointments.get(key="inj1")
    day = inj1.starts_at.date().isoformat()
    calendar = coordinator.get(f"/care/calendar/?date={day}")
    assert calendar.status_code == 200 and patient.mrn in calendar.content.decode()
    week = coordinator.get(f"/care/calendar/?view=week&date={day}")
    assert week.status_code == 200 and patient.mrn in week.content.decode()


def test_a_missed_session_is_replanned_from_the_timeline(
    start_course, coordinator, resources, fixed_clock, physician
):
    course = start_course()
    from autologic.care import actions

    actions.schedule_course(course=course, by=physician, expected_version=course.version)
    course.refresh_from_db()
    inj1 = course.appointments.get(key="inj1")
    fixed_clock.current = inj1.starts_at
    response = coordinator.post(
        f"/care/courses/{course.pk}/appointments/{inj1.pk}/missed/",
        {"reason": "missed", "version": course.version},
        follow=True,
    )
    assert "Re-planned" in response.content.decode()
    inj1.refresh_from_db()
    assert inj1.history[0]["status"] == "missed"
    stale = coordinator.post(
        f"/care/courses/{course.pk}/appointments/{inj1.pk}/missed/",
        {"reason": "missed", "version": course.version},
        follow=True,
    )
    assert "Someone else changed this course" in stale.content.decode()


def test_a_bad_calendar_date_is_named_not_a_500(coordinator, resources):
    response = coordinator.get("/care/calendar/?date=2026-02-30")
    assert response.status_code == 200
    assert "is not a real date" in response.content.decode()


def test_resources_and_closing_days_are_kept_by_the_manager(make_staff, site):
    manager = signed_in(make_staff("manager"))
    bad = manager.post(
        "/care/resources/",
        {
            "resource-kind": "room",
            "resource-code": "room-9",
            "resource-name": "Room 9",
            "resource-capacity": "1",
            "resource-hours": "mon-fri 08:00-25:00",
        },
    )
    assert bad.status_code == 400
    assert "Line 1 is not" in bad.content.decode()
    assert not Resource.objects.filter(code="room-9").exists()
    good = manager.post(
        "/care/resources/",
        {
            "resource-kind": "room",
            "resource-code": "room-9",
            "resource-name": "Room 9",
            "resource-capacity": "1",
            "resource-capabilities": ["ultrasound"],
            "resource-hours": "mon-fri 08:00-12:30, 13:30-17:00\nsat 09:00-12:00",
        },
    )
    assert good.status_code == 302
    room = Resource.objects.get(code="room-9")
    assert room.hours == {"mon-fri": "08:00-12:30, 13:30-17:00", "sat": "09:00-12:00"}
    closed = manager.post(
        "/care/resources/closed-days/",
        {"closed-day": "2026-12-24", "closed-reason": "Christmas Eve"},
    )
    assert closed.status_code == 302
    assert ClosedDay.objects.get(site=site).day == date(2026, 12, 24)
    again = manager.post(
        "/care/resources/closed-days/", {"closed-day": "2026-12-24", "closed-reason": "Twice"}
    )
    assert again.status_code == 400 and "already closed" in again.content.decode()


def test_barcelona_instructions_name_fasting_sedation_and_the_recovery_room(
    start_course, physician
):
    # Seed 003: "fasted for six hours", "A local anaesthetic is given plus sedation", "they are
    # transferred to the recovery room where they remain for about 20 minutes".
    course = start_course("bm-msc-knee")
    page = signed_in(physician).get(f"/care/courses/{course.pk}/")
    html = page.content.decode()
    assert "Do not eat or drink for 6 hours before the harvest." in html
    assert "Do not eat or drink for 6 hours before the injection." in html
    assert "The harvest is done under local anaesthesia with sedation." in html
    assert (
        "After the harvest you rest about 20 minutes in the recovery room and go home once you "
        "are fully awake." in html
    )
    assert "Track rehabilitation" not in html  # no tracked phases in this protocol


def test_hip_course_links_its_rehabilitation_to_the_follow_up_items(start_course, physician):
    course = start_course("cells-hip", regions=[{**knee(), "region": "hip"}])
    html = signed_in(physician).get(f"/care/courses/{course.pk}/").content.decode()
    assert f"/outcomes/patients/{course.patient_id}/#rehab-{course.pk}" in html
    assert "The harvest is done under local anaesthesia." in html
    assert "before the harvest" not in html  # the hip page asks no fasting
