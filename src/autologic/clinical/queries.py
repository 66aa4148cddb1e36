"""Read side for the clinical record and the facts eligibility needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from autologic.clinical.domain.eligibility import (
    AuthorisationFacts,
    Facts,
    MedicationFacts,
    RegionFacts,
    StudyFacts,
)
from autologic.clinical.models import (
    AffectedRegion,
    Assessment,
    Authorisation,
    EligibilityDecision,
    ImagingStudy,
    Medication,
    PreopStudy,
)
from autologic.common.domain.calendars import age_on
from autologic.patients.models import Patient


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
        planned_collection=planned_collection,
    )
