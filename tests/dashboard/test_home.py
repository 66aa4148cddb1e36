"""The home page per role: today's work read from each app, in words, never internal codes."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from autologic.care.models import Appointment
from autologic.patients import actions as patients
from tests.conftest import patient_data, signed_in

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def section(html: str, testid: str) -> str:
    """The HTML of one home-page section (empty when the page does not show it)."""
    found = re.search(
        rf'data-testid="{testid}".*?(?=data-testid="home-|data-testid="my-activity")', html, re.S
    )
    return found.group(0) if found else ""


def at_day_of(fixed_clock, appointment: Appointment) -> None:
    """Move the clock to 07:00 in Berlin on the appointment's day."""
    day = appointment.starts_at.astimezone(BERLIN).date()
    fixed_clock.current = datetime.combine(day, time(7), BERLIN)


def test_a_physician_sees_today_and_tomorrow_with_names_and_rooms(
    scheduled, physician, fixed_clock
):
    collection = scheduled.appointments.get(key="collection")
    at_day_of(fixed_clock, collection)
    html = signed_in(physician).get("/").content.decode()
    sessions = section(html, "home-sessions")
    assert "Today" in sessions and "Tomorrow" in sessions
    today = sessions.split("Tomorrow")[0]
    assert "Blood draw" in today
    assert scheduled.patient.family_name in today
    where = [b.resource.name for b in collection.bookings.all()]
    assert where and all(name in today for name in where)
    assert ">collection<" not in sessions


def test_an_injection_day_names_the_injection_not_its_key(scheduled, nurse_user, fixed_clock):
    first = scheduled.appointments.get(key="inj1")
    at_day_of(fixed_clock, first)
    sessions = section(signed_in(nurse_user).get("/").content.decode(), "home-sessions")
    assert "Injection 1" in sessions
    assert "inj1" not in sessions
    assert f'href="{reverse("injections:session", args=[first.pk])}"' in sessions


def test_the_lab_sees_a_running_step_with_its_countdown(running_lot):
    tech = running_lot
    html = signed_in(tech).get("/").content.decode()
    work = section(html, "home-lab")
    assert "Incubation" in work and ">incubation<" not in work
    assert 'class="countdown timer"' in work and "data-until=" in work
    assert section(html, "home-sessions") == "" and section(html, "home-oversight") == ""


def test_the_coordinator_sees_follow_ups_due_and_courses_needing_attention(
    scheduled, make_staff, physician, fixed_clock
):
    coordinator = make_staff("coordinator")
    baseline = scheduled.appointments.get(key="fu-baseline")
    fixed_clock.current = datetime.combine(baseline.due_on, time(9), BERLIN)
    scheduled.status = "attention"
    scheduled.problem = {"message": "No room is free on the planned day."}
    scheduled.save()
    html = signed_in(coordinator).get("/").content.decode()
    follow_ups = section(html, "home-follow-ups")
    assert 'data-testid="follow-up-row"' in follow_ups
    assert scheduled.patient.family_name in follow_ups
    assert "NRS_PAIN" not in follow_ups
    assert 'data-testid="attention-row"' in follow_ups
    assert "No room is free on the planned day." in follow_ups


def test_the_manager_sees_quarantine_holds_recalls_and_excursions(world_for_manager):
    manager, lot = world_for_manager
    html = signed_in(manager).get("/").content.decode()
    oversight = section(html, "home-oversight")
    for row in ("excursion-row", "quarantine-row", "hold-row", "recall-row"):
        assert f'data-testid="{row}"' in oversight, row
    assert lot.chain.identifier in oversight
    assert section(html, "home-lab") == ""


def test_recent_activity_shows_labelled_changes_in_the_clinic_calendar(
    jalali_site, make_staff, client
):
    nurse = make_staff("nurse", at=jalali_site, username="nurse-thr")
    patients.create_patient(
        site=jalali_site, data=patient_data(date_of_birth=date(1971, 5, 2)), by=nurse
    )
    html = signed_in(nurse).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    activity = html.split('data-testid="my-activity"')[1]
    assert "Patient registered" in activity
    assert "date_of_birth" not in activity and "family_name" not in activity
    assert "Date of birth" in activity
    assert "1971-05-02" not in activity and "1350" in activity  # 1350/02/12


# Each list loads the protocol versions it needs in one query of their own (prefetch), rather
# than a version's whole content with every row: one query more per list, none per row.
@pytest.mark.parametrize(
    ("role", "most"),
    [
        ("physician", 15),
        ("nurse", 14),
        ("lab_technician", 21),
        ("coordinator", 18),
        ("manager", 17),
    ],
)
def test_each_home_page_runs_a_bounded_number_of_queries(
    world_for_manager, make_staff, role, most, django_assert_max_num_queries
):
    client = signed_in(make_staff(role, username=f"{role}-counted"))
    with django_assert_max_num_queries(most):
        assert client.get("/").status_code == 200
