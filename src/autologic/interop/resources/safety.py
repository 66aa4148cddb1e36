"""AdverseEvent (``adverse_events.AdverseEvent``) and AuditEvent (``audit.AuditEvent``)."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Q, QuerySet
from django.db.models.functions import Cast

from autologic.adverse_events.domain import ctcae
from autologic.adverse_events.models import AdverseEvent
from autologic.audit.models import AuditEvent
from autologic.interop.domain.search import Kind, is_key
from autologic.interop.resources.base import (
    Context,
    Include,
    Parameter,
    Part,
    Resource,
    Row,
    ids,
    instant,
    one,
    reference_id,
    references,
    updated,
)
from autologic.interop.resources.people import of_patients, patients

# --- AdverseEvent ----------------------------------------------------------------------------

MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
CAUSALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"

SEVERITY = {1: "mild", 2: "moderate", 3: "severe", 4: "severe", 5: "severe"}
OUTCOME = {  # ICH E2B(R3) E.i.7 → R4 adverse-event-outcome (required binding)
    "recovered": ("resolved", "Resolved"),
    "recovering": ("recovering", "Recovering"),
    "not_recovered": ("ongoing", "Ongoing"),
    "recovered_with_sequelae": ("resolvedWithSequelae", "Resolved with Sequelae"),
    "fatal": ("fatal", "Fatal"),
    "unknown": ("unknown", "Unknown"),
}
# The five-step relatedness → WHO-UMC causality (R4 adverse-event-causality-assess); "not
# related" has no WHO-UMC category and is sent as text only.
CAUSALITY = {
    "definite": ("Certain", "Definite"),
    "probable": ("Probably-Likely", "Probable"),
    "possible": ("Possible", "Possible"),
    "unlikely": ("Unlikely", "Unlikely"),
    "not_related": (None, "Not related"),
}


def _term(row: Row) -> tuple[str, str]:
    """The MedDRA display of the coded term and the term as reported."""
    if row["term"] == ctcae.OTHER:
        name = ctcae.OTHER_TERMS.get(row["soc"], (0, "Other, specify"))[1]
        return name, f"{name}: {row['term_other']}" if row["term_other"] else name
    term = ctcae.BY_CODE.get(row["term"])
    name = term.name if term is not None else row["term"]
    return name, name


def _causality(value: str, what: str) -> dict[str, Any]:
    code, label = CAUSALITY.get(value, (None, value))
    assessment: dict[str, Any] = {"text": f"Related to the {what}: {label}"}
    if code is not None:
        assessment["coding"] = [{"system": CAUSALITY_SYSTEM, "code": code}]
    return {"assessment": assessment, "productRelatedness": what}


def adverse_event_to_fhir(row: Row, context: Context) -> Resource:
    display, text = _term(row)
    outcome, outcome_display = OUTCOME.get(row["outcome"], ("unknown", "Unknown"))
    severity = SEVERITY[row["grade"]]
    resource: Resource = {
        "resourceType": "AdverseEvent",
        "id": str(row["id"]),
        "meta": {"versionId": str(row["version"]), "lastUpdated": instant(row["updated_at"])},
        "extension": [
            {
                "url": context.system("StructureDefinition/ctcae-grade"),
                "valueInteger": row["grade"],
            },
            {
                "url": context.system("StructureDefinition/ctcae-version"),
                "valueString": row["ctcae_version"],
            },
        ],
        "actuality": "actual",
        "category": [
            {
                "coding": [
                    {
                        "system": context.system("CodeSystem/ctcae-soc"),
                        "code": row["soc"],
                        "display": ctcae.SOCS.get(row["soc"], row["soc"]),
                    }
                ]
            }
        ],
        "event": {
            "coding": [{"system": MEDDRA, "code": str(row["meddra_code"]), "display": display}],
            "text": text,
        },
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "date": instant(row["onset_at"]),
        "recordedDate": instant(row["recorded_at"]),
        "seriousness": {
            "coding": [
                {
                    "system": SERIOUSNESS_SYSTEM,
                    "code": "Serious" if row["serious"] else "Non-serious",
                    "display": "Serious" if row["serious"] else "Non-serious",
                }
            ]
        },
        "severity": {
            "coding": [
                {"system": SEVERITY_SYSTEM, "code": severity, "display": severity.capitalize()}
            ]
        },
        "outcome": {
            "coding": [{"system": OUTCOME_SYSTEM, "code": outcome, "display": outcome_display}]
        },
        "recorder": {"reference": f"Practitioner/{row['reporter_id']}"},
    }
    if row["administration_id"] is not None:
        # R4 allows no BiologicallyDerivedProduct here: the injection Procedure stands for it.
        resource["suspectEntity"] = [
            {
                "instance": {"reference": f"Procedure/inj-{row['administration_id']}"},
                "causality": [
                    _causality(row["related_product"], "product"),
                    _causality(row["related_procedure"], "procedure"),
                ],
            }
        ]
    return resource


def adverse_events(context: Context) -> QuerySet[Any]:
    return of_patients(AdverseEvent.objects.all(), context)


ADVERSE_EVENT = one(
    "AdverseEvent",
    Part(
        model=AdverseEvent,
        fields=(
            "id",
            "patient_id",
            "administration_id",
            "ctcae_version",
            "term",
            "term_other",
            "soc",
            "meddra_code",
            "grade",
            "serious",
            "related_product",
            "related_procedure",
            "onset_at",
            "outcome",
            "reporter_id",
            "recorded_at",
            "updated_at",
            "version",
        ),
        to_fhir=adverse_event_to_fhir,
        visible=adverse_events,
        filters={
            "_id": ids,
            "subject": references("patient"),
            "patient": references("patient"),
            "date": updated("onset_at"),
            "_lastUpdated": updated("updated_at"),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The adverse event's id."),
        "subject": Parameter(Kind.REFERENCE, "The patient.", "Patient"),
        "patient": Parameter(Kind.REFERENCE, "The patient (same as subject).", "Patient"),
        "date": Parameter(Kind.DATE, "The onset."),
        "_lastUpdated": Parameter(Kind.DATE, "When the record last changed."),
    },
    {
        "AdverseEvent:subject": Include(
            "Patient", lambda r: reference_id(r.get("subject"), "Patient")
        )
    },
)


# --- AuditEvent ------------------------------------------------------------------------------

AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
REST = {"system": AUDIT_TYPE, "code": "rest", "display": "RESTful Operation"}
PATIENT_RECORD = {"system": DICOM, "code": "110110", "display": "Patient Record"}
INTERACTION = "http://hl7.org/fhir/restful-interaction"
SUBTYPES = {
    "fhir.read": {"system": INTERACTION, "code": "read", "display": "read"},
    "fhir.search": {"system": INTERACTION, "code": "search-type", "display": "search type"},
}
SERVER = {
    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
    "code": "4",
    "display": "Application Server",
}
PERSON = {
    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
    "code": "1",
    "display": "Person",
}
SYSTEM_OBJECT = {
    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
    "code": "2",
    "display": "System Object",
}
PATIENT_ROLE = {
    "system": "http://terminology.hl7.org/CodeSystem/object-role",
    "code": "1",
    "display": "Patient",
}
# The verb of an action (its segments after the first, right to left) → R4 audit-event-action.
VERBS = {
    "read": "R",
    "export_download": "R",
    "link_opened": "R",
    "print": "R",
    "search": "E",
    "token": "E",
    "export": "E",
    "export_request": "E",
    "claims_check_request": "E",
    "throttled": "E",
    "failed": "E",
    "refused": "E",
    "create": "C",
    "add": "C",
    "record": "C",
    "submitted": "C",
    "issue": "C",
    "enrol": "C",
    "load": "C",
    "save": "C",
    "place": "C",
    "result": "C",
    "token_minted": "C",
    "link_issued": "C",
    "licence_recorded": "C",
    "text_supplied": "C",
    "threshold_chosen": "C",
    "delete": "D",
}


def action_code(action: str) -> str:
    """C, R, U, D or E for an audit action such as ``patient.read`` or ``prom.submitted``
    (a state change not listed is an update)."""
    for verb in reversed(action.split(".")[1:]):
        if verb in VERBS:
            return VERBS[verb]
    return "U"


def audit_to_fhir(row: Row, context: Context) -> Resource:
    action = row["action"]
    who: dict[str, Any] = {"display": row["actor_name"] or "unknown"}
    if row["actor_id"] is not None and row["actor__role"]:
        who = {"reference": f"Practitioner/{row['actor_id']}", "display": row["actor_name"]}
    resource: Resource = {
        "resourceType": "AuditEvent",
        "id": str(row["id"]),
        "meta": {"lastUpdated": instant(row["occurred_at"])},
        "type": REST if action.startswith("fhir.") else PATIENT_RECORD,
    }
    resource["subtype"] = [
        *([SUBTYPES[action]] if action in SUBTYPES else []),
        {"system": context.system("CodeSystem/audit-action"), "code": action},
    ]
    resource |= {
        "action": action_code(action),
        "recorded": instant(row["occurred_at"]),
        "outcome": "0",
        "agent": [{"who": who, "requestor": True}],
        "source": {
            "observer": {"reference": f"Organization/{context.site.pk}"},
            "type": [SERVER],
        },
    }
    if row["object_type"] == "patient" and is_key(row["object_id"]):
        resource["entity"] = [
            {
                "what": {"reference": f"Patient/{row['object_id']}"},
                "type": PERSON,
                "role": PATIENT_ROLE,
            }
        ]
    elif row["object_type"]:
        resource["entity"] = [
            {"type": SYSTEM_OBJECT, "name": f"{row['object_type']} {row['object_id']}".strip()}
        ]
    return resource


def audit_events(context: Context) -> QuerySet[Any]:
    """The clinic's audit trail; a registry client sees only the events naming a patient whose
    registry consent stands (and none of the rest)."""
    query = AuditEvent.objects.filter(site=context.site).annotate(id=F("seq"))
    if context.purpose == "registry":
        consenting = patients(context).annotate(key=Cast("pk", CharField())).values("key")
        query = query.filter(object_type="patient", object_id__in=consenting)
    return query


def _about_patients(values: list[Any], _context: Context) -> Q:
    keys = [v for v in values if isinstance(v, str) and is_key(v)]
    return Q(object_type="patient", object_id__in=keys)


AUDIT_EVENT = one(
    "AuditEvent",
    Part(
        model=AuditEvent,
        fields=(
            "id",
            "occurred_at",
            "actor_id",
            "actor__role",
            "actor_name",
            "action",
            "object_type",
            "object_id",
        ),
        to_fhir=audit_to_fhir,
        visible=audit_events,
        filters={
            "_id": ids,
            "patient": _about_patients,
            "date": updated("occurred_at"),
            "_lastUpdated": updated("occurred_at"),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The event's sequence number."),
        "patient": Parameter(Kind.REFERENCE, "The patient the event is about.", "Patient"),
        "date": Parameter(Kind.DATE, "When the event occurred."),
        "_lastUpdated": Parameter(Kind.DATE, "When the event was recorded (events never change)."),
    },
)

TYPES = (ADVERSE_EVENT, AUDIT_EVENT)
