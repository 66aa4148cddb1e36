"""The cold chain between the freezer and the bedside: how long an issued unit may be out.

A frozen unit leaves its freezer when it is issued.  The protocol limits the time from issue to
the start of thawing (``issue_to_thaw``); past it the unit may have partly thawed on the way and
is not thawed any more.  A unit that is not used may go back to stock only while it has been out
for less than the protocol's time out of the freezer (``out_of_freezer``).  Expiry is checked
apart, at every step (the state machine and the bedside check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from autologic.injections.domain.bedside import Finding


@dataclass(frozen=True)
class OutOfFreezer:
    """An issued unit and the protocol's limits for it (None: no limit applies)."""

    identifier: str
    frozen: bool
    issued_at: datetime
    issue_to_thaw_min: int | None
    out_of_freezer_min: int | None

    @property
    def thaw_by(self) -> datetime | None:
        """When thawing must have started."""
        if not self.frozen or self.issue_to_thaw_min is None:
            return None
        return self.issued_at + timedelta(minutes=self.issue_to_thaw_min)

    @property
    def return_by(self) -> datetime | None:
        """Until when the unit may go back to its freezer."""
        if not self.frozen or self.out_of_freezer_min is None:
            return None
        return self.issued_at + timedelta(minutes=self.out_of_freezer_min)


def _minutes(since: datetime, now: datetime) -> int:
    return int((now - since).total_seconds() // 60)


def thaw_refusal(unit: OutOfFreezer, now: datetime) -> Finding | None:
    """Why the unit can no longer be thawed, or None."""
    deadline = unit.thaw_by
    if deadline is None or now <= deadline:
        return None
    return Finding(
        "issue_to_thaw",
        "unit",
        f"Unit {unit.identifier} left the freezer at {unit.issued_at:%H:%M} UTC, "
        f"{_minutes(unit.issued_at, now)} min ago; the protocol allows {unit.issue_to_thaw_min} "
        "min from issue to thawing. It cannot be thawed or given: discard it.",
    )


def return_refusal(unit: OutOfFreezer, now: datetime) -> Finding | None:
    """Why the unit can no longer go back to stock, or None."""
    deadline = unit.return_by
    if deadline is None or now <= deadline:
        return None
    return Finding(
        "out_of_freezer",
        "unit",
        f"Unit {unit.identifier} has been out of the freezer for "
        f"{_minutes(unit.issued_at, now)} min (since {unit.issued_at:%H:%M} UTC); the protocol "
        f"lets it go back to stock only within {unit.out_of_freezer_min} min. Use it for this "
        "session or discard it.",
    )
