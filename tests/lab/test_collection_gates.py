"""Gates before collection (issue 15): a harvest or blood draw is recorded only when the course's
decision is final, the authorisation granted, the studies in date, the medication hold confirmed on
the day and a consent for the procedure signed; a physician's exception only where the protocol
allows it; collection times checked with the fields, every problem at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from autologic.audit.actions import SignerProof
from autologic.care.models import Course
from autologic.clinical import actions as clinical
from autologic.clinical.models import Authorisation, EligibilityDecision
from autologic.common.domain.errors import PermissionRefused, ValidationFailed
from autologic.lab.actions import collection as lab
from autologic.lab.models import Collection
from autologic.patients import actions as patients
from tests.conftest import signed_in

from .conftest import NOW, harvest_for


def hip() -> dict:
    return {
        "region": "hip",
        "side": "right",
        "detail": "",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": 2,
        "grade_reader": "Dr. Read",
        "grade_read_on": date(2026, 10, 30),
        "grade_notes": "",
    }


def collect(course: Course, by, *, at: datetime = NOW, now: datetime = NOW, volume="60"):
    """Record the course's collection as the lab technician does."""
    return lab.record_collection(
        course=course,
        collected_at=at,
        collected_by=by,
        volume_ml=Decimal(volume),
        containers=1,
        container_type="Heparinised marrow bag",
        notes="",
        by=by,
        now=now,
        harvest=harvest_for(course, at),
    )


def codes(refused: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {p.code for p in refused.value.data["problems"]}


def test_collection_refused_while_conditional_decision(start_course, tech, physician):
    """A course from before the rule, started on a conditional decision: nothing is collected
    until a physician signs a final decision."""
    course = start_course()
    conditional = EligibilityDecision.objects.create(
        site=course.site,
        patient_id=course.patient_id,
        assessment=course.decision.assessment,
        protocol=course.protocol,
        regions=course.decision.regions,
        computed_verdict="eligible_with_conditions",
        report=course.decision.report,
        verdict="eligible_with_conditions",
        decided_by=physician,
        decided_at=NOW,
    )
    Course.objects.filter(pk=course.pk).update(decision=conditional)
    course.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert "decision_not_final" in codes(refused)
    assert not Collection.objects.filter(course=course).exists()


def test_collection_refused_while_authorisation_pending_then_allowed_once_granted(
    start_course, tech, physician, patient, fixed_clock
):
    course = start_course("bm-msc-knee", skip=("authorisation",))
    clinical.add_record(
        kind="authorisation",
        patient=patient,
        data={
            "agency": "AEMPS",
            "reference": "AEMPS-2026-0815",
            "scope": "bm-msc-knee",
            "requested_on": date(2026, 11, 2),
        },
        by=physician,
    )
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"authorisation_pending"}
    row = Authorisation.objects.get(patient=patient)
    clinical.update_record(
        kind="authorisation",
        patient=patient,
        record_id=row.pk,
        data={"granted_on": date(2026, 11, 21)},
        by=physician,
    )
    assert collect(course, tech).course_id == course.pk


def test_collection_refused_while_an_authorisation_expired_before_the_day(
    start_course, tech, physician, patient
):
    course = start_course("bm-msc-knee", skip=("authorisation",))
    clinical.add_record(
        kind="authorisation",
        patient=patient,
        data={
            "agency": "AEMPS",
            "reference": "AEMPS-2025-1",
            "scope": "bm-msc-knee",
            "requested_on": date(2025, 1, 1),
            "granted_on": date(2025, 2, 1),
            "expires_on": date(2026, 11, 20),
        },
        by=physician,
    )
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"authorisation_expired"}


def test_collection_refused_while_studies_out_of_date(start_course, tech, physician, patient):
    course = start_course("bm-msc-knee", skip=("studies",))
    for kind, performed_on, result in (
        ("serology", date(2026, 7, 1), "normal"),  # 143 days: the protocol allows 90
        ("chest_xray", date(2026, 11, 2), "normal"),
        ("ecg", date(2026, 11, 2), "pending"),
        ("blood_tests", date(2026, 11, 2), "normal"),
        ("joint_xray", date(2026, 10, 1), "normal"),
        ("cartigram_mri", date(2026, 10, 1), "normal"),
    ):
        clinical.add_record(
            kind="study",
            patient=patient,
            data={"kind": kind, "performed_on": performed_on, "result": result},
            by=physician,
        )
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"study_outdated", "study_pending"}


def test_collection_refused_without_the_baseline_cartigram_mri(
    start_course, tech, physician, patient
):
    # Seed 003: the indication rests on "X-rays and Cartigram magnetic resonance imaging".
    course = start_course("bm-msc-knee", skip=("studies",))
    for kind in ("serology", "chest_xray", "ecg", "blood_tests", "joint_xray"):
        clinical.add_record(
            kind="study",
            patient=patient,
            data={"kind": kind, "performed_on": date(2026, 11, 2), "result": "normal"},
            by=physician,
        )
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"study_missing"}
    (problem,) = refused.value.data["problems"]
    assert problem.params["study"] == "cartigram_mri"


def test_collection_refused_until_medication_hold_confirmed_on_the_day(
    start_course, tech, physician, nurse, patient, fixed_clock
):
    course = start_course("cells-hip", regions=[hip()], skip=("hold",))
    fixed_clock.current = NOW - timedelta(days=1)
    clinical.confirm_medication_hold(
        patient=patient, classes=["nsaid", "anticoagulant", "antiplatelet"], notes="", by=nurse
    )
    fixed_clock.current = NOW
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"hold_unconfirmed"}
    with pytest.raises(PermissionRefused):
        clinical.confirm_medication_hold(patient=patient, classes=["nsaid"], notes="", by=tech)
    clinical.confirm_medication_hold(
        patient=patient, classes=["nsaid", "anticoagulant", "antiplatelet"], notes="", by=nurse
    )
    assert collect(course, tech).course_id == course.pk


def test_collection_refused_without_signed_consent_for_this_procedure(
    start_course, tech, physician, patient
):
    course = start_course(skip=("consent",))
    patients.add_consent(
        patient=patient,
        data={
            "kind": "treatment",
            "form_version": "2026-1",
            "given_on": date(2026, 11, 2),
            "signed_by": patient.full_name,
            "signer_relation": "self",
            "procedure": "cells-hip",  # another treatment
        },
        proof=SignerProof(user=physician, second_factor=True),
    )
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"consent_missing"}


def test_collection_exception_signed_only_by_a_physician_where_the_protocol_allows(
    start_course, tech, physician, nurse, patient
):
    course = start_course("cells-hip", regions=[hip()])
    clinical.add_record(
        kind="medication",
        patient=patient,
        data={"name": "Aspirin 100 mg", "drug_class": "antiplatelet", "dose": "1 × daily"},
        by=physician,
    )
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech)
    assert codes(refused) == {"hold_not_started"}
    reason = "Secondary prevention after a stent; the cardiologist refuses a pause."
    with pytest.raises(PermissionRefused):
        clinical.sign_gate_exception(
            course=course,
            gate="medication_hold",
            reason=reason,
            proof=SignerProof(user=nurse, second_factor=True),
        )
    with pytest.raises(ValidationFailed) as refused:
        clinical.sign_gate_exception(
            course=course,
            gate="studies",  # cells-hip lists only the medication hold under exceptions
            reason=reason,
            proof=SignerProof(user=physician, second_factor=True),
        )
    assert refused.value.code == "gate_not_exceptable"
    with pytest.raises(ValidationFailed) as refused:
        clinical.sign_gate_exception(
            course=course,
            gate="medication_hold",
            reason="ok",
            proof=SignerProof(user=physician, second_factor=True),
        )
    assert refused.value.field == "reason"
    clinical.sign_gate_exception(
        course=course,
        gate="medication_hold",
        reason=reason,
        proof=SignerProof(user=physician, second_factor=True),
    )
    assert collect(course, tech).course_id == course.pk


def test_collection_exception_refused_where_the_protocol_allows_none(
    start_course, physician, patient
):
    course = start_course("bm-msc-knee")
    with pytest.raises(ValidationFailed) as refused:
        clinical.sign_gate_exception(
            course=course,
            gate="studies",
            reason="The serology is three days late; repeated on the day of harvest.",
            proof=SignerProof(user=physician, second_factor=True),
        )
    assert refused.value.code == "gate_not_exceptable"


def test_medication_hold_collection_refused_before_the_hold_ends(
    start_course, tech, physician, patient, fixed_clock
):
    """Seed 004: "collection no earlier than 1405/09/24" (2026-12-15), yet a harvest was
    recorded on 1405/09/15 (2026-12-06) without a word."""
    fixed_clock.current = datetime(2026, 12, 6, 8, 0, tzinfo=NOW.tzinfo)
    course = start_course("cells-hip", regions=[hip()], earliest=date(2026, 12, 7))
    clinical.add_record(
        kind="medication",
        patient=patient,
        data={
            "name": "Ibuprofen 400 mg",
            "drug_class": "nsaid",
            "held_since": date(2026, 12, 1),  # 1405/09/10
        },
        by=physician,
    )
    at = datetime(2026, 12, 6, 9, 0, tzinfo=NOW.tzinfo)
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech, at=at, now=at)
    (problem,) = refused.value.data["problems"]
    assert problem.code == "hold_too_short"
    assert problem.params["earliest_collection"] == date(2026, 12, 15)


def test_collection_times_before_the_course_are_refused(start_course, tech):
    course = start_course()
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech, at=course.created_at - timedelta(hours=3))
    assert codes(refused) == {"collected_before_course"}
    assert refused.value.field == "collected_at"


def test_collection_times_before_the_consent_are_refused(
    start_course, tech, physician, patient, fixed_clock
):
    course = start_course(skip=("consent",))
    fixed_clock.current = NOW + timedelta(days=1)
    patients.add_consent(
        patient=patient,
        data={
            "kind": "treatment",
            "form_version": "2026-1",
            "given_on": date(2026, 11, 22),
            "signed_by": patient.full_name,
            "signer_relation": "self",
            "procedure": "acs-large-joint",
        },
        proof=SignerProof(user=physician, second_factor=True),
    )
    later = NOW + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech, at=NOW + timedelta(hours=1), now=later)
    assert codes(refused) == {"consent_signed_later"}
    assert collect(course, tech, at=later, now=later).course_id == course.pk


def test_collection_refused_lists_every_problem_at_once(start_course, tech, physician):
    """Field, time and gate problems come together, not one per attempt."""
    course = start_course(skip=("consent",))
    with pytest.raises(ValidationFailed) as refused:
        collect(course, tech, at=NOW + timedelta(hours=2), volume="0")
    assert codes(refused) == {"collected_in_future", "volume", "consent_missing"}
    fields = {p.code: p.field for p in refused.value.data["problems"]}
    assert fields == {
        "collected_in_future": "collected_at",
        "volume": "volume_ml",
        "consent_missing": "",
    }


def test_collection_times_checked_together_with_the_fields_on_the_form(start_course, tech):
    """One form error lists every problem: a missing volume and a time before the course."""
    course = start_course()
    client = signed_in(tech)
    before = (course.created_at - timedelta(days=2)).astimezone(ZoneInfo(course.site.time_zone))
    response = client.post(
        f"/lab/courses/{course.pk}/collect/",
        {
            "collected_at": before.strftime("%Y-%m-%dT%H:%M"),
            "collected_by": tech.pk,
            "volume_ml": "",
            "containers": "1",
            "container_type": "Syringe",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "volume_ml" in errors
    assert errors["collected_at"] == [
        "The collection time is before the treatment course was created."
    ]
    assert not Collection.objects.filter(course=course).exists()


def test_collection_page_shows_the_gate_the_action_enforces(start_course, tech, physician, patient):
    """The page says "ready" exactly when saving would be accepted, and lists what is missing
    with a link to where it is fixed."""
    course = start_course("cells-hip", regions=[hip()], skip=("consent", "hold"))
    page = signed_in(physician).get(f"/lab/courses/{course.pk}/collect/")
    html = page.content.decode()
    assert 'data-gate="blocked"' in html and 'data-gate="ready"' not in html
    assert 'data-gate-check="consent_missing"' in html
    assert f'href="/patients/{patient.pk}/consents/new/"' in html
    assert 'data-gate-check="hold_unconfirmed"' in html
    assert f"/clinical/{patient.pk}/medication-hold/confirm/?next=" in html
    with pytest.raises(ValidationFailed):
        collect(course, tech)

    from tests.care.conftest import prepare

    prepare(patient, course.protocol.protocol, physician, skip=("markers", "studies"))
    page = signed_in(tech).get(f"/lab/courses/{course.pk}/collect/")
    assert 'data-gate="ready"' in page.content.decode()
    assert collect(course, tech).course_id == course.pk


@pytest.fixture
def nurse(make_staff):
    return make_staff("nurse")
