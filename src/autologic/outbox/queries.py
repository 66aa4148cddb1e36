"""The read side of the outbox: what a clinic's staff must look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from autologic.accounts.models import Site
from autologic.outbox.domain import Status
from autologic.outbox.models import Message

SHOWN = 100
# A message just queued is not late: the worker picks it up within seconds.
GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Attention:
    failed: list[Message]  # gave up: a person must fix the address or the provider, then retry
    failing: list[Message]  # still trying: an attempt failed, or due for a while and not sent
    counts: dict[str, int]  # messages per status, all time


def attention(site: Site, now: datetime) -> Attention:
    """A clinic's messages that failed for good (newest first), and those still failing."""
    mine = Message.objects.filter(site=site)
    failed = list(mine.filter(status=Status.FAILED).order_by("-created_at", "-id")[:SHOWN])
    failing = list(
        mine.filter(status__in=[Status.PENDING, Status.SENDING])
        .filter(Q(attempts__gt=0) | Q(next_attempt_at__lte=now - GRACE))
        .order_by("created_at", "id")[:SHOWN]
    )
    counts = {row["status"]: row["n"] for row in mine.values("status").annotate(n=Count("id"))}
    return Attention(failed=failed, failing=failing, counts=counts)


def message_for_site(site: Site, message_id: int) -> Message | None:
    return Message.objects.filter(site=site, pk=message_id).first()
