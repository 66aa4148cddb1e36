"""CarePlan (a treatment course), PlanDefinition (a protocol version the clinic's courses follow)
and Appointment (a planned event of a course).

A CarePlan instantiates ``{NS}/PlanDefinition/<protocol code>|<version>``, the canonical (with
version) of the PlanDefinition whose id is the protocol version's primary key.  R4
``Appointment.basedOn`` may only be a ServiceRequest, so an appointment names its course in
``supportingInformation``."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import override

from autologic.care import choices
from autologic.care.models import Appointment, Booking, Course
from autologic.interop.domain.search import DateRange, Kind, Token, is_key
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
    instant,
    one,
    reference_id,
    references,
)
from autologic.interop.resources.coding import product_identifier, product_systems
from autologic.interop.resources.people import of_patients
from autologic.protocols.models import ProtocolVersion

# care.choices.COURSE_STATUSES → R4 request-status (required binding).
CAREPLAN_STATUS = {
    "waiting": "active",  # agreed and in force, waiting for its bookings
    "scheduled": "active",
    "attention": "active",  # still in force; scheduling needs a person
    "completed": "completed",
    "cancelled": "revoked",
}
# care.choices.APPOINTMENT_STATUSES → R4 appointmentstatus (required binding).
APPOINTMENT_STATUS = {
    "unscheduled": "proposed",  # no time yet
    "planned": "booked",
    "due": "proposed",  # expected within its window (requestedPeriod), not booked
    "done": "fulfilled",
    "missed": "noshow",
    "cancelled": "cancelled",
}
# R4 protocol status (publication-status, required) from protocols.STATUS_CHOICES.
PLAN_STATUS = {"active": "active", "draft": "draft", "retired": "retired"}
CLINICAL_PROTOCOL = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
            "code": "clinical-protocol",
            "display": "Clinical Protocol",
        }
    ]
}
# Appointment statuses R4 lets go without start and end (invariant app-3).
UNTIMED = frozenset({"proposed", "cancelled", "waitlist"})


@cache
def event_labels() -> dict[str, str]:
    with override("en"):
        return {code: str(label) for code, label in choices.EVENT_KINDS}


def canonical(context: Context, code: str) -> str:
    return context.system(f"PlanDefinition/{code}")


def _patient(resource: Resource) -> list[str]:
    return reference_id(resource.get("subject"), "Patient")


# --- CarePlan ---------------------------------------------------------------------------------


def _span(aggregate: type[Min] | type[Max], column: str) -> Subquery:
    """The first or last time of a course's appointments, one course at a time: a grouped join
    would read every appointment before the page's first course (quadratic over an export)."""
    of_course = Appointment.objects.filter(course=OuterRef("pk")).order_by().values("course")
    return Subquery(of_course.annotate(moment=aggregate(column)).values("moment")[:1])


def courses(context: Context) -> QuerySet[Any]:
    """The clinic's courses of patients the client may see, with the span of their events."""
    return of_patients(Course.objects.all(), context).annotate(
        first_start=_span(Min, "starts_at"), last_end=_span(Max, "ends_at")
    )


def careplan_to_fhir(row: Row, context: Context) -> Resource:
    identifiers = [
        {
            "use": "official",
            "system": context.system(f"sid/course/{context.site.code}"),
            "value": str(row["id"]),
        }
    ]
    if row["chain__identifier"]:
        identifiers.append(
            {"use": "secondary", **product_identifier(context, "coi", row["chain__identifier"])}
        )
    period: dict[str, str] = {
        "start": instant(row["first_start"])
        if row["first_start"] is not None
        else row["earliest_start"].isoformat()
    }
    if row["last_end"] is not None:
        period["end"] = instant(row["last_end"])
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": str(row["id"]),
        "identifier": identifiers,
        "instantiatesCanonical": [
            f"{canonical(context, row['protocol__code'])}|{row['protocol__version']}"
        ],
        "status": CAREPLAN_STATUS[row["status"]],
        "intent": "plan",
        "title": row["protocol__title"],
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "period": period,
        "created": instant(row["created_at"]),
        "author": {"reference": f"Practitioner/{row['created_by_id']}"},
    }
    if row["notes"]:
        resource["note"] = [{"text": row["notes"]}]
    return resource


def _course_identifier(values: list[Any], context: Context) -> Q:
    mine, coi = context.system(f"sid/course/{context.site.code}"), product_systems(context, "coi")
    query = NOTHING
    for value in values:
        if not isinstance(value, Token):
            continue
        if value.system in (None, mine) and is_key(value.code):
            query |= Q(pk=int(value.code))
        if value.system is None or value.system in coi:
            query |= Q(chain__identifier=value.code)
    return query


def _status(mapping: dict[str, str]) -> Any:
    def among(values: list[Any], _context: Context) -> Q:
        codes = {v.code for v in values if isinstance(v, Token)}
        states = [state for state, code in mapping.items() if code in codes]
        return Q(status__in=states) if states else NOTHING

    return among


CAREPLAN = one(
    "CarePlan",
    Part(
        model=Course,
        fields=(
            "id",
            "patient_id",
            "status",
            "earliest_start",
            "notes",
            "created_at",
            "created_by_id",
            "protocol__code",
            "protocol__version",
            "protocol__title",
            "chain__identifier",
            "first_start",
            "last_end",
        ),
        to_fhir=careplan_to_fhir,
        visible=courses,
        filters={
            "_id": ids,
            "patient": references("patient"),
            "identifier": _course_identifier,
            "status": _status(CAREPLAN_STATUS),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The course's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient treated.", "Patient"),
        "identifier": Parameter(Kind.TOKEN, "The course number or the chain-of-identity (CoI)."),
        "status": Parameter(Kind.TOKEN, "active, completed or revoked."),
    },
    {
        "CarePlan:patient": Include("Patient", _patient),
    },
)


# --- PlanDefinition ---------------------------------------------------------------------------


def protocol_versions(context: Context) -> QuerySet[Any]:
    """The protocol versions the clinic's courses (that the client may see) follow."""
    return ProtocolVersion.objects.filter(
        pk__in=of_patients(Course.objects.all(), context).values("protocol_id")
    )


def machine_name(code: str, version: int) -> str:
    """A PlanDefinition.name (pdf-0: starts with a capital, letters, digits and _)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", code) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Protocol"
    if not name[0].isalpha():
        name = f"Protocol{name}"
    return f"{name}V{version}"


def plandefinition_to_fhir(row: Row, context: Context) -> Resource:
    return {
        "resourceType": "PlanDefinition",
        "id": str(row["id"]),
        "url": canonical(context, row["code"]),
        "identifier": [{"system": context.system("sid/protocol"), "value": row["code"]}],
        "version": str(row["version"]),
        "name": machine_name(row["code"], row["version"]),
        "title": row["title"],
        "type": CLINICAL_PROTOCOL,
        "status": PLAN_STATUS[row["status"]],
    }


PLANDEFINITION = one(
    "PlanDefinition",
    Part(
        model=ProtocolVersion,
        fields=("id", "code", "version", "title", "status"),
        to_fhir=plandefinition_to_fhir,
        visible=protocol_versions,
        filters={"_id": ids},
    ),
    {"_id": Parameter(Kind.TOKEN, "The protocol version's id.")},
)


# --- Appointment ------------------------------------------------------------------------------


def _booked(kind: str, column: str) -> Subquery:
    """One column of the resource of ``kind`` the appointment is booked on (the first)."""
    return Subquery(
        Booking.objects.filter(appointment=OuterRef("pk"), resource__kind=kind)
        .order_by("pk")
        .values(column)[:1]
    )


def appointments(context: Context) -> QuerySet[Any]:
    """The clinic's appointments of patients the client may see, with the room and the
    clinician they are booked on (in the same query)."""
    return Appointment.objects.filter(
        course__in=of_patients(Course.objects.all(), context).values("pk")
    ).annotate(
        room_name=_booked("room", "resource__name"),
        clinician_name=_booked("clinician", "resource__name"),
        clinician_staff=_booked("clinician", "resource__staff_id"),
    )


def _day(day: date, zone: ZoneInfo) -> str:
    return instant(datetime.combine(day, time(0), tzinfo=zone))


def appointment_to_fhir(row: Row, context: Context) -> Resource:
    status = APPOINTMENT_STATUS[row["status"]]
    start, end = row["starts_at"], row["ends_at"]
    if start is None and status not in UNTIMED:
        # R4 needs a time here (app-3).  An event done within its due window without a booked
        # time (a questionnaire timepoint) is timed when it was marked done; failing that, its
        # due day; an event with neither is only proposed.
        start = row["done_at"]
        if start is None and row["due_on"] is not None:
            start = datetime.combine(
                row["due_on"], time(0), tzinfo=ZoneInfo(context.site.time_zone)
            )
        if start is None:
            status = "proposed"
        end = start
    kind = row["kind"]
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(row["id"]),
        "identifier": [
            {
                "system": context.system(f"sid/appointment/{context.site.code}"),
                "value": str(row["id"]),
            }
        ],
        "status": status,
        "serviceType": [
            {
                "coding": [
                    {
                        "system": context.system("CodeSystem/event-kind"),
                        "code": kind,
                        "display": event_labels()[kind],
                    }
                ],
                "text": row["key"],
            }
        ],
        "description": event_labels()[kind] + (f" ({row['key']})" if row["key"] != kind else ""),
        "supportingInformation": [{"reference": f"CarePlan/{row['course_id']}"}],
    }
    if start is not None and end is not None:
        resource["start"] = instant(start)
        resource["end"] = instant(end)
    if row["due_from"] is not None or row["due_to"] is not None:
        zone = ZoneInfo(context.site.time_zone)
        window: dict[str, str] = {}
        if row["due_from"] is not None:
            window["start"] = _day(row["due_from"], zone)
        if row["due_to"] is not None:
            window["end"] = instant(datetime.combine(row["due_to"], time(23, 59, 59), tzinfo=zone))
        resource["requestedPeriod"] = [window]
    resource["participant"] = [
        {
            "actor": {"reference": f"Patient/{row['course__patient_id']}"},
            "required": "required",
            "status": "accepted",
        }
    ]
    if row["clinician_name"] is not None:
        clinician: dict[str, str] = {"display": row["clinician_name"]}
        if row["clinician_staff"] is not None:
            clinician["reference"] = f"Practitioner/{row['clinician_staff']}"
        resource["participant"].append(
            {"actor": clinician, "required": "required", "status": "accepted"}
        )
    if row["room_name"] is not None:  # Location is not served (yet): the room by name
        resource["participant"].append(
            {"actor": {"display": row["room_name"]}, "required": "required", "status": "accepted"}
        )
    return resource


def _starts(values: list[Any], _context: Context) -> Q:
    query = Q(starts_at__isnull=False)
    for value in values:
        assert isinstance(value, DateRange)
        if value.start is not None:
            query &= Q(starts_at__gte=value.start)
        if value.end is not None:
            query &= Q(starts_at__lt=value.end)
    return query


APPOINTMENT = one(
    "Appointment",
    Part(
        model=Appointment,
        fields=(
            "id",
            "course_id",
            "course__patient_id",
            "key",
            "kind",
            "status",
            "starts_at",
            "ends_at",
            "due_on",
            "done_at",
            "due_from",
            "due_to",
            "room_name",
            "clinician_name",
            "clinician_staff",
        ),
        to_fhir=appointment_to_fhir,
        visible=appointments,
        filters={
            "_id": ids,
            "patient": references("course__patient"),
            "date": _starts,
            "status": _status(APPOINTMENT_STATUS),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The appointment's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient expected.", "Patient"),
        "date": Parameter(Kind.DATE, "When the appointment starts (booked ones only)."),
        "status": Parameter(Kind.TOKEN, "proposed, booked, fulfilled, noshow or cancelled."),
    },
    {
        "Appointment:patient": Include(
            "Patient",
            lambda r: [
                i for p in r.get("participant", []) for i in reference_id(p.get("actor"), "Patient")
            ],
        ),
        "Appointment:supporting-info": Include(
            "CarePlan",
            lambda r: [
                i for s in r.get("supportingInformation", []) for i in reference_id(s, "CarePlan")
            ],
        ),
    },
)

TYPES: tuple[ResourceType, ...] = (CAREPLAN, PLANDEFINITION, APPOINTMENT)
