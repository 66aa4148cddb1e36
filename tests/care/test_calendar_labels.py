"""The week and day calendars name the patient, the step and the room, not clipped MRNs."""

from __future__ import annotations

import re

import pytest

from autologic.care.models import Booking
from tests.care.test_closing_days import day_of, scheduled
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_calendars_name_the_patient_the_step_and_the_room(
    start_course, physician, resources, fixed_clock, make_staff
):
    course = scheduled(start_course, physician)
    patient = course.patient
    inj1 = course.appointments.get(key="inj1")
    room = Booking.objects.get(appointment=inj1, resource__kind="room").resource.name
    clinician = Booking.objects.get(appointment=inj1, resource__kind="clinician").resource.name
    day = day_of(inj1.starts_at).isoformat()
    name = f"{patient.family_name}, {patient.given_name}"
    coordinator = signed_in(make_staff("coordinator"))

    week = coordinator.get(f"/care/calendar/?view=week&date={day}").content.decode()
    cells = re.findall(r'<ul class="cell-list">(.*?)</ul>', week, re.S)
    injection = [c for c in cells if "Injection 1" in c]
    assert injection and all(name in c for c in injection)
    # The clinician's row says where: the room booked with them.
    assert any(f"Injection 1 · {room}" in c for c in injection)
    # The MRN is no longer the cell's text (only its tooltip names it).
    for cell in injection:
        assert patient.mrn not in re.sub(r'title="[^"]*"', "", cell)

    page = coordinator.get(f"/care/calendar/?date={day}").content.decode()
    texts = re.findall(r'<text class="bk-label"[^>]*>([^<]*)</text>', page)
    assert any(t.startswith(patient.family_name) for t in texts)
    assert not any(t.startswith(patient.mrn) for t in texts)
    row = re.search(
        rf"<tr><td class=\"mono\">[^<]*</td><td>{clinician} <span class=\"muted\">· {room}</span>",
        page,
    )
    assert row, "the appointment list names the room beside the clinician"
