"""Recall and look-back: open one (find, hold, inform), record a step, close it.

``open_recall`` runs in one audited transaction: it locks the courses and units it reaches (the
order of docs/architecture.md), records what it found, places the holds (``lab.actions.holds``),
queues every message in the outbox and records each step with its audit event.  When a result
fails after release it runs inside the recording transaction (``receivers``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from autologic.accounts.models import User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab.actions.holds import Target, place_hold, standing_hold
from autologic.lab.actions.units import locked
from autologic.lab.models import Collection, Unit
from autologic.lab.queries import held_unit_ids
from autologic.outbox.actions import queue_message
from autologic.recalls import mail, queries
from autologic.recalls.domain import Finding, Origin, Recipient
from autologic.recalls.models import Recall, RecallNotice, RecallStep, RecallUnit
from autologic.recalls.queries import Source, Survey

HOLD_SOURCES = {"manual": "recall", "post_release_qc": "post_release_qc"}


def _step(recall: Recall, kind: str, detail: dict[str, Any], *, by: User | None, now: datetime):
    """Record one step of the recall with its audit event (the row cites the event)."""
    record_event(
        actor=by,
        site=recall.site,
        action=f"recall.{kind}",
        object_type="recall",
        object_id=recall.pk,
        changes=detail,
        now=now,
        then=lambda event: RecallStep.objects.create(
            recall=recall, at=now, by=by, kind=kind, detail=detail, audit_seq=event.seq
        ),
    )


def open_recall(
    source: Source, *, reason: str, by: User, now: datetime, trigger: str = "manual"
) -> Recall:
    """Open a recall and look-back: find every unit reached and every administration made, hold
    what is left, and inform the patients, their physicians and the clinic's managers."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason_required", "Say why the recall is opened.", "reason")
    if trigger not in HOLD_SOURCES:
        raise ValidationFailed("trigger", "Unknown recall trigger.", "trigger")
    with audited_transaction():
        _lock(queries.reached_unit_ids(source))
        found = queries.survey(source)
        if not found.units:
            raise ValidationFailed(
                "nothing_reached", "The recall reaches no unit: nothing was made from it.", "id"
            )
        recall = Recall.objects.create(
            site=source.site,
            origin=source.origin.value,
            unit=source.unit if source.origin is Origin.UNIT else None,
            collection=source.collection,
            reagent_lot=source.reagent_lot,
            excursion=source.excursion,
            adverse_event=source.adverse_event,
            result=source.result,
            trigger=trigger,
            reason=reason,
            opened_by=by,
            opened_at=now,
        )
        RecallUnit.objects.bulk_create(
            RecallUnit(
                recall=recall,
                unit=unit,
                finding=found.look.findings[unit.pk].value,
                state_then=unit.status,
                administration=found.administrations.get(unit.pk),
            )
            for unit in found.units
        )
        _step(
            recall,
            "opened",
            {
                "origin": source.origin.value,
                "from": source.label,
                "trigger": trigger,
                "reason": reason,
                "units": {f.value: len(found.look.of(f)) for f in Finding},
                "administrations": [
                    found.administrations[pk].pk for pk in found.look.of(Finding.GIVEN)
                ],
            },
            by=by,
            now=now,
        )
        _hold(recall, found, reason=reason, by=by, now=now, source=HOLD_SOURCES[trigger])
        _inform(recall, found, by=by, now=now)
    return recall


def _lock(unit_ids: list[int]) -> None:
    """Courses first, then lots, then units in ascending id (docs/architecture.md)."""
    rows = list(
        Unit.objects.filter(pk__in=unit_ids).values_list("chain__course_id", "collection_id")
    )
    list(for_update(Course.objects).filter(pk__in={c for c, _lot in rows}).order_by("pk"))
    list(for_update(Collection.objects).filter(pk__in={lot for _c, lot in rows}).order_by("pk"))
    for pk in sorted(unit_ids):
        locked(pk)


def _targets(recall: Recall, found: Survey) -> list[Target]:
    """What to hold: the unit (and its divisions) of a unit recall, the units an excursion
    reached, else every lot with a unit left; not what an active hold already holds."""
    open_units = found.look.open_units
    if not open_units:
        return []
    if recall.origin == Origin.UNIT:
        targets = [Target("unit", unit=found.source.unit)]
    elif recall.origin == Origin.EXCURSION:
        targets = [Target("units", units=tuple(open_units))]
    else:
        targets = [Target("lot", collection=found.lots[lot]) for lot in found.look.open_lots]
    return [t for t in targets if standing_hold(t) is None]


def _hold(
    recall: Recall, found: Survey, *, reason: str, by: User, now: datetime, source: str
) -> None:
    holds = [
        place_hold(
            target,
            reason=f"{recall.get_origin_display()} recall R-{recall.pk}: {reason}",
            by=by,
            now=now,
            source=source,
        )
        for target in _targets(recall, found)
    ]
    recall.holds.add(*holds)
    open_ids = set(found.look.open_units)
    still = held_unit_ids(
        [(u.pk, u.collection_id, u.chain_id) for u in found.units if u.pk in open_ids]
    )
    _step(
        recall,
        "held",
        {
            "holds": [h.pk for h in holds],
            "held": sorted(u.identifier for u in found.units if u.pk in still),
            "already_given": [u.identifier for u in found.group(Finding.GIVEN)],
        },
        by=by,
        now=now,
    )


def _inform(recall: Recall, found: Survey, *, by: User, now: datetime) -> None:
    mrns = {pk: p.mrn for pk, p in found.patients.items()}
    held = len(found.look.of(Finding.TO_HOLD))
    listed = []
    for recipient in found.recipients:
        message_id = _queue(recall, recipient, found, mrns, held=held, now=now)
        RecallNotice.objects.create(
            recall=recall,
            patient_id=recipient.patient_id,
            user_id=recipient.staff_id,
            reasons=[r.value for r in recipient.reasons],
            channel=recipient.channel,
            to=recipient.to,
            message_id=message_id,
            created_at=now,
        )
        listed.append(
            {
                "who": mrns[recipient.patient_id]
                if recipient.patient_id is not None
                else found.staff[recipient.staff_id].printed_name
                if recipient.staff_id is not None
                else "",
                "reasons": [r.value for r in recipient.reasons],
                "channel": recipient.channel or "none",
            }
        )
    _step(recall, "notified", {"notices": listed}, by=by, now=now)


def _queue(
    recall: Recall,
    recipient: Recipient,
    found: Survey,
    mrns: dict[int, str],
    *,
    held: int,
    now: datetime,
) -> int | None:
    """Queue one message in the outbox; None when there is no address (a person must call)."""
    if not recipient.channel:
        return None
    if recipient.patient_id is not None:
        subject, body = mail.patient_message(recall, found.patients[recipient.patient_id])
        purpose = mail.PATIENT_PURPOSE
    else:
        assert recipient.staff_id is not None
        user = found.staff[recipient.staff_id]
        subject, body = mail.staff_mail(recall, user, recipient, mrns, held=held)
        purpose = mail.STAFF_PURPOSE
    message = queue_message(
        site=recall.site,
        channel=recipient.channel,
        to=recipient.to,
        subject=subject,
        body=body,
        purpose=purpose,
        ref=f"recall:{recall.pk}",
        now=now,
    )
    return message.pk


def add_note(recall: Recall, *, note: str, by: User, now: datetime) -> Recall:
    """Record a step done by hand (a patient reached by phone, a follow-up booked)."""
    if not note.strip():
        raise ValidationFailed("note", "Write what was done.", "note")
    with audited_transaction():
        row = for_update(Recall.objects).select_related("site").get(pk=recall.pk)
        if row.closed_at is not None:
            raise ConflictError("recall_closed", "This recall is closed.")
        _step(row, "note", {"note": note.strip()}, by=by, now=now)
    return row


def close_recall(recall: Recall, *, note: str, by: User, now: datetime) -> Recall:
    """Close a recall once no unit it reached is still on hold, with a closing note."""
    if not note.strip():
        raise ValidationFailed("note", "Say how the recall ends.", "note")
    with audited_transaction():
        row = for_update(Recall.objects).select_related("site").get(pk=recall.pk)
        if row.closed_at is not None:
            raise ConflictError("recall_closed", "This recall is already closed.")
        units = list(row.units.values_list("unit_id", "unit__collection_id", "unit__chain_id"))
        held = held_unit_ids([(u, lot, chain) for u, lot, chain in units])
        if held:
            raise ValidationFailed(
                "still_held",
                f"{len(held)} unit(s) of this recall are still on QA hold; lift the holds "
                "(return to use or dispose) before closing it.",
                "note",
            )
        row.closed_by, row.closed_at, row.closing_note = by, now, note.strip()
        row.save(update_fields=["closed_by", "closed_at", "closing_note"])
        _step(row, "closed", {"note": row.closing_note}, by=by, now=now)
    return row


def record_page_read(*, by: User, what: str, patient_ids: set[int]) -> None:
    """One read entry for a page that lists several patients: who saw which, not one per row."""
    if not patient_ids:
        return
    with audited_transaction():
        record_event(
            actor=by,
            action="recalls.read",
            object_type="site",
            object_id=by.site_id,
            changes={"viewed": what, "patients": sorted(patient_ids)},
        )
