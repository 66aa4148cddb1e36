"""Rehabilitation phases as follow-up items (seed 004): started, done or a problem, per course.

Seed 004: "The exercise program starts from the second week with water and stretching exercises.
Gentle walking from the third week and muscle strengthening exercises from the second month".
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.care import actions as care
from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes import actions, queries
from autologic.outcomes.domain import rehab
from autologic.outcomes.models import RehabProgress
from autologic.protocols.files import LIBRARY, read_protocol
from tests.conftest import signed_in
from tests.outcomes.conftest import hip

HIP = read_protocol(LIBRARY / "cells-hip.v3.yaml")
PHASES = {p.key: p for p in HIP.rehabilitation}


def test_phase_windows_count_from_the_injection_day():
    injected = date(2026, 12, 1)
    assert rehab.window(PHASES["water-stretching"], injected).starts == date(2026, 12, 8)
    assert rehab.window(PHASES["walking"], injected).starts == date(2026, 12, 15)
    assert rehab.window(PHASES["strengthening"], injected).starts == date(2026, 12, 31)
    walking = rehab.window(PHASES["walking"], injected)
    assert [walking.state(injected + timedelta(days=d)) for d in (13, 14, 29, 30)] == [
        "upcoming",
        "current",
        "current",
        "past",
    ]


@pytest.mark.parametrize(
    ("key", "status", "note", "on", "code", "field"),
    [
        ("swimming", "started", "", date(2026, 12, 9), "rehab_phase_unknown", "phase"),
        ("walking", "paused", "", date(2026, 12, 9), "rehab_status_unknown", "status"),
        ("walking", "problem", "  ", date(2026, 12, 9), "rehab_problem_needs_note", "note"),
        ("walking", "started", "", date(2026, 11, 30), "rehab_before_injection", "phase"),
    ],
)
def test_a_change_that_cannot_be_true_is_refused_naming_the_field(
    key, status, note, on, code, field
):
    with pytest.raises(ValidationFailed) as caught:
        rehab.check_change(PHASES.get(key), key, status, note, anchor=date(2026, 12, 1), on=on)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_no_injection_planned_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        rehab.check_change(
            PHASES["walking"], "walking", "started", "", anchor=None, on=date.today()
        )
    assert caught.value.code == "rehab_injection_unplanned"


@pytest.fixture
def hip_course(start_course, resources, physician, fixed_clock):
    made = start_course("cells-hip", regions=[hip()])
    assert care.schedule_course(course=made, by=physician, expected_version=made.version).ok
    return made


@pytest.mark.django_db
def test_a_nurse_tracks_the_phases_of_a_hip_course_audited(
    hip_course, patient, make_staff, fixed_clock
):
    anchor = queries.rehab_anchor(hip_course)
    assert anchor is not None
    fixed_clock.current = (
        fixed_clock.now() + (anchor - fixed_clock.now().date()) + timedelta(days=15)
    )
    nurse = make_staff(Role.NURSE)
    client = signed_in(nurse)
    page = client.get(f"/outcomes/patients/{patient.pk}/")
    assert page.status_code == 200
    (course,) = page.context["rehab"]
    assert [i.phase.key for i in course.items] == [
        "rest",
        "water-stretching",
        "walking",
        "strengthening",
        "no-impact",
    ]
    states = {i.phase.key: i.state for i in course.items}
    assert states["walking"] == "current" and states["strengthening"] == "upcoming"
    assert states["water-stretching"] == "past"

    url = f"/outcomes/patients/{patient.pk}/rehab/{hip_course.pk}/walking/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"status": "problem", "note": ""})
    assert refused.status_code == 400
    assert "note" in refused.context["form"].errors
    assert refused.context["form"].data["status"] == "problem"
    assert not RehabProgress.objects.exists()

    assert client.post(url, {"status": "started", "note": ""}).status_code == 302
    assert (
        client.post(url, {"status": "problem", "note": "Groin pain after 20 min"}).status_code
        == 302
    )
    row = RehabProgress.objects.get()
    assert (row.phase, row.status, row.note, row.recorded_by) == (
        "walking",
        "problem",
        "Groin pain after 20 min",
        nurse,
    )
    events = list(AuditEvent.objects.filter(action="rehab.record").order_by("seq"))
    assert [e.changes["status"] for e in events] == [[None, "started"], ["started", "problem"]]
    assert events[1].changes["note"] == ["", "Groin pain after 20 min"]
    # Resending what is recorded writes nothing.
    actions.record_rehab(
        course=hip_course,
        phase="walking",
        status="problem",
        note="Groin pain after 20 min",
        by=nurse,
        now=fixed_clock.now(),
    )
    assert AuditEvent.objects.filter(action="rehab.record").count() == 2
    html = client.get(f"/outcomes/patients/{patient.pk}/").content.decode()
    assert 'data-testid="rehab-walking"' in html and "Groin pain after 20 min" in html


@pytest.mark.django_db
def test_a_phase_of_another_patient_or_an_untracked_one_is_not_found(
    hip_course, patient, physician
):
    client = signed_in(physician)
    assert (
        client.get(f"/outcomes/patients/{patient.pk}/rehab/{hip_course.pk}/jogging/").status_code
        == 404
    )
    assert client.get(f"/outcomes/patients/{patient.pk}/rehab/999999/walking/").status_code == 404


@pytest.mark.django_db
def test_an_acs_course_has_no_tracked_phases(start_course, patient, fixed_clock):
    start_course("acs-large-joint")
    assert queries.rehab_courses(patient, date(2026, 11, 21)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.BILLING, Role.LAB_TECHNICIAN, Role.MANAGER])
def test_only_clinical_staff_record_rehabilitation(hip_course, patient, client_for, role):
    url = f"/outcomes/patients/{patient.pk}/rehab/{hip_course.pk}/walking/"
    client = client_for(role)
    assert client.get(url).status_code == 403
    assert client.post(url, {"status": "started"}).status_code == 403
    assert not RehabProgress.objects.exists()
