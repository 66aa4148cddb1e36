"""Read side of the audit trail: history of one record, the site log, and chain verification."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from django.db.models import QuerySet

from autologic.audit.anchoring.domain import AnchorCheck, Anchored, check_anchors
from autologic.audit.domain import ChainReport, EventFields, verify_chain
from autologic.audit.models import AuditEvent, Signature

_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "site_id",
    "action",
    "object_type",
    "object_id",
    "changes",
    "prev_hash",
    "hash",
)


def history(object_type: str, object_id: object, limit: int = 50) -> list[AuditEvent]:
    """Return the newest events about one record."""
    return list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
            "-seq"
        )[:limit]
    )


def site_log(
    site_id: int | None, *, action: str = "", before: int | None = None, limit: int = 50
) -> QuerySet[AuditEvent]:
    """Return a page of a site's events, newest first, by action prefix and before a seq."""
    qs = AuditEvent.objects.filter(site_id=site_id).order_by("-seq")
    if action:
        qs = qs.filter(action__startswith=action)
    if before:
        qs = qs.filter(seq__lt=before)
    return qs[:limit]


def signatures_for(object_type: str, object_id: object) -> list[Signature]:
    """Return the signatures bound to one record, oldest first."""
    return list(Signature.objects.filter(object_type=object_type, object_id=str(object_id)))


def _rows() -> Iterator[tuple[EventFields, str]]:
    for row in AuditEvent.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=5000):
        *values, stored = row
        yield EventFields(*values), stored


def verify() -> ChainReport:
    """Recompute the whole chain, then check every signature against the event that sealed it."""
    report = verify_chain(_rows())
    if not report.ok:
        return report
    sealed = {
        row["seq"]: row
        for row in AuditEvent.objects.filter(action="signature.apply").values(
            "seq", "actor_id", "object_type", "object_id", "changes"
        )
    }
    for sig in Signature.objects.order_by("audit_seq").iterator(chunk_size=2000):
        event = sealed.get(sig.audit_seq)
        expected: dict[str, Any] = {"meaning": sig.meaning, "record_hash": sig.record_hash}
        if event is not None and "continuous_session" in event["changes"] and not sig.second_factor:
            expected["continuous_session"] = True
        if event is None or (
            event["actor_id"],
            event["object_type"],
            event["object_id"],
            event["changes"],
        ) != (sig.signer_id, sig.object_type, sig.object_id, expected):
            return replace(
                report,
                ok=False,
                first_broken_seq=sig.audit_seq,
                reason=f"signature {sig.pk} does not match the event that sealed it",
            )
    return report


def chain_head() -> tuple[int, str] | None:
    """Return the last event's (seq, hash), or None while the chain is empty."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return (head[0], head[1]) if head else None


def verify_anchors(anchored: Sequence[Anchored], chunk: int = 500) -> AnchorCheck:
    """Check that every anchored head is still in the chain with the hash it had."""
    seqs = sorted({item.anchor.seq for item in anchored})
    stored: dict[int, str] = {}
    for start in range(0, len(seqs), chunk):
        rows = AuditEvent.objects.filter(seq__in=seqs[start : start + chunk])
        stored.update(rows.values_list("seq", "hash"))
    return check_anchors(anchored, stored)
