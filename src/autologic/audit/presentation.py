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
from django.utils.translation import gettext_lazy

from autologic.audit.models import MEANING_CHOICES
from autologic.billing.choices import PAYMENT_METHODS, REMINDER_STEPS
from autologic.clinical.choices import VERDICTS
from autologic.clinical.messages import region_text
from autologic.common.domain.calendars import Calendar, format_date, format_datetime
from autologic.protocols.queries import protocol_title, variant_name

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
    "billing_profile": "billing.BillingProfile",
    "price_list": "billing.PriceList",
    "estimate": "billing.Estimate",
    "invoice": "billing.Invoice",
    "payment": "billing.Payment",
    "coverage": "billing.Coverage",
    "claim": "billing.Claim",
    "later_treatment": "outcomes.LaterTreatment",
    "research_study": "analytics.ResearchStudy",
    "cohort": "analytics.SavedCohort",
}

# What happened, by action code.
ACTIONS = {
    "patient.create": gettext_lazy("Patient registered"),
    "patient.update": gettext_lazy("Patient details changed"),
    "patient.renumber": gettext_lazy("New medical record number"),
    "patient.read": gettext_lazy("Chart opened"),
    "consent.create": gettext_lazy("Consent recorded"),
    "consent.withdraw": gettext_lazy("Consent withdrawn"),
    "wristband.issue": gettext_lazy("Wristband printed"),
    "assessment.create": gettext_lazy("Assessment started"),
    "assessment.region_add": gettext_lazy("Region added to the assessment"),
    "eligibility.decide": gettext_lazy("Eligibility decision signed"),
    "eligibility.override": gettext_lazy("Eligibility decision signed, differing from the report"),
    "gate.exception": gettext_lazy("Exception to a check before collection"),
    "medication_hold.confirm": gettext_lazy("Medication hold confirmed with the patient"),
    "course.create": gettext_lazy("Course started"),
    "course.schedule": gettext_lazy("Course scheduled"),
    "course.replan": gettext_lazy("Course re-planned"),
    "course.reanchor": gettext_lazy("Follow-ups moved to the actual injection date"),
    "course.reserve": gettext_lazy("Units reserved for the course"),
    "appointment.done": gettext_lazy("Appointment done"),
    "appointment.missed": gettext_lazy("Appointment missed"),
    "appointment.cancelled": gettext_lazy("Appointment cancelled"),
    "closed_day.create": gettext_lazy("Clinic closing day added"),
    "resource.create": gettext_lazy("Resource added"),
    "resource.update": gettext_lazy("Resource changed"),
    "chain.open": gettext_lazy("Chain of identity opened"),
    "collection.record": gettext_lazy("Collection recorded"),
    "collection.infectious": gettext_lazy("Lot marked infectious"),
    "run.start": gettext_lazy("Processing started"),
    "run.step": gettext_lazy("Processing step recorded"),
    "run.step_finish": gettext_lazy("Processing step finished"),
    "unit.create": gettext_lazy("Unit made"),
    "unit.start_processing": gettext_lazy("Unit in processing"),
    "unit.divide": gettext_lazy("Unit divided"),
    "unit.quarantine": gettext_lazy("Unit quarantined"),
    "unit.release": gettext_lazy("Unit released"),
    "unit.reserve": gettext_lazy("Unit reserved"),
    "unit.unreserve": gettext_lazy("Unit reservation ended"),
    "unit.issue": gettext_lazy("Unit issued"),
    "unit.return": gettext_lazy("Unit returned to stock"),
    "unit.thaw": gettext_lazy("Unit thawed"),
    "unit.administer": gettext_lazy("Unit given"),
    "unit.discard": gettext_lazy("Unit discarded"),
    "unit.expire": gettext_lazy("Unit expired"),
    "unit.disposal": gettext_lazy("Unit disposal recorded"),
    "labels.print": gettext_lazy("Labels printed"),
    "labels.state": gettext_lazy("Label state changed"),
    "qc.result": gettext_lazy("QC result recorded"),
    "qc.result_disposition": gettext_lazy("QC result decision signed"),
    "deviation.disposition": gettext_lazy("Deviation decision signed"),
    "lot.released_with_exception": gettext_lazy("Lot released with a physician's exception"),
    "reagent.use": gettext_lazy("Reagent lot used"),
    "storage.check_in": gettext_lazy("Unit stored"),
    "storage.check_out": gettext_lazy("Unit taken out of storage"),
    "storage.box_infectious": gettext_lazy("Box marked for infectious units"),
    "freezer.add": gettext_lazy("Freezer added"),
    "freezer.readings": gettext_lazy("Freezer temperatures recorded"),
    "freezer.excursion": gettext_lazy("Freezer temperature excursion"),
    "freezer.excursion_acknowledged": gettext_lazy("Freezer excursion acknowledged"),
    "hold.place": gettext_lazy("QA hold placed"),
    "hold.lift": gettext_lazy("QA hold lifted"),
    "recall.opened": gettext_lazy("Recall opened"),
    "recall.notified": gettext_lazy("Recall notices sent"),
    "recall.note": gettext_lazy("Note added to the recall"),
    "recall.closed": gettext_lazy("Recall closed"),
    "billing_profile.set": gettext_lazy("Billing profile set"),
    "price_list.create": gettext_lazy("Price list version added"),
    "estimate.offer": gettext_lazy("Estimate offered"),
    "estimate.accept": gettext_lazy("Signed estimate recorded"),
    "estimate.link_sent": gettext_lazy("Link to the estimate sent to the patient"),
    "invoice.issue.invoice": gettext_lazy("Invoice issued"),
    "invoice.issue.deposit": gettext_lazy("Deposit invoice issued"),
    "invoice.issue.credit": gettext_lazy("Credit note issued"),
    "payment.record": gettext_lazy("Payment recorded"),
    "payment.refund": gettext_lazy("Refund recorded"),
    "payment.reminder": gettext_lazy("Payment reminder sent"),
    "coverage.add": gettext_lazy("Insurance recorded"),
    "claim.open": gettext_lazy("Claim opened"),
    "claim.submit": gettext_lazy("Claim submitted"),
    "claim.decide": gettext_lazy("Insurer's decision recorded"),
    "claim.paid": gettext_lazy("Insurer's payment recorded"),
    "claim.resubmit": gettext_lazy("Claim resubmitted"),
    "bedside.refused": gettext_lazy("Bedside check stopped the injection"),
    "injection.override": gettext_lazy("Bedside warning overridden"),
    "adverse_event.record": gettext_lazy("Adverse event recorded"),
    "adverse_event.update": gettext_lazy("Adverse event updated"),
    "adverse_event.acknowledge": gettext_lazy("Adverse event acknowledged"),
    "adverse_event.notify": gettext_lazy("Adverse event alert sent"),
    "prom.progress_saved": gettext_lazy("Questionnaire saved for later"),
    "prom.submitted": gettext_lazy("Questionnaire submitted"),
    "outcomes.threshold_chosen": gettext_lazy("Responder threshold chosen"),
    "rehab.record": gettext_lazy("Rehabilitation phase recorded"),
    "later_treatment.record": gettext_lazy("Later treatment of a treated joint recorded"),
    "surgery_report.dismiss": gettext_lazy("Reported surgery checked: no operation"),
    "claims.load": gettext_lazy("Claim file loaded"),
    "research_study.create": gettext_lazy("Study opened"),
    "registry.export": gettext_lazy("Research export made"),
    "registry.export_request": gettext_lazy("Research export requested"),
    "registry.claims_check_request": gettext_lazy("Claims check measured again"),
    "registry.export_download": gettext_lazy("Research export downloaded"),
    "fhir_client.add": gettext_lazy("FHIR client registered"),
    "fhir_client.disable": gettext_lazy("FHIR client switched off"),
    "fhir.token": gettext_lazy("FHIR access token issued"),
    "fhir.read": gettext_lazy("Record read over FHIR"),
    "fhir.search": gettext_lazy("Records searched over FHIR"),
    "patient.everything": gettext_lazy("Whole record taken over FHIR"),
    "fhir.export_request": gettext_lazy("FHIR bulk export asked for"),
    "fhir.import": gettext_lazy("Records imported over FHIR"),
    "fhir.export": gettext_lazy("FHIR bulk export made"),
    "fhir.export_cancel": gettext_lazy("FHIR bulk export cancelled"),
    "fhir.export_download": gettext_lazy("FHIR bulk export file downloaded"),
    "cohort.save": gettext_lazy("Cohort saved"),
    "portal.link_issued": gettext_lazy("Portal link sent"),
    "portal.link_opened": gettext_lazy("Portal link opened"),
    "portal.link_revoked": gettext_lazy("Portal link revoked"),
    "portal.token_minted": gettext_lazy("Portal link created"),
    "portal.licence_recorded": gettext_lazy("Questionnaire licence recorded"),
    "portal.text_supplied": gettext_lazy("Questionnaire text supplied"),
    "protocol.load": gettext_lazy("Protocol version loaded"),
    "protocol.status": gettext_lazy("Protocol status changed"),
    "signature.apply": gettext_lazy("Electronic signature"),
    "signature.refused": gettext_lazy("Signature refused"),
    "staff.create": gettext_lazy("Staff account created"),
    "site.create": gettext_lazy("Clinic created"),
    "site.update": gettext_lazy("Clinic settings changed"),
    "session.start": gettext_lazy("Signed in"),
    "session.end": gettext_lazy("Signed out"),
    "otp.enrol": gettext_lazy("Authenticator enrolled"),
    "otp.reset": gettext_lazy("Authenticator reset"),
    "outbox.retried": gettext_lazy("Message sent again"),
    "outbox.read": gettext_lazy("Undelivered messages viewed"),
}

# Keys that are not model fields, or whose model field has no useful name.
LABELS = {
    "reason": gettext_lazy("reason"),
    "note": gettext_lazy("note"),
    "voided": gettext_lazy("wristbands voided"),
    "meaning": gettext_lazy("meaning"),
    "computed_verdict": gettext_lazy("verdict of the report"),
    "verdict": gettext_lazy("decision"),
    "justification": gettext_lazy("justification"),
    "protocol": gettext_lazy("protocol"),
    "regions": gettext_lazy("regions"),
    "kits": gettext_lazy("kits"),
    "first": gettext_lazy("first appointment"),
    "steps": gettext_lazy("appointments placed"),
    "method": gettext_lazy("planning method"),
    "status": gettext_lazy("status"),
    "wristband": gettext_lazy("wristband"),
    "what": gettext_lazy("what was read"),
    "step": gettext_lazy("step"),
    "temperature_c": gettext_lazy("temperature (°C)"),
    "notices": gettext_lazy("notices"),
    "identifier": gettext_lazy("identifier"),
    "units": gettext_lazy("units"),
    "done_at": gettext_lazy("done at"),
    # Units reserved for a course's sessions (injections/actions.py, course.reserve).
    "reserved": gettext_lazy("units reserved"),
    "released": gettext_lazy("units given back"),
    "uncovered": gettext_lazy("sessions without a unit"),
    # Billing events (billing/actions.py).
    "items": gettext_lazy("items"),
    "revision": gettext_lazy("revision"),
    "price_list_version": gettext_lazy("price list version"),
    "total": gettext_lazy("total"),
    "currency": gettext_lazy("currency"),
    "instalments": gettext_lazy("instalments"),
    "number": gettext_lazy("number"),
    "corrects_number": gettext_lazy("corrects"),
    "amount": gettext_lazy("amount"),
    "paid_by": gettext_lazy("paid by"),
    "receipt": gettext_lazy("receipt"),
    "paid": gettext_lazy("paid"),
    "delivered": gettext_lazy("treatment given"),
    "units_made": gettext_lazy("units made"),
    "reminder": gettext_lazy("reminder"),
    "sent_by": gettext_lazy("sent by"),
    "outcome": gettext_lazy("outcome"),
    "claimed": gettext_lazy("claimed"),
    "approved": gettext_lazy("approved"),
    # Registry events (analytics/actions.py).
    "claims": gettext_lazy("claim file"),
    "withdrawn_on": gettext_lazy("withdrawn on"),
    "answered_on": gettext_lazy("answered on"),
    "study": gettext_lazy("study"),
    "format": gettext_lazy("format"),
    "patients": gettext_lazy("patients"),
    "rows": gettext_lazy("rows"),
    "client": gettext_lazy("FHIR client"),
    "ids": gettext_lazy("records returned"),
    "included": gettext_lazy("records included"),
    "query": gettext_lazy("search"),
    "scopes": gettext_lazy("scopes"),
    "expires_at": gettext_lazy("valid until"),
    "purpose": gettext_lazy("purpose"),
    "type": gettext_lazy("resource type"),
    "counts": gettext_lazy("records by type"),
    "job": gettext_lazy("export"),
    "entries": gettext_lazy("entries"),
    "types": gettext_lazy("resource types"),
    "since": gettext_lazy("changed since"),
    "level": gettext_lazy("level"),
    "group": gettext_lazy("group"),
    "name": gettext_lazy("name"),
}

# Internal material: ids, hashes, tokens and signature proofs mean nothing to a reader.
HIDDEN = frozenset(
    {"id", "pk", "hash", "record_hash", "prev_hash", "signature", "token", "token_hash", "otp"}
    # Course event keys (inj2, fu-6w) and counters: the event's title and times say it better.
    | {"appointment", "anchor", "moved", "passage", "version"}
)
# Keys whose values are treated regions as recorded ("spine_lumbar midline").
REGION_KEYS = frozenset({"region", "regions"})
# Keys whose coded values have labels outside any model field's choices.
KEY_CHOICES = {
    "meaning": MEANING_CHOICES,
    "paid_by": PAYMENT_METHODS,
    "reminder": REMINDER_STEPS,
    "sent_by": [("email", gettext_lazy("e-mail")), ("sms", gettext_lazy("SMS"))],
    "outcome": [
        ("queued", gettext_lazy("queued for sending")),
        ("no_contact", gettext_lazy("no e-mail or mobile number")),
    ],
    "verdict": VERDICTS,
    "computed_verdict": VERDICTS,
    # How the scheduler placed a course (care/domain/scheduling).
    "method": [
        ("greedy", gettext_lazy("first free times, in order")),
        ("cpsat", gettext_lazy("optimised over the whole calendar")),
    ],
}
# Keys whose value is a protocol code (a consent names the treatment it covers).
PROTOCOL_KEYS = frozenset({"procedure", "protocol"})
_VERSIONED = re.compile(r"^(?P<code>[a-z0-9-]+) v(?P<version>\d+)$")
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
    record = _record(subject)
    if record is not None:
        noun = str(record[1])
    else:
        noun = str(model._meta.verbose_name) if model is not None else subject.replace("_", " ")
    if verb == "create":
        return _("%(thing)s recorded") % {"thing": noun.capitalize()}
    if verb == "update":
        return _("%(thing)s changed") % {"thing": noun.capitalize()}
    return noun.capitalize()


def _record(subject: str) -> tuple[Any, Any] | None:
    """A clinical record's form (its field labels and choices) and its title, by audit subject."""
    from autologic.clinical.forms import RECORD_FORMS, RECORD_TITLES

    form = RECORD_FORMS.get(subject)
    return None if form is None else (form, RECORD_TITLES[subject])


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
    subject = action.partition(".")[0]
    model = _model(subject)
    record = _record(subject)
    form_fields = record[0].base_fields if record is not None else {}
    rows = []
    for key, value in (changes or {}).items():
        if hidden(key):
            continue
        field = _field(model, key)
        if field is not None and field.is_relation and _ids(value):
            continue  # row ids: the page the event is shown on already names the record
        label = field_label(model, key)
        form_field = form_fields.get(key)
        if form_field is not None:
            # The clinical record's own form names its fields and choices in the UI language.
            label = str(form_field.label)
            choices = {str(k): v for k, v in getattr(form_field, "choices", None) or []}
            value = _chosen(value, choices)
        if value in (None, "", [], {}):
            continue  # nothing recorded under this key
        if key in KEY_CHOICES:
            value = _chosen(value, {k: v for k, v in KEY_CHOICES[key]})
        if key in REGION_KEYS:
            value = _regions(value)
        if key in PROTOCOL_KEYS:
            value = _protocols(value, shown.language)
        if key == "variant" and isinstance(value, str) and value:
            value = _variant(str((changes or {}).get("protocol", "")), value, shown.language)
        if isinstance(value, list) and len(value) == 2 and _is_pair(key):
            before = None if value[0] is None else value_text(field, value[0], shown)
            rows.append(ChangeRow(label, before, value_text(field, value[1], shown)))
        else:
            rows.append(ChangeRow(label, None, value_text(field, value, shown)))
    return rows


def _chosen(value: Any, choices: dict[str, Any]) -> Any:
    """Choice codes replaced by their labels (in lists and [before, after] pairs too)."""
    if isinstance(value, list):
        return [_chosen(item, choices) for item in value]
    return str(choices[str(value)]) if value is not None and str(value) in choices else value


def _protocols(value: Any, language: str) -> Any:
    """Protocol codes as the protocols' names (in lists and [before, after] pairs too)."""
    if isinstance(value, list):
        return [_protocols(item, language) for item in value]
    if not isinstance(value, str) or not value:
        return value
    versioned = _VERSIONED.match(value)
    if versioned:  # "acs-spine v3", as a decision records the version it used
        return f"{protocol_title(versioned['code'], language)} v{versioned['version']}"
    return protocol_title(value, language)


def _variant(protocol: str, key: str, language: str) -> str:
    """A course's variant by name, read from the protocol version the event names."""
    versioned = _VERSIONED.match(protocol)
    if versioned is None:
        return key
    return variant_name(versioned["code"], int(versioned["version"]), key, language)


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
