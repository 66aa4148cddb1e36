"""Condition (an assessed region with its side and diagnosis), Observation ``kl-`` (the region's
radiographic grade, with its classification system) and Consent.

Laterality: ``bodySite`` codes the joint with the platform's ``body-site`` CodeSystem and
carries the side in the extension ``{NS}/StructureDefinition/laterality`` (valueCodeableConcept:
SNOMED 419161000 "Unilateral left" / 419465000 "Unilateral right" from the R4 ValueSet
``bodysite-laterality``, always with the platform's ``side`` coding, which alone codes
``midline``).  A region without a side has no extension."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote

from django.db.models import Q, QuerySet
from django.utils.translation import override

from autologic.clinical.models import AffectedRegion, Assessment
from autologic.interop.domain.search import DateRange, Kind, Token
from autologic.interop.resources import coding
from autologic.interop.resources.base import (
    NOTHING,
    Context,
    Include,
    Parameter,
    Part,
    Resource,
    ResourceType,
    Row,
    ids,
    ids_with,
    one,
    reference_id,
    references,
)
from autologic.interop.resources.people import of_patients
from autologic.patients.models import CONSENT_KINDS, Consent

CLINICAL_STATUS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active",
            "display": "Active",
        }
    ]
}
VERIFICATION_STATUS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed",
            "display": "Confirmed",
        }
    ]
}
CONDITION_CATEGORY = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "encounter-diagnosis",
                "display": "Encounter Diagnosis",
            }
        ]
    }
]
IMAGING = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "imaging",
                "display": "Imaging",
            }
        ]
    }
]
CONSENT_SCOPES = "http://terminology.hl7.org/CodeSystem/consentscope"
# Each consent kind's scope (consentscope is a required binding): a treatment consent is
# `treatment`; every consent about the use of the patient's data or contact details (GDPR data
# processing, research use, the outcome registry, reminders) is `patient-privacy`.
CONSENT_SCOPE = {
    "treatment": ("treatment", "Treatment"),
    "data_processing": ("patient-privacy", "Privacy Consent"),
    "research": ("patient-privacy", "Privacy Consent"),
    "registry": ("patient-privacy", "Privacy Consent"),
    "contact": ("patient-privacy", "Privacy Consent"),
}
PATIENT_CONSENT = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}


@cache
def consent_labels() -> dict[str, str]:
    with override("en"):
        return {code: str(label) for code, label in CONSENT_KINDS}


def body_site(row: Row, context: Context) -> dict[str, Any]:
    """The region's joint and side (``coding.body_site``) with its detail (e.g. L4-L5)."""
    return coding.body_site(context, row["region"], row["side"], row["detail"])


def regions(context: Context) -> QuerySet[Any]:
    """The clinic's assessed regions of patients the client may see."""
    return AffectedRegion.objects.filter(
        assessment__in=of_patients(Assessment.objects.all(), context).values("pk")
    )


REGION_FIELDS = (
    "id",
    "region",
    "side",
    "detail",
    "diagnosis",
    "grade_system",
    "grade",
    "grade_reader",
    "grade_read_on",
    "grade_notes",
    "assessment__patient_id",
    "assessment__assessed_on",
    "assessment__assessed_by_id",
)


def condition_to_fhir(row: Row, context: Context) -> Resource:
    diagnosis = row["diagnosis"]
    resource: Resource = {
        "resourceType": "Condition",
        "id": str(row["id"]),
        "clinicalStatus": CLINICAL_STATUS,
        "verificationStatus": VERIFICATION_STATUS,
        "category": CONDITION_CATEGORY,
        "code": {
            "coding": [
                {
                    "system": context.system("CodeSystem/diagnosis"),
                    "code": diagnosis,
                    "display": coding.clinical_labels("DIAGNOSES")[diagnosis],
                }
            ],
            "text": coding.clinical_labels("DIAGNOSES")[diagnosis],
        },
        "bodySite": [body_site(row, context)],
        "subject": {"reference": f"Patient/{row['assessment__patient_id']}"},
        "recordedDate": row["assessment__assessed_on"].isoformat(),
        "recorder": {"reference": f"Practitioner/{row['assessment__assessed_by_id']}"},
    }
    if row["grade"] is not None:
        resource["evidence"] = [{"detail": [{"reference": f"Observation/kl-{row['id']}"}]}]
    return resource


def _by_code(column: str, system_path: str) -> Any:
    def among(values: list[Any], context: Context) -> Q:
        mine = context.system(system_path)
        codes = [v.code for v in values if isinstance(v, Token) and v.system in (None, mine)]
        return Q(**{f"{column}__in": codes}) if codes else NOTHING

    return among


def _patient(resource: Resource) -> list[str]:
    return reference_id(resource.get("subject"), "Patient")


CONDITION = one(
    "Condition",
    Part(
        model=AffectedRegion,
        fields=REGION_FIELDS,
        to_fhir=condition_to_fhir,
        visible=regions,
        filters={
            "_id": ids,
            "patient": references("assessment__patient"),
            "code": _by_code("diagnosis", "CodeSystem/diagnosis"),
            "body-site": _by_code("region", "CodeSystem/body-site"),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The assessed region's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient assessed.", "Patient"),
        "code": Parameter(Kind.TOKEN, "The diagnosis (platform CodeSystem diagnosis)."),
        "body-site": Parameter(Kind.TOKEN, "The region (platform CodeSystem body-site)."),
    },
    {"Condition:patient": Include("Patient", _patient)},
)


def _by_category(values: list[Any], _context: Context) -> Q:
    system = IMAGING[0]["coding"][0]["system"]
    wanted = any(
        isinstance(v, Token) and v.code == "imaging" and v.system in (None, system) for v in values
    )
    return Q() if wanted else NOTHING


def _read_on(values: list[Any], _context: Context) -> Q:
    """``date``: the imaging day (taken in UTC, as a search date without a time is) overlaps
    every range given; a grade without its imaging date matches no date."""
    query = Q(grade_read_on__isnull=False)
    for value in values:
        assert isinstance(value, DateRange)
        if value.start is not None:
            query &= Q(grade_read_on__gte=value.start.date())
        if value.end is not None:
            midnight = value.end.time() == value.end.min.time()
            query &= Q(
                **{"grade_read_on__lt" if midnight else "grade_read_on__lte": value.end.date()}
            )
    return query


def graded(context: Context) -> QuerySet[Any]:
    return regions(context).filter(grade__isnull=False)


def grade_to_fhir(row: Row, context: Context) -> Resource:
    system = row["grade_system"]
    resource: Resource = {
        "resourceType": "Observation",
        "id": f"kl-{row['id']}",
        "status": "final",
        "category": IMAGING,
        "code": {
            "coding": [
                {
                    "system": context.system("CodeSystem/grade-system"),
                    "code": system,
                    "display": coding.clinical_labels("GRADE_SYSTEMS")[system],
                }
            ],
            "text": coding.clinical_labels("GRADE_SYSTEMS")[system],
        },
        "subject": {"reference": f"Patient/{row['assessment__patient_id']}"},
    }
    if row["grade_read_on"] is not None:
        resource["effectiveDateTime"] = row["grade_read_on"].isoformat()
    if row["grade_reader"]:
        resource["performer"] = [{"display": row["grade_reader"]}]
    resource["valueInteger"] = row["grade"]
    if row["grade_notes"]:
        resource["note"] = [{"text": row["grade_notes"]}]
    resource["bodySite"] = body_site(row, context)
    return resource


GRADE = one(
    "Observation",
    Part(
        model=AffectedRegion,
        fields=REGION_FIELDS,
        to_fhir=grade_to_fhir,
        visible=graded,
        filters={
            "_id": ids_with("kl-"),
            "patient": references("assessment__patient"),
            "subject": references("assessment__patient"),
            "code": _by_code("grade_system", "CodeSystem/grade-system"),
            "category": _by_category,
            "date": _read_on,
        },
        prefix="kl-",
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The observation's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient observed.", "Patient"),
        "subject": Parameter(Kind.REFERENCE, "The patient observed.", "Patient"),
        "code": Parameter(Kind.TOKEN, "What was observed (a grading system or a score)."),
        "category": Parameter(Kind.TOKEN, "The category (radiographic grades: imaging)."),
        "date": Parameter(Kind.DATE, "When it was observed (a grade: the imaging day)."),
    },
    {"Observation:patient": Include("Patient", _patient)},
)


def consents(context: Context) -> QuerySet[Any]:
    return of_patients(Consent.objects.all(), context)


def consent_to_fhir(row: Row, context: Context) -> Resource:
    kind, withdrawn_on = row["kind"], row["withdrawal__withdrawn_on"]
    scope, scope_display = CONSENT_SCOPE[kind]
    patient = f"Patient/{row['patient_id']}"
    signer: dict[str, Any] = {"display": row["signed_by"]}
    if row["signer_relation"] == "self":
        signer["reference"] = patient
    period = {"start": row["given_on"].isoformat()}
    if withdrawn_on is not None:
        period["end"] = withdrawn_on.isoformat()
    provision: dict[str, Any] = {"type": "permit", "period": period}
    if row["procedure"]:
        provision["code"] = [
            {
                "coding": [
                    {"system": context.system("CodeSystem/protocol"), "code": row["procedure"]}
                ]
            }
        ]
    return {
        "resourceType": "Consent",
        "id": str(row["id"]),
        "status": "inactive" if withdrawn_on is not None else "active",
        "scope": {"coding": [{"system": CONSENT_SCOPES, "code": scope, "display": scope_display}]},
        "category": [
            {
                "coding": [
                    PATIENT_CONSENT,
                    {
                        "system": context.system("CodeSystem/consent-kind"),
                        "code": kind,
                        "display": consent_labels()[kind],
                    },
                ],
                "text": consent_labels()[kind],
            }
        ],
        "patient": {"reference": patient},
        "dateTime": row["given_on"].isoformat(),
        "performer": [signer],
        "organization": [{"reference": f"Organization/{row['site_id']}"}],
        # ppc-1 asks for a policy: the signed form, by kind and form version.
        "policy": [
            {
                "uri": context.system(
                    f"consent-form/{quote(kind, safe='')}/{quote(row['form_version'], safe='')}"
                )
            }
        ],
        "provision": provision,
    }


def _consent_status(values: list[Any], _context: Context) -> Q:
    codes = {v.code for v in values if isinstance(v, Token)}
    query = NOTHING
    if "active" in codes:
        query |= Q(withdrawal__isnull=True)
    if "inactive" in codes:
        query |= Q(withdrawal__isnull=False)
    return query


CONSENT = one(
    "Consent",
    Part(
        model=Consent,
        fields=(
            "id",
            "site_id",
            "patient_id",
            "kind",
            "form_version",
            "given_on",
            "signed_by",
            "signer_relation",
            "procedure",
            "withdrawal__withdrawn_on",
        ),
        to_fhir=consent_to_fhir,
        visible=consents,
        filters={"_id": ids, "patient": references("patient"), "status": _consent_status},
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The consent's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient who consented.", "Patient"),
        "status": Parameter(Kind.TOKEN, "active, or inactive once withdrawn."),
    },
    {"Consent:patient": Include("Patient", lambda r: reference_id(r.get("patient"), "Patient"))},
)

TYPES: tuple[ResourceType, ...] = (CONDITION, GRADE, CONSENT)
