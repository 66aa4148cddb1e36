"""Write audit events and electronic signatures; called inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django_otp import devices_for_user, match_token

from autologic.accounts.models import Site, User
from autologic.audit.domain import SignatureMeaning, jsonable, stored_form
from autologic.audit.journal import Noted, audited_transaction, note
from autologic.audit.models import AuditEvent, Signature
from autologic.common import clock
from autologic.common.domain.errors import ValidationFailed

# Repeated wrong passwords or codes at signing lock signing for a while (21 CFR 11.300(d)).
SIGNING_ATTEMPTS = 5
SIGNING_LOCKOUT = timedelta(minutes=15)


def record_event(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any] | None = None,
    site: Site | None = None,
    now: datetime | None = None,
    then: Callable[[AuditEvent], object] | None = None,
) -> None:
    """Note one event for the hash chain; it is appended when the action's audited transaction
    commits, and ``then`` runs with the stored event (for rows that cite its sequence number)."""
    site = site if site is not None else getattr(actor, "site", None)
    note(
        Noted(
            values={
                "occurred_at": now or clock.now(),
                "actor_id": actor.pk if actor else None,
                "actor_name": actor.printed_name if actor else "system",
                "site_id": site.pk if site else None,
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "changes": stored_form(jsonable(changes or {})),
            },
            actor=actor,
            site=site,
            then=then,
        )
    )


def record_read(actor: User, object_type: str, object_id: object, *, what: str = "chart") -> None:
    """Log that a user read protected health information (who saw whose record, when)."""
    with audited_transaction():
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
    with audited_transaction():
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
) -> dict[str, Any]:
    """Bind a signature to a record inside the signing action's transaction, and audit it.

    The signature row is written with the event that seals it; the returned reference (signer,
    meaning, hash of the signed content) is what the signed record keeps."""
    now = now or clock.now()
    user = proof.user
    record_hash = content_hash(content)

    def seal(event: AuditEvent) -> None:
        Signature.objects.create(
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

    record_event(
        actor=user,
        action="signature.apply",
        object_type=object_type,
        object_id=object_id,
        changes={"meaning": meaning.value, "record_hash": record_hash},
        now=now,
        then=seal,
    )
    return {"signer": user.pk, "meaning": meaning.value, "record_hash": record_hash}
