"""Courses and the gates before collection (issue 15): a course starts from a final decision only,
and scheduling never places the collection before the medication hold ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autologic.audit.actions import SignerProof
from autologic.care import actions
from autologic.care.models import Course
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.clinical.domain.eligibility import evaluate
from autologic.clinical.models import Medication
from autologic.common.domain.errors import ValidationFailed

from .conftest import NOW

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def hip() -> dict:
    return {
        "region": "hip",
        "side": "right",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": 2,
        "grade_reader": "Dr. Read",
        "grade_read_on": date(2026, 10, 30),
    }


def test_collection_refused_while_conditional_course_cannot_start(
    patient, physician, protocols, fixed_clock
):
    """A conditional decision (here: AEMPS has not decided, no studies) starts no course."""
    assessment = clinical.create_assessment(
        patient=patient,
        data={"assessed_on": date(2026, 11, 2), "anaesthesia_risk": "ASA2"},
        by=physician,
    )
    region = clinical.add_region(
        assessment=assessment,
        data={
            "region": "knee",
            "side": "left",
            "diagnosis": "osteoarthritis",
            "grade_system": "KL",
            "grade": 2,
            "grade_reader": "Dr. Read",
        },
        by=physician,
    )
    row = protocols["bm-msc-knee"]
    report = evaluate(
        row.protocol, clinical_queries.facts_for(assessment, [region], today=date(2026, 11, 21))
    )
    assert report.verdict == "eligible_with_conditions"
    decision = clinical.decide_eligibility(
        assessment=assessment,
        protocol=row,
        report=report,
        regions=[str(region)],
        verdict=report.verdict,
        justification="",
        proof=SignerProof(user=physician, second_factor=True),
        expected_verdict=report.verdict,
    )
    with pytest.raises(ValidationFailed) as refused:
        actions.create_course(
            decision=decision,
            injections=1,
            guidance="ultrasound",
            earliest_start=date(2026, 11, 23),
            notes="",
            by=physician,
        )
    assert refused.value.code == "decision_not_final"
    assert not Course.objects.exists()


def test_medication_hold_scheduling_never_places_the_collection_before_the_hold_ends(
    start_course, physician, patient, resources, fixed_clock
):
    """Seed 004's report said "collection no earlier than 1405/09/24" (2026-12-15); the course
    was scheduled on 1405/09/15 (2026-12-06)."""
    fixed_clock.current = datetime(2026, 12, 4, 9, 0, tzinfo=NOW.tzinfo)
    course = start_course("cells-hip", regions=[hip()], earliest=date(2026, 12, 7))
    clinical.add_record(
        kind="medication",
        patient=patient,
        data={"name": "Ibuprofen 400 mg", "drug_class": "nsaid", "held_since": date(2026, 12, 1)},
        by=physician,
    )
    course.refresh_from_db()
    assert actions.schedule_course(course=course, by=physician, expected_version=course.version).ok
    collection = course.appointments.get(key="collection")
    assert collection.starts_at.astimezone(BERLIN).date() == date(2026, 12, 15)


def test_medication_hold_not_started_refuses_scheduling(
    start_course, physician, patient, resources
):
    course = start_course("cells-hip", regions=[hip()])
    clinical.add_record(
        kind="medication",
        patient=patient,
        data={"name": "Rivaroxaban 20 mg", "drug_class": "anticoagulant"},
        by=physician,
    )
    course.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        actions.schedule_course(course=course, by=physician, expected_version=course.version)
    assert refused.value.code == "schedule_hold_not_started"
    assert not course.bookings.exists()


def test_medication_hold_replanning_keeps_the_collection_after_the_hold(
    start_course, physician, patient, resources, fixed_clock
):
    """A missed collection is re-planned no earlier than the end of a hold recorded since."""
    course = start_course("cells-hip", regions=[hip()])
    course.refresh_from_db()
    assert actions.schedule_course(course=course, by=physician, expected_version=course.version).ok
    collection = course.appointments.get(key="collection")
    assert collection.starts_at.astimezone(BERLIN).date() == date(2026, 11, 23)
    # The patient comes back having taken naproxen again: held since the 22nd.
    clinical.add_record(
        kind="medication",
        patient=patient,
        data={"name": "Naproxen", "drug_class": "nsaid", "held_since": date(2026, 11, 22)},
        by=physician,
    )
    fixed_clock.current = collection.starts_at
    course.refresh_from_db()
    outcome = actions.report_missed(
        appointment=collection, reason="missed", by=physician, expected_version=course.version
    )
    assert outcome.ok
    collection.refresh_from_db()
    assert collection.starts_at.astimezone(BERLIN).date() >= date(2026, 12, 6)
    assert Medication.objects.filter(patient=patient).count() == 1
    assert collection.starts_at - NOW > timedelta(days=14)
