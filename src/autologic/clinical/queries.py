"""Read side for the clinical record and the facts eligibility needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from autologic.billing.queries import deposit_facts
from autologic.clinical.domain.eligibility import (
    AuthorisationFacts,
    ConservativeFacts,
    Facts,
    MedicationFacts,
    RegionFacts,
    StudyFacts,
)
from autologic.clinical.domain.gates import (
    ConsentFacts,
    Gate,
    GateFacts,
    HoldConfirmationFacts,
    HoldEnd,
    collection_gate,
    hold_end,
)
from autologic.clinical.domain.markers import MarkerFacts, MarkerStatus, marker_status
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
from autologic.common.domain.calendars import age_on
from autologic.patients.models import Consent, Patient

if TYPE_CHECKING:
    from autologic.care.models import Course


@dataclass
class ClinicalRecord:
    """Everything on a patient's clinical page, loaded in a fixed number of queries."""

    patient: Patient
    assessments: list[Assessment]
    imaging: list[ImagingStudy]
    medications: list[Medication]
    studies: list[PreopStudy]
    authorisations: list[Authorisation]
    decisions: list[EligibilityDecision]
    marker_tests: list[MarkerTest]
    hold_confirmations: list[HoldConfirmation]
    conservative: list[ConservativeTreatment]


def clinical_record(patient: Patient) -> ClinicalRecord:
    """Load the patient's assessments (with regions) and recorded facts."""
    return ClinicalRecord(
        patient=patient,
        assessments=list(
            Assessment.objects.filter(patient=patient)
            .select_related("assessed_by")
            .prefetch_related("regions")
        ),
        imaging=list(ImagingStudy.objects.filter(patient=patient)),
        medications=list(Medication.objects.filter(patient=patient)),
        studies=list(PreopStudy.objects.filter(patient=patient)),
        authorisations=list(Authorisation.objects.filter(patient=patient)),
        decisions=list(
            EligibilityDecision.objects.filter(patient=patient).select_related(
                "protocol", "decided_by"
            )
        ),
        marker_tests=list(MarkerTest.objects.filter(patient=patient)),
        hold_confirmations=list(
            HoldConfirmation.objects.filter(patient=patient).select_related("recorded_by")[:5]
        ),
        conservative=list(ConservativeTreatment.objects.filter(patient=patient)),
    )


def region_facts(region: AffectedRegion) -> RegionFacts:
    """One region as plain values."""
    return RegionFacts(
        region=region.region,
        side=region.side,
        detail=region.detail,
        diagnosis=region.diagnosis,
        grade_system=region.grade_system,
        grade=region.grade,
    )


def facts_for(
    assessment: Assessment,
    regions: list[AffectedRegion],
    *,
    today: date,
    planned_collection: date | None = None,
) -> Facts:
    """Collect the facts eligibility needs for the chosen regions of an assessment."""
    patient = assessment.patient
    return Facts(
        today=today,
        age=age_on(patient.date_of_birth, today),
        regions=tuple(region_facts(r) for r in regions),
        comorbidities=frozenset(assessment.comorbidities),
        anaesthesia_risk=assessment.anaesthesia_risk,
        avoids_surgery=assessment.avoids_surgery,
        medications=tuple(
            MedicationFacts(m.name, m.drug_class, m.held_since)
            for m in Medication.objects.filter(patient=patient, stopped_on__isnull=True)
        ),
        studies=tuple(
            StudyFacts(s.kind, s.performed_on, s.result)
            for s in PreopStudy.objects.filter(patient=patient)
        ),
        authorisations=tuple(
            AuthorisationFacts(a.agency, a.scope, a.reference, a.granted_on, a.expires_on)
            for a in Authorisation.objects.filter(patient=patient)
        ),
        conservative=tuple(
            ConservativeFacts(c.treatment, c.started_on, c.ended_on, c.result)
            for c in ConservativeTreatment.objects.filter(patient=patient)
        ),
        planned_collection=planned_collection,
    )


def medication_facts(patient: Patient) -> tuple[MedicationFacts, ...]:
    """Every medication on file (current, on hold or stopped), as plain values."""
    return tuple(
        MedicationFacts(m.name, m.drug_class, m.held_since, m.stopped_on)
        for m in Medication.objects.filter(patient_id=patient.pk)
    )


def gate_facts(course: Course, day: date, today: date) -> GateFacts:
    """What the gate before collection looks at, for a course's collection on ``day``."""
    patient_id = course.patient_id
    decision = course.decision
    zone = ZoneInfo(course.site.time_zone)
    return GateFacts(
        day=day,
        today=today,
        decision_verdict=decision.verdict,
        decided_on=decision.decided_at.astimezone(zone).date(),
        medications=medication_facts(course.patient),
        studies=tuple(
            StudyFacts(s.kind, s.performed_on, s.result)
            for s in PreopStudy.objects.filter(patient_id=patient_id)
        ),
        authorisations=tuple(
            AuthorisationFacts(a.agency, a.scope, a.reference, a.granted_on, a.expires_on)
            for a in Authorisation.objects.filter(patient_id=patient_id)
        ),
        hold_confirmations=tuple(
            HoldConfirmationFacts(h.confirmed_on, frozenset(h.classes))
            for h in HoldConfirmation.objects.filter(patient_id=patient_id, confirmed_on=day)
        ),
        consents=tuple(
            ConsentFacts(c.kind, c.procedure, c.given_on)
            for c in Consent.objects.filter(patient_id=patient_id, kind="treatment")
        ),
        exceptions=frozenset(
            GateException.objects.filter(course=course).values_list("gate", flat=True)
        ),
        deposit=deposit_facts(course),
    )


def exceptable_gates(course: Course) -> list[str]:
    """The gates a physician may except for this course: the protocol's, and the clinic's
    deposit where the clinic asks for one."""
    gates = list(course.plan.preparation.exceptions)
    if deposit_facts(course) is not None:
        gates.append("deposit")
    return gates


def course_gate(course: Course, day: date, today: date) -> Gate:
    """The gate before a course's collection on ``day``: the page shows it, the action enforces
    it (``clinical.domain.gates.collection_gate``)."""
    return collection_gate(course.plan, gate_facts(course, day, today))


def course_hold_end(course: Course) -> HoldEnd:
    """The earliest day the medication hold allows the course's collection."""
    hold = course.plan.preparation.medication_hold
    return hold_end(hold, medication_facts(course.patient))


def course_markers(course: Course, day: date) -> MarkerStatus:
    """The infectious-disease status of a donation taken for the course on ``day``."""
    tests = tuple(
        MarkerFacts(t.marker, t.sampled_on, t.result)
        for t in MarkerTest.objects.filter(patient_id=course.patient_id)
    )
    return marker_status(course.plan.preparation.markers, tests, day)
