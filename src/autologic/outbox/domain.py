"""Delivery rules of the outbox: how long to wait before the next try, and when to give up.

A message is retried with exponential backoff (1, 2, 4, ... minutes, at most six hours apart)
until it is delivered, refused permanently, or has been tried ``MAX_ATTEMPTS`` times; then it
waits for a person on the outbox page. It is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 15  # about two and a half days of retries
# A claim older than this belonged to a worker that died mid-send: the message is due again.
STALE_CLAIM = timedelta(minutes=10)


class Status(StrEnum):
    """Where a message is: waiting, being sent by one worker, delivered, or waiting for a person."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Channel(StrEnum):
    """How a message travels."""

    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt leaves behind."""

    status: Status
    next_attempt_at: datetime | None
    error: str = ""


def delay(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts (1 → one minute, doubling, capped)."""
    if attempts < 1:
        raise ValueError("attempts counts failures and starts at 1")
    wait: timedelta = FIRST_DELAY * (2 ** (attempts - 1))
    return min(wait, LONGEST_DELAY)


def after_failure(attempts: int, now: datetime, error: str, *, permanent: bool) -> Outcome:
    """The state after a failed attempt: retry later, or hand over to a person."""
    if permanent or attempts >= MAX_ATTEMPTS:
        return Outcome(Status.FAILED, None, error)
    return Outcome(Status.PENDING, now + delay(attempts), error)
