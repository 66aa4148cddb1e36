"""Outbox state changes: queue a message with the action that causes it, deliver it, retry it.

``queue_message`` runs inside the caller's transaction, so a message exists exactly when the
thing it reports was committed. Delivery happens after commit, on the task queue; a failure
reschedules the message with backoff instead of losing it, and a sweep (``deliver_due``) picks
up anything whose task was lost (a broker restart, a worker killed mid-send).

What must never be stored (a portal token) is not in the stored text: the app that queued the
message registers a renderer for its ``ref`` and completes the text as it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from autologic.accounts.models import Site, User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, DomainError, ValidationFailed
from autologic.common.domain.phones import region_for_zone, to_e164
from autologic.outbox import channels
from autologic.outbox.domain import STALE_CLAIM, Channel, Status, after_failure
from autologic.outbox.models import Message

log = logging.getLogger(__name__)

# (message, now) -> (subject, text) as they are sent; raises channels.Refused when the message
# must not go any more.
Renderer = Callable[[Message, datetime], tuple[str, str]]
_renderers: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Complete the text of messages whose ref starts with ``kind:`` as they are sent."""
    _renderers[kind] = renderer


def queue_message(
    *,
    site: Site,
    channel: str,
    to: str,
    subject: str = "",
    body: str,
    purpose: str,
    ref: str = "",
    now: datetime,
) -> Message:
    """Store one message to send after the surrounding transaction commits."""
    if channel not in set(Channel):
        raise ValidationFailed("bad_channel", f"No channel {channel!r}.", "channel")
    if not to.strip():
        raise ValidationFailed("no_recipient", "The message has no recipient.", "to")
    message = Message.objects.create(
        site=site,
        channel=channel,
        to=to.strip(),
        subject=subject[:200],
        body=body,
        purpose=purpose,
        ref=ref,
        status=Status.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int, run_after: datetime | None = None) -> None:
    """Hand a delivery to the task queue; if the queue is down, the sweep will find it."""
    from autologic.outbox import tasks

    try:
        task = tasks.deliver.using(run_after=run_after) if run_after else tasks.deliver
        task.enqueue(message_id)
    except Exception:  # the row is safe in the database; never fail the clinical action
        log.exception(
            "could not enqueue delivery of message %s; the sweep will send it", message_id
        )


def _due(now: datetime) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )


def _claim(message_id: int, now: datetime) -> Message | None:
    """Take the message for this worker; a second worker gets nothing (compare and set)."""
    taken = Message.objects.filter(_due(now), pk=message_id).update(
        status=Status.SENDING, claimed_at=now
    )
    return Message.objects.get(pk=message_id) if taken else None


def _send(message: Message, now: datetime, accepted: Callable[[str], object]) -> None:
    """Send through the message's channel; ``accepted`` runs with the provider's id as soon as
    the far end has taken it."""
    renderer = _renderers.get(message.ref.split(":")[0]) if message.ref else None
    subject, body = renderer(message, now) if renderer else (message.subject, message.body)
    if message.channel == Channel.SMS:
        accepted(channels.sms_gateway().send(_sms_number(message), body))
        return
    channels.send_email(
        message.to, subject, body, message_id=message_id(message), accepted=accepted
    )


def message_id(message: Message) -> str:
    """One Message-ID per outbox message, the same at every attempt (RFC 5322 §3.6.4)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "autologic.invalid"
    return f"<outbox.{message.pk}.{int(message.created_at.timestamp())}@{domain}>"


def _sms_number(message: Message) -> str:
    """The number in E.164, read in the clinic's country; one that does not parse is never
    sent to (a person corrects the patient's record and retries)."""
    try:
        return to_e164(message.to, region_for_zone(message.site.time_zone))
    except DomainError as error:
        raise channels.Refused(error.message) from error


def deliver(message_id: int, *, now: datetime) -> str:
    """Try to send one due message; return its status afterwards ('' when it was not due)."""
    message = _claim(message_id, now)
    if message is None:
        return ""
    attempts = message.attempts + 1
    sent: list[str] = []

    def accepted(provider_id: str) -> None:
        Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=Status.SENT,
            attempts=attempts,
            sent_at=now,
            provider_id=provider_id[:120],
            last_error="",
            next_attempt_at=None,
            claimed_at=None,
        )
        sent.append(provider_id)

    try:
        _send(message, now, accepted)
    except channels.Refused as error:
        outcome = after_failure(attempts, now, str(error), permanent=True)
    except Exception as error:  # network, timeouts, 4xx SMTP: all worth another try
        if sent:  # accepted and recorded; what failed came after
            return Status.SENT
        outcome = after_failure(attempts, now, f"{type(error).__name__}: {error}", permanent=False)
    else:
        return Status.SENT  # accepted() has recorded it
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=outcome.status,
        attempts=attempts,
        next_attempt_at=outcome.next_attempt_at,
        last_error=outcome.error[:2000],
        claimed_at=None,
    )
    if outcome.next_attempt_at is not None:
        _enqueue(message.pk, run_after=outcome.next_attempt_at)
    return outcome.status


def deliver_due(*, now: datetime, limit: int = 200) -> dict[str, int]:
    """Send every message that is due (the sweep); return how many ended in each status."""
    ids = list(
        Message.objects.filter(_due(now))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for message_id in ids:
        status = deliver(message_id, now=now)
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


def retry_now(message: Message, *, by: User, now: datetime) -> Message:
    """A person sends a message that needed attention once more (audited)."""
    with audited_transaction():
        changed = Message.objects.filter(pk=message.pk, status=Status.FAILED).update(
            status=Status.PENDING, next_attempt_at=now, attempts=0
        )
        if not changed:
            raise ConflictError("not_failed", "Only a message that needs attention is retried.")
        record_event(
            actor=by,
            action="outbox.retried",
            object_type="message",
            object_id=message.pk,
            changes={
                "status": [Status.FAILED, Status.PENDING],
                "last_error": [message.last_error, ""],
            },
            site=message.site,
            now=now,
        )
        transaction.on_commit(lambda: _enqueue(message.pk))
    message.refresh_from_db()
    return message
