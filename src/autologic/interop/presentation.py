"""How a FHIR record copy is described to the clinic's staff: each resource type in words."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RECORD_PARTS = {
    "Patient": _("Patient details"),
    "Organization": _("The clinic"),
    "Condition": _("Diagnoses"),
    "Observation": _("Grades and scores"),
    "Consent": _("Consents"),
    "CarePlan": _("Courses of treatment"),
    "Appointment": _("Appointments"),
    "Specimen": _("Collections (blood, marrow, fat)"),
    "BiologicallyDerivedProduct": _("Products and syringes"),
    "Procedure": _("Collections and injections performed"),
    "Provenance": _("Chain of custody and signatures"),
    "QuestionnaireResponse": _("Questionnaire answers"),
    "AdverseEvent": _("Adverse events"),
    "AuditEvent": _("Access and change log"),
    "Coverage": _("Insurance"),
    "Invoice": _("Invoices"),
    "ChargeItem": _("Invoice lines"),
    "Group": _("Saved cohorts"),
}


def record_part(resource_type: str) -> str:
    """A resource type as the clinic says it (the type's own name if it has no words yet)."""
    return str(RECORD_PARTS.get(resource_type, resource_type))
