"""Write audit events and electronic signatures; called inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.models import Site, User
from autologic.audit.domain import (
    SignatureMeaning,
    jsonable,
    stored_form,
    within_signing_window,
)
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
    actor_name: str | None = None,
) -> None:
    """Note one event for the hash chain; it is appended when the action's audited transaction
    commits, and ``then`` runs with the stored event (for rows that cite its sequence number)."""
    site = site if site is not None else getattr(actor, "site", None)
    note(
        Noted(
            values={
                "occurred_at": now or clock.now(),
                "actor_id": actor.pk if actor else None,
                "actor_name": actor.printed_name if actor else (actor_name or "system"),
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
    """Evidence that the signer just re-authenticated (password, and second factor if enrolled);
    ``continuous_session``: the password alone, within the signing window of the signer's own
    session (21 CFR 11.200(a)(1)(i))."""

    user: User
    second_factor: bool
    continuous_session: bool = False


# Where a session keeps its owner's last signing with password and code: {"at", "device"}.
FULL_SIGNING_KEY = "autologic.full_signing"


def verify_signer(
    user: User,
    *,
    password: str,
    otp_token: str = "",
    session: SessionBase | None = None,
    now: datetime | None = None,
) -> SignerProof:
    """Re-authenticate a signer (21 CFR 11.200); a refusal is audited and names the field.

    ``session`` is the request's session: when it is ``user``'s own and they signed with password
    and code within AUTOLOGIC_SIGNING_WINDOW_MINUTES, the password alone signs. Anyone else (a
    second signer at the same screen) always gives both."""
    now = now or clock.now()
    since = now - SIGNING_LOCKOUT
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
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return SignerProof(user=user, second_factor=False)
    token = (otp_token or "").strip()
    own = session if session is not None and _session_owner(session) == user.pk else None
    if not token:
        if own is not None and _in_signing_window(own, devices, now):
            return SignerProof(user=user, second_factor=False, continuous_session=True)
        raise ValidationFailed(
            "otp_required", "Enter the code from your authenticator app.", "otp_token"
        )
    device = match_token(user, token)
    if device is None:
        _record_refusal(user, "otp_token")
        if _just_used(devices, token):
            raise ValidationFailed(
                "otp_reused", "This code was just used; wait for the next code.", "otp_token"
            )
        raise ValidationFailed("wrong_otp", "The authenticator code is not correct.", "otp_token")
    if own is not None:
        own[FULL_SIGNING_KEY] = {"at": now.isoformat(), "device": device.persistent_id}
    return SignerProof(user=user, second_factor=True)


def end_signing_session(session: SessionBase) -> None:
    """Forget the session's last full signing: the next signing needs the code again (the
    session key was rotated, so a new continuous session begins)."""
    session.pop(FULL_SIGNING_KEY, None)


def _session_owner(session: SessionBase) -> int | None:
    """The signed-in user of a session, or None."""
    owner = session.get(auth.SESSION_KEY)
    return int(owner) if owner is not None and str(owner).isdigit() else None


def _in_signing_window(session: SessionBase, devices: list[Device], now: datetime) -> bool:
    """The session's owner signed with password and code recently enough, with an
    authenticator that is still theirs (a reset authenticator ends the window)."""
    full = session.get(FULL_SIGNING_KEY)
    if not isinstance(full, dict) or full.get("device") not in {d.persistent_id for d in devices}:
        return False
    try:
        at = datetime.fromisoformat(str(full.get("at")))
    except ValueError:
        return False
    return within_signing_window(at, now, settings.AUTOLOGIC_SIGNING_WINDOW_MINUTES)


def _just_used(devices: list[Device], token: str) -> bool:
    """Whether ``token`` is the code an authenticator accepted last (a replay within its step),
    so the signer is told to wait for the next code rather than that it is wrong."""
    if not token.isdigit():
        return False
    return any(
        isinstance(device, TOTPDevice)
        and device.last_t >= 0
        and hotp(device.bin_key, device.last_t, device.digits) == int(token)
        for device in devices
    )


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

    changes: dict[str, Any] = {"meaning": meaning.value, "record_hash": record_hash}
    if proof.continuous_session:
        # Signed with the password alone, within the signing window of the signer's own session.
        changes["continuous_session"] = True
    record_event(
        actor=user,
        action="signature.apply",
        object_type=object_type,
        object_id=object_id,
        changes=changes,
        now=now,
        then=seal,
    )
    return {"signer": user.pk, "meaning": meaning.value, "record_hash": record_hash}
