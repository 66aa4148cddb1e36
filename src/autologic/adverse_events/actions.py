"""Record an adverse event, follow it up, tell the responsible people, acknowledge an alert.

Each runs in one transaction and writes its audit event there; a serious event alerts people
through ``alerts.notify_serious`` in that same transaction.  Audit events name the patient
(``object_type="patient"``), so the event also appears in the patient chart's history; a linked
unit gets a custody note through ``lab.actions.notes`` (the lab never imports this app).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from autologic.accounts.models import User
from autologic.adverse_events import alerts
from autologic.adverse_events.domain import ctcae, rules
from autologic.adverse_events.models import AdverseEvent, AdverseEventUpdate, Notification
from autologic.audit.actions import record_event
from autologic.audit.domain import diff
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, PermissionRefused, ValidationFailed
from autologic.common.locks import for_update
from autologic.injections.models import Administration
from autologic.lab.actions.notes import note_on_unit
from autologic.lab.models import Unit
from autologic.patients.models import Patient

# The fields a follow-up may change; term, onset and links are facts of the first report.
JUDGEMENT = (
    "grade",
    "serious",
    "criteria",
    "related_product",
    "related_procedure",
    "outcome",
    "resolved_on",
    "resolved_time",
    "action_taken",
)
TEXT_MAX = 4000


@dataclass(frozen=True)
class FollowUp:
    """A judgement of the event: at the first report, or as a later follow-up."""

    grade: int
    serious: bool
    criteria: tuple[str, ...]
    related_product: str
    related_procedure: str
    outcome: str
    action_taken: str
    resolved_on: date | None = None
    note: str = ""
    resolved_time: time | None = None

    def assessment(self) -> rules.Assessment:
        """The domain's view of the judgement."""
        return rules.Assessment(
            grade=self.grade,
            serious=self.serious,
            criteria=tuple(sorted(set(self.criteria))),
            related_product=self.related_product,
            related_procedure=self.related_procedure,
            outcome=self.outcome,
            resolved_on=self.resolved_on,
            resolved_time=self.resolved_time,
        )


@dataclass(frozen=True)
class Report:
    """What the reporter records about a new event."""

    term: str
    onset_at: datetime
    description: str
    judged: FollowUp
    term_other: str = ""
    soc: str = ""
    administration_id: int | None = None
    unit_id: int | None = None


def _days(site_zone: str, onset: datetime, now: datetime) -> tuple[date, date]:
    zone = ZoneInfo(site_zone)
    return onset.astimezone(zone).date(), now.astimezone(zone).date()


def _text(value: str, field: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed(f"{field}_required", f"Describe the {label}.", field)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(
            "text_too_long", f"Keep the {label} under {TEXT_MAX} characters.", field
        )
    return text


def _links(patient: Patient, report: Report) -> tuple[Administration | None, Unit | None]:
    """The linked injection and unit, refused unless they belong to this patient at this site."""
    administration = None
    if report.administration_id is not None:
        administration = (
            Administration.objects.select_related("operator")
            .filter(pk=report.administration_id)
            .first()
        )
        if administration is None:
            raise ValidationFailed("unknown_injection", "No such injection.", "administration")
        if administration.patient_id != patient.pk or administration.site_id != patient.site_id:
            raise ValidationFailed(
                "injection_other_patient",
                "This injection was given to another patient; link one of this patient's.",
                "administration",
            )
    unit_id = report.unit_id
    if administration is not None:
        if unit_id is not None and unit_id != administration.unit_id:
            raise ValidationFailed(
                "unit_not_given",
                "The unit must be the one given in the linked injection.",
                "unit",
            )
        unit_id = administration.unit_id
    unit = None
    if unit_id is not None:
        unit = for_update(Unit.objects).filter(pk=unit_id).first()
        if unit is None:
            raise ValidationFailed("unknown_unit", "No such unit.", "unit")
        if unit.patient_id != patient.pk or unit.site_id != patient.site_id:
            raise ValidationFailed(
                "unit_other_patient",
                "This unit was made from another patient; link one of this patient's.",
                "unit",
            )
    return administration, unit


def _unit_note(event: AdverseEvent, move: str, by: User, now: datetime) -> None:
    if event.unit is not None:
        note_on_unit(
            event.unit,
            move=move,
            detail={
                "adverse_event": event.pk,
                "term": event.term_name,
                "grade": event.grade,
                "serious": event.serious,
                "version": event.version,
            },
            by=by,
            now=now,
        )


def _plain(value: Any) -> Any:
    """A judgement value as the audit trail keeps it (a time of day as HH:MM)."""
    return value.isoformat(timespec="minutes") if isinstance(value, time) else value


def _snapshot(event: AdverseEvent) -> dict[str, Any]:
    return {name: _plain(getattr(event, name)) for name in JUDGEMENT}


def _audit_record(event: AdverseEvent, by: User, now: datetime) -> None:
    """The new event on the patient's audit trail, every field as [None, value]."""
    facts = {
        **_snapshot(event),
        "term": event.term_name,
        "soc": event.soc,
        "onset_at": event.onset_at,
        "description": event.description,
        "administration": event.administration_id,
        "unit": event.unit.identifier if event.unit is not None else None,
    }
    record_event(
        actor=by,
        site=event.site,
        action="adverse_event.record",
        object_type="patient",
        object_id=event.patient_id,
        changes={"adverse_event": event.pk, **diff({}, facts)},
        now=now,
    )


def record_adverse_event(
    patient: Patient, report: Report, *, by: User, now: datetime
) -> AdverseEvent:
    """Record a new event, check it against CTCAE and ICH E2A, and alert if it is serious."""
    if by.site_id != patient.site_id:
        raise PermissionRefused("other_site", "This patient belongs to another clinic.")
    term = rules.term_of(report.term, report.soc, report.term_other)
    description = _text(report.description, "description", "event")
    action_taken = _text(report.judged.action_taken, "action_taken", "action taken")
    judged = report.judged.assessment()
    site = patient.site
    with audited_transaction():
        administration, unit = _links(patient, report)
        rules.check_onset(
            report.onset_at,
            now=now,
            given_at=administration.given_at if administration is not None else None,
        )
        onset_day, today = _days(site.time_zone, report.onset_at, now)
        rules.check_assessment(term, judged, onset_day=onset_day, today=today)
        rules.check_resolution_time(
            judged.resolved_on,
            judged.resolved_time,
            onset_at=report.onset_at,
            now=now,
            zone=ZoneInfo(site.time_zone),
        )
        event = AdverseEvent.objects.create(
            site=site,
            patient=patient,
            administration=administration,
            unit=unit,
            ctcae_version=ctcae.VERSION,
            term=report.term,
            term_other=report.term_other.strip() if report.term == ctcae.OTHER else "",
            soc=term.soc,
            meddra_code=term.meddra,
            grade=judged.grade,
            serious=judged.serious,
            criteria=list(judged.criteria),
            related_product=judged.related_product,
            related_procedure=judged.related_procedure,
            onset_at=report.onset_at,
            outcome=judged.outcome,
            resolved_on=judged.resolved_on,
            resolved_time=judged.resolved_time,
            description=description,
            action_taken=action_taken,
            reporter=by,
            recorded_at=now,
            updated_at=now,
        )
        _audit_record(event, by, now)
        _unit_note(event, "adverse_event", by, now)
        alerts.notify_serious(event, administration, by=by, now=now)
    return event


def update_adverse_event(
    event_id: int,
    follow_up: FollowUp,
    *,
    by: User,
    expected_version: int,
    now: datetime,
) -> AdverseEvent:
    """Record a follow-up unless someone else updated the event first; audit before/after."""
    action_taken = _text(follow_up.action_taken, "action_taken", "action taken")
    note = follow_up.note.strip()[:TEXT_MAX]
    judged = follow_up.assessment()
    with audited_transaction():
        event = (
            for_update(AdverseEvent.objects)
            .select_related("site", "unit", "patient")
            .filter(pk=event_id, site_id=by.site_id)
            .first()
        )
        if event is None:
            raise ValidationFailed("unknown_adverse_event", "No such adverse event.")
        if event.version != expected_version:
            raise ConflictError(
                "stale_adverse_event",
                "Someone else updated this event while you were editing. Reload to see their "
                "follow-up; your entries are still in the form.",
            )
        term = rules.term_of(event.term, event.soc, event.term_other)
        onset_day, today = _days(event.site.time_zone, event.onset_at, now)
        rules.check_assessment(term, judged, onset_day=onset_day, today=today)
        rules.check_resolution_time(
            judged.resolved_on,
            judged.resolved_time,
            onset_at=event.onset_at,
            now=now,
            zone=ZoneInfo(event.site.time_zone),
        )
        before = _snapshot(event)
        after = {
            "grade": judged.grade,
            "serious": judged.serious,
            "criteria": list(judged.criteria),
            "related_product": judged.related_product,
            "related_procedure": judged.related_procedure,
            "outcome": judged.outcome,
            "resolved_on": judged.resolved_on,
            "resolved_time": judged.resolved_time,
            "action_taken": action_taken,
        }
        changes = diff(before, {name: _plain(value) for name, value in after.items()})
        if not changes and not note:
            raise ValidationFailed(
                "nothing_changed", "Nothing changed: change a field or write a follow-up note."
            )
        was_serious = event.serious
        for name, value in after.items():
            setattr(event, name, value)
        event.version += 1
        event.updated_at = now
        event.save()
        record_event(
            actor=by,
            site=event.site,
            action="adverse_event.update",
            object_type="patient",
            object_id=event.patient_id,
            changes={
                "adverse_event": event.pk,
                "version": [expected_version, event.version],
                **changes,
                **({"note": note} if note else {}),
            },
            now=now,
            then=lambda audit: AdverseEventUpdate.objects.create(
                event=event,
                version=event.version,
                at=now,
                by=by,
                changes=changes,
                note=note,
                audit_seq=audit.seq,
            ),
        )
        if {"grade", "serious", "outcome"} & changes.keys():
            _unit_note(event, "adverse_event_update", by, now)
        if event.serious and not was_serious:
            alerts.notify_serious(event, event.administration, by=by, now=now)
    return event


def acknowledge_alert(event: AdverseEvent, *, by: User, now: datetime) -> Notification:
    """Mark the user's alert about an event as seen, recording who and when."""
    with audited_transaction():
        alert = for_update(Notification.objects).filter(event=event, user=by).first()
        if alert is None:
            raise ValidationFailed("no_alert", "You have no alert for this event.")
        if alert.acknowledged_at is not None:
            raise ConflictError("already_acknowledged", "You have already acknowledged this alert.")
        alert.acknowledged_at = now
        alert.acknowledged_by = by
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        record_event(
            actor=by,
            site=event.site,
            action="adverse_event.acknowledge",
            object_type="patient",
            object_id=event.patient_id,
            changes={"adverse_event": event.pk, "acknowledged_at": [None, now]},
            now=now,
        )
    return alert


def record_list_read(*, by: User, patient_ids: set[int]) -> None:
    """One read entry for a list of events: who saw which patients' events, not one per row."""
    with audited_transaction():
        record_event(
            actor=by,
            action="adverse_events.read",
            object_type="site",
            object_id=by.site_id,
            changes={"viewed": "adverse event list", "patients": sorted(patient_ids)},
        )
