"""State changes for assessments, clinical records and eligibility decisions, each audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import models

from autologic.accounts.models import User
from autologic.accounts.roles import Role
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning, diff, jsonable
from autologic.audit.journal import audited_transaction
from autologic.clinical import choices
from autologic.clinical.domain.body import check_body
from autologic.clinical.domain.eligibility import Report
from autologic.clinical.models import (
    AffectedRegion,
    Assessment,
    Authorisation,
    ConservativeTreatment,
    EligibilityDecision,
    GateException,
    HoldConfirmation,
    ImagingStudy,
    MarkerTest,
    Medication,
    PreopStudy,
)
from autologic.clinical.queries import exceptable_gates
from autologic.common import clock
from autologic.common.domain.errors import ConflictError, PermissionRefused, ValidationFailed
from autologic.common.locks import for_update
from autologic.patients.models import Patient
from autologic.protocols.models import ProtocolVersion

if TYPE_CHECKING:
    from autologic.care.models import Course

ASSESSMENT_FIELDS = (
    "assessed_on",
    "complaint",
    "comorbidities",
    "comorbidity_notes",
    "anaesthesia_risk",
    "avoids_surgery",
    "height_cm",
    "weight_kg",
    "notes",
)
REGION_FIELDS = (
    "region",
    "side",
    "detail",
    "diagnosis",
    "grade_system",
    "grade",
    "grade_reader",
    "grade_read_on",
    "grade_notes",
)
RECORDS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "imaging": (
        ImagingStudy,
        (
            "modality",
            "region",
            "side",
            "performed_on",
            "findings",
            "cartilage",
            "cartilage_measure",
            "read_by",
        ),
    ),
    "medication": (Medication, ("name", "drug_class", "dose", "held_since", "stopped_on")),
    "study": (PreopStudy, ("kind", "performed_on", "result", "result_text")),
    "authorisation": (
        Authorisation,
        ("agency", "reference", "scope", "requested_on", "granted_on", "expires_on"),
    ),
    "marker_test": (MarkerTest, ("marker", "sampled_on", "result", "method")),
    "conservative": (
        ConservativeTreatment,
        ("treatment", "started_on", "ended_on", "result", "notes"),
    ),
}
MIN_JUSTIFICATION = 20  # characters, also checked by DecisionForm
MIN_EXCEPTION_REASON = 20  # characters, also checked by GateExceptionForm
HOLD_CONFIRMERS = (Role.PHYSICIAN, Role.NURSE)


def _values(
    model: type[models.Model], fields: tuple[str, ...], data: dict[str, Any]
) -> dict[str, Any]:
    """Take ``fields`` from ``data``; a missing value becomes the column's empty default."""
    values = {}
    for name in fields:
        value = data.get(name)
        column = model._meta.get_field(name)
        values[name] = column.get_default() if value is None and not column.null else value
    return values


def create_assessment(
    *, patient: Patient, data: dict[str, Any], by: User, now: datetime | None = None
) -> Assessment:
    """Start a dated assessment of a patient."""
    now = now or clock.now()
    values = _values(Assessment, ASSESSMENT_FIELDS, data)
    values["comorbidities"] = sorted(values["comorbidities"] or [])
    check_body(values["height_cm"], values["weight_kg"])
    with audited_transaction():
        assessment = Assessment.objects.create(
            site=patient.site, patient=patient, assessed_by=by, created_at=now, **values
        )
        record_event(
            actor=by,
            site=patient.site,
            action="assessment.create",
            object_type="patient",
            object_id=patient.pk,
            changes={"assessment_id": [None, assessment.pk], **diff({}, values)},
            now=now,
        )
    return assessment


def add_region(
    *, assessment: Assessment, data: dict[str, Any], by: User, now: datetime | None = None
) -> AffectedRegion:
    """Add an affected region (with side, diagnosis and graded imaging) to an assessment."""
    now = now or clock.now()
    values = _values(AffectedRegion, REGION_FIELDS, data)
    if values["grade"] is not None and not values["grade_system"]:
        raise ValidationFailed(
            "grade_without_system", "A grade needs its classification system.", "grade_system"
        )
    with audited_transaction():
        region = AffectedRegion.objects.create(assessment=assessment, **values)
        record_event(
            actor=by,
            site=assessment.site,
            action="assessment.region_add",
            object_type="patient",
            object_id=assessment.patient_id,
            changes={"assessment_id": assessment.pk, **diff({}, values)},
            now=now,
        )
    return region


def add_record(
    *, kind: str, patient: Patient, data: dict[str, Any], by: User, now: datetime | None = None
) -> models.Model:
    """Record imaging, a medication, a pre-operative study or an authorisation."""
    now = now or clock.now()
    model, fields = RECORDS[kind]
    values = _values(model, fields, data)
    _check_record(kind, values)
    with audited_transaction():
        row = model.objects.create(
            site=patient.site, patient=patient, recorded_by=by, recorded_at=now, **values
        )
        record_event(
            actor=by,
            site=patient.site,
            action=f"{kind}.create",
            object_type="patient",
            object_id=patient.pk,
            changes={f"{kind}_id": [None, row.pk], **diff({}, values)},
            now=now,
        )
    return row


def _check_record(kind: str, values: dict[str, Any]) -> None:
    """Rules a record keeps whoever calls: a conservative treatment ends after it starts; a
    cartilage reading belongs to an MRI and names how it was measured and who read it."""
    if kind == "imaging" and values.get("cartilage"):
        if values.get("modality") not in choices.MRI_MODALITIES:
            raise ValidationFailed(
                "cartilage_needs_mri",
                "A cartilage reading belongs to an MRI study.",
                "cartilage",
            )
        for name, why in (
            ("cartilage_measure", "Say how the cartilage was measured."),
            ("read_by", "Name the radiologist who read it."),
        ):
            if not values.get(name):
                raise ValidationFailed("cartilage_reading_incomplete", why, name)
    if kind != "conservative":
        return
    started, ended = values.get("started_on"), values.get("ended_on")
    if started is not None and ended is not None and ended < started:
        raise ValidationFailed(
            "conservative_ends_before_start",
            "The treatment ends before it starts.",
            "ended_on",
        )


def update_record(
    *,
    kind: str,
    patient: Patient,
    record_id: int,
    data: dict[str, Any],
    by: User,
    now: datetime | None = None,
) -> models.Model:
    """Change a recorded fact (e.g. confirm a medication hold, record a grant); audited."""
    now = now or clock.now()
    model, fields = RECORDS[kind]
    with audited_transaction():
        row = for_update(model.objects).get(pk=record_id, patient=patient)
        if isinstance(row, MarkerTest) and row.result != "pending":
            raise ConflictError(
                "marker_resulted",
                "This marker has its result; record a repeat test as a new result.",
            )
        before = {name: getattr(row, name) for name in fields}
        after = {**before, **_values(model, tuple(n for n in fields if n in data), data)}
        _check_record(kind, after)
        changes = diff(before, after)
        if not changes:
            return row
        for name, value in after.items():
            setattr(row, name, value)
        row.save()
        record_event(
            actor=by,
            site=patient.site,
            action=f"{kind}.update",
            object_type="patient",
            object_id=patient.pk,
            changes={f"{kind}_id": row.pk, **changes},
            now=now,
        )
    return row


def decide_eligibility(
    *,
    assessment: Assessment,
    protocol: ProtocolVersion,
    report: Report,
    regions: list[str],
    verdict: str,
    justification: str,
    proof: SignerProof,
    expected_verdict: str,
    now: datetime | None = None,
) -> EligibilityDecision:
    """Sign the physician's decision; a decision that differs from the report is an override.

    ``report`` must be computed by the caller from the current record; ``expected_verdict`` is
    the verdict the physician saw, so a record that changed meanwhile is refused, not signed.
    """
    now = now or clock.now()
    if report.verdict != expected_verdict:
        raise ConflictError(
            "stale_eligibility",
            "The record changed while you were reading the report; review it again.",
        )
    overridden = verdict != report.verdict
    justification = " ".join(justification.split())
    if overridden and len(justification) < MIN_JUSTIFICATION:
        raise ValidationFailed(
            "override_needs_justification",
            f"An override needs a justification of at least {MIN_JUSTIFICATION} characters.",
            "justification",
            {"min": MIN_JUSTIFICATION},
        )
    if proof.user.role != Role.PHYSICIAN:
        raise PermissionRefused(
            "physician_only", "Only a physician may sign an eligibility decision."
        )
    report_data = jsonable({**asdict(report), "flags": list(report.flags)})
    with audited_transaction():
        decision = EligibilityDecision.objects.create(
            site=assessment.site,
            patient_id=assessment.patient_id,
            assessment=assessment,
            protocol=protocol,
            regions=regions,
            computed_verdict=report.verdict,
            report=report_data,
            verdict=verdict,
            overridden=overridden,
            justification=justification,
            decided_by=proof.user,
            decided_at=now,
        )
        record_event(
            actor=proof.user,
            site=assessment.site,
            action="eligibility.override" if overridden else "eligibility.decide",
            object_type="patient",
            object_id=assessment.patient_id,
            changes={
                "decision_id": [None, decision.pk],
                "protocol": str(protocol),
                "computed_verdict": report.verdict,
                "verdict": [None, verdict],
                "justification": justification,
            },
            now=now,
        )
        apply_signature(
            proof,
            meaning=SignatureMeaning.APPROVED,
            object_type="eligibility",
            object_id=decision.pk,
            content={
                "patient": assessment.patient_id,
                "protocol": str(protocol),
                "report": report_data,
                "verdict": verdict,
                "justification": justification,
            },
            now=now,
        )
    return decision


def confirm_medication_hold(
    *, patient: Patient, classes: list[str], notes: str, by: User, now: datetime | None = None
) -> HoldConfirmation:
    """A clinician confirms with the patient, today, that they have taken none of the held
    drug classes; the gate before collection accepts only a confirmation made on its day."""
    now = now or clock.now()
    if by.role not in HOLD_CONFIRMERS:
        raise PermissionRefused(
            "clinician_only", "Only a physician or a nurse may confirm the medication hold."
        )
    if not classes:
        raise ValidationFailed(
            "hold_classes", "Choose the drug classes the patient has not taken.", "classes"
        )
    day = now.astimezone(ZoneInfo(patient.site.time_zone)).date()
    with audited_transaction():
        row = HoldConfirmation.objects.create(
            site=patient.site,
            patient=patient,
            recorded_by=by,
            recorded_at=now,
            confirmed_on=day,
            classes=sorted(classes),
            notes=notes.strip(),
        )
        record_event(
            actor=by,
            site=patient.site,
            action="medication_hold.confirm",
            object_type="patient",
            object_id=patient.pk,
            changes={
                "hold_confirmation_id": [None, row.pk],
                "confirmed_on": day.isoformat(),
                "classes": sorted(classes),
            },
            now=now,
        )
    return row


def sign_gate_exception(
    *, course: Course, gate: str, reason: str, proof: SignerProof, now: datetime | None = None
) -> GateException:
    """A physician excepts one gate before the course's collection, with a signed reason; only
    a gate the protocol's preparation lists under ``exceptions`` can be excepted."""
    now = now or clock.now()
    if proof.user.role != Role.PHYSICIAN:
        raise PermissionRefused(
            "physician_exception_only", "Only a physician may sign an exception to a gate."
        )
    allowed = exceptable_gates(course)
    if gate not in allowed:
        raise ValidationFailed(
            "gate_not_exceptable",
            f"This protocol allows no exception to {gate}.",
            "gate",
            {"gate": gate},
        )
    reason = " ".join(reason.split())
    if len(reason) < MIN_EXCEPTION_REASON:
        raise ValidationFailed(
            "exception_needs_reason",
            f"An exception needs a reason of at least {MIN_EXCEPTION_REASON} characters.",
            "reason",
            {"min": MIN_EXCEPTION_REASON},
        )
    with audited_transaction():
        if GateException.objects.filter(course=course, gate=gate).exists():
            raise ConflictError("gate_already_excepted", "This gate is already excepted.")
        row = GateException.objects.create(
            site=course.site,
            patient_id=course.patient_id,
            course=course,
            gate=gate,
            reason=reason,
            signed_by=proof.user,
            signed_at=now,
        )
        record_event(
            actor=proof.user,
            site=course.site,
            action="gate.exception",
            object_type="patient",
            object_id=course.patient_id,
            changes={
                "gate_exception_id": [None, row.pk],
                "course_id": course.pk,
                "gate": gate,
                "reason": reason,
            },
            now=now,
        )
        apply_signature(
            proof,
            meaning=SignatureMeaning.APPROVED,
            object_type="gate_exception",
            object_id=row.pk,
            content={
                "patient": course.patient_id,
                "course": course.pk,
                "protocol": str(course.protocol),
                "gate": gate,
                "reason": reason,
            },
            now=now,
        )
    return row
