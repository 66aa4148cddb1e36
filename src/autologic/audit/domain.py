"""The hash chain of the audit trail: canonical form, row hash, and chain verification.

Each event's hash is SHA-256 over a canonical JSON serialisation of its fields plus the previous
event's hash, so altering, deleting or inserting any row breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64
ALGORITHM = "sha256-canonical-json-v1"


class SignatureMeaning(StrEnum):
    """What a signer declares by signing (21 CFR 11.50(a)(3))."""

    AUTHORED = "authored"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    ADMINISTERED = "administered"
    VERIFIED = "verified"  # the second person's bedside check


@dataclass(frozen=True)
class EventFields:
    """The hashed content of one audit event."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    site_id: int | None
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying a chain: intact, or the first broken sequence number and why."""

    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH


def jsonable(value: Any) -> Any:
    """Turn a field value into the JSON form the audit trail stores (dates as ISO text)."""
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def stored_form(value: Any) -> Any:
    """Return a JSON value exactly as SQLite and PostgreSQL both give it back, so what is hashed
    is what is stored.

    PostgreSQL keeps JSON numbers as exact decimals: a float with an integral value (1e16) comes
    back as the integer 10000000000000000, and ``-0.0`` as ``0``.  Neither database stores NaN or
    infinities (kept as text), the NUL character or a lone surrogate (each becomes U+FFFD).
    """
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return int(Decimal(repr(value))) if value.is_integer() else value
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {_storable_text(str(k)): stored_form(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stored_form(v) for v in value]
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _storable_text(text: str) -> str:
    if not _encodable(text):
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text.replace("\x00", "\ufffd")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def canonical_time(moment: datetime) -> str:
    """Write an aware datetime as UTC ISO 8601 with microseconds and a Z."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for every field whose JSON value changed.

    An empty string and a missing value both mean "no value", so that pair is no change.
    """
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new and not (old in (None, "") and new in (None, "")):
            changed[key] = [old, new]
    return changed


def canonical_bytes(event: EventFields) -> bytes:
    """Serialise an event canonically: sorted keys, no spaces, UTF-8, UTC microsecond time."""
    body = {
        "alg": ALGORITHM,
        "seq": event.seq,
        "occurred_at": canonical_time(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "site_id": event.site_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": jsonable(event.changes),
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: EventFields) -> str:
    """Return the hex SHA-256 of an event's canonical form."""
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def verify_chain(rows: Iterable[tuple[EventFields, str]]) -> ChainReport:
    """Walk (fields, stored hash) pairs in sequence order and report the first break."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for fields, stored in rows:
        count += 1
        if fields.seq != expected_seq:
            where = min(fields.seq, expected_seq)
            return ChainReport(False, count, where, f"sequence gap: expected {expected_seq}")
        if fields.prev_hash != expected_prev:
            return ChainReport(False, count, fields.seq, "previous-hash link does not match")
        if event_hash(fields) != stored:
            return ChainReport(False, count, fields.seq, "row content does not match its hash")
        expected_prev, expected_seq = stored, expected_seq + 1
    return ChainReport(True, count, head_hash=expected_prev)


def parse_signing_window(text: str) -> int:
    """Parse the signing window in whole minutes (0: every signing needs the code); a
    ValueError says what is wrong."""
    if not text.strip().isdigit():
        raise ValueError(f"must be a whole number of minutes, 0 or more, not {text!r}")
    return int(text)


def within_signing_window(full_signing_at: datetime, now: datetime, minutes: int) -> bool:
    """Whether a signing at ``now`` may use the password alone (21 CFR 11.200(a)(1)(i)): it
    comes at most ``minutes`` after the signer's last signing with every component, in the same
    continuous session. A time in the future (a clock set back) opens nothing."""
    elapsed = (now - full_signing_at).total_seconds()
    return minutes > 0 and 0 <= elapsed <= minutes * 60
