"""Later treatments of a treated joint (replacement, repeat treatment, other surgery): the
registry's failure events, recorded by staff with their date and source, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.outcomes import actions, queries
from autologic.outcomes.models import LaterTreatment
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
from tests.conftest import signed_in

LATER = NOW + timedelta(days=400)


def record(administration, **overrides):
    values = {
        "patient": administration.patient,
        "region": administration.planned_region,
        "kind": "arthroplasty",
        "performed_on": date(2027, 9, 1),
        "source": "hospital",
        "note": "Total knee replacement, St. Vinzenz",
        "by": administration.appointment.course.created_by,
        "now": LATER,
    }
    values.update(overrides)
    return actions.record_later_treatment(**values)


def test_a_treated_joint_knows_its_first_injection(administration) -> None:
    joints = queries.treated_joints(administration.patient)
    assert [(j.region.pk, j.treated_on) for j in joints] == [
        (administration.planned_region_id, administration.given_at.date())
    ]


def test_recorded_with_source_and_audited(administration) -> None:
    row = record(administration)
    assert (row.kind, row.source, row.performed_on) == (
        "arthroplasty",
        "hospital",
        date(2027, 9, 1),
    )
    event = AuditEvent.objects.get(action="later_treatment.record")
    assert event.changes["kind"] == "arthroplasty"
    assert event.changes["region"] == str(administration.planned_region)
    assert queries.later_treatments(administration.patient) == [row]


def test_the_same_event_twice_is_refused(administration) -> None:
    record(administration)
    with pytest.raises(ConflictError) as caught:
        record(administration, source="patient")
    assert caught.value.field == "performed_on"
    assert LaterTreatment.objects.count() == 1


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"performed_on": date(2030, 1, 1)}, "performed_on"),
        ({"performed_on": NOW.date() - timedelta(days=30)}, "performed_on"),
        ({"kind": "haircut"}, "kind"),
        ({"source": "rumour"}, "source"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_impossible_events_are_refused_by_field(administration, overrides, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        record(administration, **overrides)
    assert caught.value.field == field
    assert not LaterTreatment.objects.exists()


def test_an_untreated_joint_is_refused(administration, other_patient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        record(administration, patient=other_patient)
    assert caught.value.field == "region"


def test_staff_record_it_on_the_outcomes_page(administration, nurse, fixed_clock) -> None:
    fixed_clock.current = LATER
    client = signed_in(nurse)
    patient = administration.patient
    page = client.get(reverse("outcomes:patient", args=[patient.pk]))
    assert b'data-testid="later-treatments"' in page.content
    url = reverse("outcomes:later_treatment", args=[patient.pk])
    assert client.get(url).status_code == 200
    refused = client.post(
        url,
        {
            "region": administration.planned_region_id,
            "kind": "arthroplasty",
            "performed_on": "2031-01-01",
            "source": "hospital",
        },
    )
    assert refused.status_code == 400
    assert not LaterTreatment.objects.exists()
    saved = client.post(
        url,
        {
            "region": administration.planned_region_id,
            "kind": "repeat_orthobiologic",
            "performed_on": "2027-06-01",
            "source": "clinic",
            "note": "PRP elsewhere",
        },
    )
    assert saved.status_code == 302
    shown = client.get(reverse("outcomes:patient", args=[patient.pk]))
    assert b'data-testid="later-repeat_orthobiologic"' in shown.content


def test_no_treated_joint_no_form(patient, nurse) -> None:
    url = reverse("outcomes:later_treatment", args=[patient.pk])
    assert signed_in(nurse).get(url).status_code == 404
