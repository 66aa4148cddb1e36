"""Write audit events and electronic signatures; called inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django_otp import devices_for_user, match_token

from autologic.accounts.models import Site, User
from autologic.audit.domain import EventFields, SignatureMeaning, event_hash, jsonable
from autologic.audit.models import AuditEvent, Signature
from autologic.common import clock
from autologic.common.domain.errors import ValidationFailed

# Repeated wrong passwords or codes at signing lock signing for a while (21 CFR 11.300(d)).
SIGNING_ATTEMPTS = 5
SIGNING_LOCKOUT = timedelta(minutes=15)

# Any constant works; it names the one lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 7_270_011


def _lock_chain() -> None:
    """Serialise chain appends (SQLite already does: its transactions start IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record_event(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any] | None = None,
    site: Site | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event to the hash chain; must run inside the action's own transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the action it audits")
    _lock_chain()
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    site = site if site is not None else getattr(actor, "site", None)
    fields = EventFields(
        seq=(last["seq"] + 1) if last else 1,
        occurred_at=now or clock.now(),
        actor_id=actor.pk if actor else None,
        actor_name=actor.printed_name if actor else "system",
        site_id=site.pk if site else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=jsonable(changes or {}),
        prev_hash=last["hash"] if last else "0" * 64,
    )
    return AuditEvent.objects.create(
        seq=fields.seq,
        occurred_at=fields.occurred_at,
        actor=actor,
        actor_name=fields.actor_name,
        site=site,
        action=fields.action,
        object_type=fields.object_type,
        object_id=fields.object_id,
        changes=fields.changes,
        prev_hash=fields.prev_hash,
        hash=event_hash(fields),
    )


def record_read(actor: User, object_type: str, object_id: object, *, what: str = "chart") -> None:
    """Log that a user read protected health information (who saw whose record, when)."""
    with transaction.atomic():
        record_event(
            actor=actor,
            action=f"{object_type}.read",
            object_type=object_type,
            object_id=object_id,
            changes={"viewed": what},
        )


@dataclass(frozen=True)
class SignerProof:
    """Evidence that the signer just re-authenticated (password, and second factor if enrolled)."""

    user: User
    second_factor: bool


def verify_signer(user: User, *, password: str, otp_token: str = "") -> SignerProof:
    """Re-authenticate a signer (21 CFR 11.200); a refusal is audited and names the field."""
    since = clock.now() - SIGNING_LOCKOUT
    refusals = AuditEvent.objects.filter(
        actor=user, action="signature.refused", occurred_at__gte=since
    ).count()
    if refusals >= SIGNING_ATTEMPTS:
        raise ValidationFailed(
            "signing_locked",
            "Too many failed signing attempts; wait 15 minutes.",
            "password",
            {"minutes": int(SIGNING_LOCKOUT.total_seconds() // 60)},
        )
    if not user.check_password(password or ""):
        _record_refusal(user, "password")
        raise ValidationFailed("wrong_password", "The password is not correct.", "password")
    has_device = any(True for _ in devices_for_user(user, confirmed=True))
    if has_device and (not otp_token or match_token(user, otp_token.strip()) is None):
        _record_refusal(user, "otp_token")
        raise ValidationFailed("wrong_otp", "The authenticator code is not correct.", "otp_token")
    return SignerProof(user=user, second_factor=has_device)


def _record_refusal(user: User, field: str) -> None:
    """Keep a refused signing attempt on the record even when the surrounding work rolls back."""
    with transaction.atomic():
        record_event(
            actor=user,
            action="signature.refused",
            object_type="user",
            object_id=user.pk,
            changes={"field": field},
        )


def content_hash(content: dict[str, Any]) -> str:
    """Return SHA-256 over the canonical JSON of the signed content."""
    body = json.dumps(jsonable(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def apply_signature(
    proof: SignerProof,
    *,
    meaning: SignatureMeaning,
    object_type: str,
    object_id: object,
    content: dict[str, Any],
    now: datetime | None = None,
) -> Signature:
    """Bind a signature to a record inside the signing action's transaction, and audit it."""
    now = now or clock.now()
    user = proof.user
    record_hash = content_hash(content)
    event = record_event(
        actor=user,
        action="signature.apply",
        object_type=object_type,
        object_id=object_id,
        changes={"meaning": meaning.value, "record_hash": record_hash},
        now=now,
    )
    return Signature.objects.create(
        signer=user,
        printed_name=user.printed_name,
        meaning=meaning.value,
        signed_at=now,
        site=user.site,
        object_type=object_type,
        object_id=str(object_id),
        record_hash=record_hash,
        second_factor=proof.second_factor,
        audit_seq=event.seq,
    )
