"""Audit events as a clinic user reads them: what happened, and each change with its label.

An event stores its changes as ``{field: value}`` or ``{field: [before, after]}`` under the
names the code uses (``date_of_birth``, ``course_id``).  Pages show them through ``present``:
the field's translated ``verbose_name`` (from the model the action is about), dates in the
clinic's calendar, choices by their display labels, and no internal keys (ids, hashes,
signature material).  The stored event is never changed; this is display only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from autologic.clinical.messages import region_text
from autologic.common.domain.calendars import Calendar, format_date, format_datetime

# The model whose fields an action's changes name, by the action's first word.
MODELS = {
    "patient": "patients.Patient",
    "consent": "patients.Consent",
    "course": "care.Course",
    "appointment": "care.Appointment",
    "closed_day": "care.ClosedDay",
    "resource": "care.Resource",
    "adverse_event": "adverse_events.AdverseEvent",
    "injection": "injections.Administration",
    "unit": "lab.Unit",
    "collection": "lab.Collection",
    "run": "lab.StepRecord",
    "hold": "lab.Hold",
    "freezer": "lab.Freezer",
    "qc": "lab.QCResult",
    "deviation": "lab.Deviation",
    "recall": "recalls.Recall",
    "site": "accounts.Site",
    "staff": "accounts.User",
}

# What happened, by action code.
ACTIONS = {
    "patient.create": _lazy("Patient registered"),
    "patient.update": _lazy("Patient details changed"),
    "patient.renumber": _lazy("New medical record number"),
    "patient.read": _lazy("Chart opened"),
    "consent.create": _lazy("Consent recorded"),
    "wristband.issue": _lazy("Wristband printed"),
    "assessment.create": _lazy("Assessment started"),
    "assessment.region_add": _lazy("Region added to the assessment"),
    "eligibility.override": _lazy("Eligibility decision signed"),
    "gate.exception": _lazy("Exception to a check before collection"),
    "medication_hold.confirm": _lazy("Medication hold confirmed with the patient"),
    "course.create": _lazy("Course started"),
    "course.schedule": _lazy("Course scheduled"),
    "course.replan": _lazy("Course re-planned"),
    "course.reanchor": _lazy("Follow-ups moved to the actual injection date"),
    "course.reserve": _lazy("Units reserved for the course"),
    "appointment.done": _lazy("Appointment done"),
    "appointment.missed": _lazy("Appointment missed"),
    "appointment.cancelled": _lazy("Appointment cancelled"),
    "closed_day.create": _lazy("Clinic closing day added"),
    "resource.create": _lazy("Resource added"),
    "resource.update": _lazy("Resource changed"),
    "chain.open": _lazy("Chain of identity opened"),
    "collection.record": _lazy("Collection recorded"),
    "collection.infectious": _lazy("Lot marked infectious"),
    "run.start": _lazy("Processing started"),
    "run.step": _lazy("Processing step recorded"),
    "run.step_finish": _lazy("Processing step finished"),
    "unit.create": _lazy("Unit made"),
    "unit.start_processing": _lazy("Unit in processing"),
    "unit.divide": _lazy("Unit divided"),
    "unit.quarantine": _lazy("Unit quarantined"),
    "unit.release": _lazy("Unit released"),
    "unit.reserve": _lazy("Unit reserved"),
    "unit.unreserve": _lazy("Unit reservation ended"),
    "unit.issue": _lazy("Unit issued"),
    "unit.return": _lazy("Unit returned to stock"),
    "unit.thaw": _lazy("Unit thawed"),
    "unit.administer": _lazy("Unit given"),
    "unit.discard": _lazy("Unit discarded"),
    "unit.expire": _lazy("Unit expired"),
    "unit.disposal": _lazy("Unit disposal recorded"),
    "labels.print": _lazy("Labels printed"),
    "labels.state": _lazy("Label state changed"),
    "qc.result": _lazy("QC result recorded"),
    "qc.result_disposition": _lazy("QC result decision signed"),
    "deviation.disposition": _lazy("Deviation decision signed"),
    "lot.released_with_exception": _lazy("Lot released with a physician's exception"),
    "reagent.use": _lazy("Reagent lot used"),
    "storage.check_in": _lazy("Unit stored"),
    "storage.check_out": _lazy("Unit taken out of storage"),
    "storage.box_infectious": _lazy("Box marked for infectious units"),
    "freezer.add": _lazy("Freezer added"),
    "freezer.readings": _lazy("Freezer temperatures recorded"),
    "freezer.excursion": _lazy("Freezer temperature excursion"),
    "freezer.excursion_acknowledged": _lazy("Freezer excursion acknowledged"),
    "hold.place": _lazy("QA hold placed"),
    "hold.lift": _lazy("QA hold lifted"),
    "recall.opened": _lazy("Recall opened"),
    "recall.notified": _lazy("Recall notices sent"),
    "recall.note": _lazy("Note added to the recall"),
    "recall.closed": _lazy("Recall closed"),
    "bedside.refused": _lazy("Bedside check stopped the injection"),
    "injection.override": _lazy("Bedside warning overridden"),
    "adverse_event.record": _lazy("Adverse event recorded"),
    "adverse_event.update": _lazy("Adverse event updated"),
    "adverse_event.acknowledge": _lazy("Adverse event acknowledged"),
    "adverse_event.notify": _lazy("Adverse event alert sent"),
    "prom.progress_saved": _lazy("Questionnaire saved for later"),
    "prom.submitted": _lazy("Questionnaire submitted"),
    "outcomes.threshold_chosen": _lazy("Responder threshold chosen"),
    "portal.link_issued": _lazy("Portal link sent"),
    "portal.link_opened": _lazy("Portal link opened"),
    "portal.link_revoked": _lazy("Portal link revoked"),
    "portal.token_minted": _lazy("Portal link created"),
    "portal.licence_recorded": _lazy("Questionnaire licence recorded"),
    "portal.text_supplied": _lazy("Questionnaire text supplied"),
    "protocol.load": _lazy("Protocol version loaded"),
    "protocol.status": _lazy("Protocol status changed"),
    "signature.apply": _lazy("Electronic signature"),
    "signature.refused": _lazy("Signature refused"),
    "staff.create": _lazy("Staff account created"),
    "site.create": _lazy("Clinic created"),
    "site.update": _lazy("Clinic settings changed"),
    "session.start": _lazy("Signed in"),
    "session.end": _lazy("Signed out"),
    "otp.enrol": _lazy("Authenticator enrolled"),
    "otp.reset": _lazy("Authenticator reset"),
    "outbox.retried": _lazy("Message sent again"),
}

# Keys that are not model fields, or whose model field has no useful name.
LABELS = {
    "reason": _lazy("reason"),
    "note": _lazy("note"),
    "voided": _lazy("wristbands voided"),
    "meaning": _lazy("meaning"),
    "protocol": _lazy("protocol"),
    "regions": _lazy("regions"),
    "kits": _lazy("kits"),
    "first": _lazy("first appointment"),
    "steps": _lazy("appointments placed"),
    "method": _lazy("planning method"),
    "status": _lazy("status"),
    "wristband": _lazy("wristband"),
    "what": _lazy("what was read"),
    "step": _lazy("step"),
    "temperature_c": _lazy("temperature (°C)"),
    "notices": _lazy("notices"),
    "identifier": _lazy("identifier"),
    "units": _lazy("units"),
}

# Internal material: ids, hashes, tokens and signature proofs mean nothing to a reader.
HIDDEN = frozenset(
    {"id", "pk", "hash", "record_hash", "prev_hash", "signature", "token", "token_hash", "otp"}
    # Course event keys (inj2, fu-6w) and counters: the event's title and times say it better.
    | {"appointment", "anchor", "moved", "passage", "version"}
)
# Keys whose values are treated regions as recorded ("spine_lumbar midline").
REGION_KEYS = frozenset({"region", "regions"})
# Keys whose value is a list of things, never a [before, after] pair.
LISTS = frozenset({"regions", "units", "notices", "voided", "instruments", "labels"})
HIDDEN_SUFFIXES = ("_id", "_ids", "_hash", "_token", "_signature")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass(frozen=True)
class Shown:
    """How to show values: the clinic's calendar and time zone and the UI language."""

    calendar: Calendar
    zone: ZoneInfo
    language: str


@dataclass(frozen=True)
class ChangeRow:
    """One change as shown: a label, and the value before (None when new) and after."""

    label: str
    before: str | None
    after: str


def hidden(key: str) -> bool:
    """Say whether a change key is internal (an id, a hash, signature material)."""
    return key in HIDDEN or key.endswith(HIDDEN_SUFFIXES)


def action_label(action: str) -> str:
    """What an action code means in the UI language ("Patient registered")."""
    known = ACTIONS.get(action)
    if known is not None:
        return str(known)
    subject, _dot, verb = action.partition(".")
    if verb == "read":
        return _("Record opened")
    if verb.endswith("throttled"):
        return _("Repeated refused sign-ins")
    if verb == "failed":
        return _("Sign-in refused")
    model = _model(subject)
    noun = str(model._meta.verbose_name) if model is not None else subject.replace("_", " ")
    if verb == "create":
        return _("%(thing)s recorded") % {"thing": noun.capitalize()}
    if verb == "update":
        return _("%(thing)s changed") % {"thing": noun.capitalize()}
    return noun.capitalize()


def _model(subject: str) -> type[models.Model] | None:
    label = MODELS.get(subject)
    if label is None:
        clinical = {m._meta.model_name: m for m in apps.get_app_config("clinical").get_models()}
        return clinical.get(subject.replace("_", ""))
    return apps.get_model(label)


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def field_label(model: type[models.Model] | None, key: str) -> str:
    """A change key's label: the model field's translated verbose name when there is one."""
    if key in LABELS:
        return str(LABELS[key])
    field = _field(model, key)
    if field is not None:
        return str(field.verbose_name)
    return key.replace("_", " ")


def value_text(field: models.Field[Any, Any] | None, value: Any, shown: Shown) -> str:
    """A stored JSON value as text: choices by their label, dates in the clinic's calendar."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and field.choices:
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(value, list):
        return ", ".join(value_text(field, item, shown) for item in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{key.replace('_', ' ')}: {value_text(None, item, shown)}"
            for key, item in value.items()
            if not hidden(key)
        )
    text = str(value)
    if _DATE.match(text):
        return format_date(date.fromisoformat(text), shown.calendar, shown.language)
    if _DATETIME.match(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is not None:
            moment = moment.astimezone(shown.zone)
        return format_datetime(moment, shown.calendar, shown.language)
    return text


def present(action: str, changes: dict[str, Any] | None, shown: Shown) -> list[ChangeRow]:
    """An event's changes as labelled, translated rows, internal keys left out."""
    model = _model(action.partition(".")[0])
    rows = []
    for key, value in (changes or {}).items():
        if hidden(key):
            continue
        field = _field(model, key)
        if field is not None and field.is_relation and _ids(value):
            continue  # row ids: the page the event is shown on already names the record
        label = field_label(model, key)
        if value in (None, "", [], {}):
            continue  # nothing recorded under this key
        if key in REGION_KEYS:
            value = _regions(value)
        if isinstance(value, list) and len(value) == 2 and _is_pair(key):
            before = None if value[0] is None else value_text(field, value[0], shown)
            rows.append(ChangeRow(label, before, value_text(field, value[1], shown)))
        else:
            rows.append(ChangeRow(label, None, value_text(field, value, shown)))
    return rows


def _regions(value: Any) -> Any:
    """Region labels in the UI language ("Lumbar spine, midline"), other values unchanged."""
    if isinstance(value, list):
        return [_regions(item) for item in value]
    return region_text(value) if isinstance(value, str) else value


def _ids(value: Any) -> bool:
    """Whether a value is only row ids (numbers), as a relation's change stores them."""
    items = value if isinstance(value, list) else [value]
    return all(
        item is None or (isinstance(item, int) and not isinstance(item, bool)) for item in items
    )


def _is_pair(key: str) -> bool:
    """A two-item list is [before, after], except under keys that hold lists of things."""
    return key not in LISTS
