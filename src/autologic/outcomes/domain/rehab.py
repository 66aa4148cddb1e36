"""Rehabilitation phases as follow-up items: when each phase runs, and what a change may say.

A protocol's phase with a ``key`` counts its days from the course's last injection (seed 004:
water and stretching from the second week, walking from the third, strengthening from the second
month).  Staff record that a phase has started, is done, or has a problem (which needs a note).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from autologic.common.domain.errors import ValidationFailed
from autologic.protocols.domain.schema import RehabPhase

MAX_NOTE = 2000


class RehabStatus(StrEnum):
    """Where a patient is with one phase."""

    STARTED = "started"
    DONE = "done"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Window:
    """The days a phase runs, from the anchor; ``until`` is open for a phase without an end."""

    starts: date
    until: date | None

    def state(self, today: date) -> str:
        """``upcoming``, ``current`` or ``past`` on ``today``."""
        if today < self.starts:
            return "upcoming"
        if self.until is not None and today > self.until:
            return "past"
        return "current"


def window(phase: RehabPhase, anchor: date) -> Window:
    """The dates of a phase counted from the anchor (day 0 is the injection day)."""
    until = None if phase.until_day is None else anchor + timedelta(days=phase.until_day)
    return Window(anchor + timedelta(days=phase.from_day), until)


def trackable(phases: list[RehabPhase]) -> list[RehabPhase]:
    """The phases a course tracks: those with a key (version 3 files and later)."""
    return [phase for phase in phases if phase.key]


def check_change(
    phase: RehabPhase | None,
    key: str,
    status: str,
    note: str,
    *,
    anchor: date | None,
    on: date,
) -> RehabStatus:
    """Refuse a change that names no tracked phase, an unknown status, a problem without a note,
    or a phase started before its course's injection."""
    if phase is None:
        raise ValidationFailed("rehab_phase_unknown", f"No tracked phase {key!r}.", "phase")
    if status not in {s.value for s in RehabStatus}:
        raise ValidationFailed("rehab_status_unknown", f"Unknown status {status!r}.", "status")
    if status == RehabStatus.PROBLEM and not note.strip():
        raise ValidationFailed("rehab_problem_needs_note", "Describe the problem.", "note")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            "rehab_note_too_long", f"The note is longer than {MAX_NOTE} characters.", "note"
        )
    if anchor is None:
        raise ValidationFailed(
            "rehab_injection_unplanned",
            "Rehabilitation counts from the injection, which is not planned yet.",
            "phase",
        )
    if on < anchor:
        raise ValidationFailed(
            "rehab_before_injection",
            f"Rehabilitation counts from the injection on {anchor}; nothing is recorded before it.",
            "phase",
        )
    return RehabStatus(status)
