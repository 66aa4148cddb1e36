"""A course's follow-up schedule from its protocol version, and the state of each timepoint.

The protocol names an anchor (first or last injection) and timepoints in weeks or months (a month
is 30 days, the protocol schema's convention) with a tolerance window.  Decisions:

- a PROM timepoint at offset 0 is the baseline: it must describe the joint *before* treatment, so
  it is anchored on the first injection whatever the schedule's anchor, and due that day;
- instruments are chosen per treated region: KOOS for a knee, HOOS for a hip, ODI for the lumbar
  spine, and generic scales (NRS, VAS, PGA) everywhere;
- a timepoint is ``upcoming`` before its window opens, ``due`` from then to its due date,
  ``overdue`` after its due date while the window is open, ``missed`` once the window has closed,
  and ``done`` when everything due at it has been answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from autologic.outcomes.domain.registry import for_region
from autologic.protocols.domain.schema import FollowUp, Timepoint


class State(StrEnum):
    """Where a timepoint stands on a given day."""

    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    DONE = "done"


@dataclass(frozen=True)
class Planned:
    """One timepoint of one treated region, with its dates and the instruments due."""

    key: str
    kind: str
    due: date
    opens: date
    closes: date
    instruments: tuple[str, ...]
    modality: str | None = None


def is_baseline(timepoint: Timepoint) -> bool:
    """True for a PROM timepoint at offset 0."""
    return timepoint.kind == "prom" and timepoint.offset_days == 0


def plan(
    follow_up: FollowUp, *, first_injection: date, last_injection: date, region: str
) -> list[Planned]:
    """Every timepoint of the schedule for one treated region, in due-date order."""
    planned = []
    for tp in follow_up.timepoints:
        anchor = (
            first_injection
            if is_baseline(tp) or follow_up.anchor == "first_injection"
            else last_injection
        )
        due = anchor + timedelta(days=tp.offset_days)
        instruments = tuple(for_region(tp.instruments, region))
        if tp.kind == "prom" and not instruments:
            continue  # nothing this region can answer at this timepoint
        planned.append(
            Planned(
                key=tp.key,
                kind=tp.kind,
                due=due,
                opens=due - timedelta(days=tp.window_days_before),
                closes=due + timedelta(days=tp.window_days_after),
                instruments=instruments,
                modality=tp.modality,
            )
        )
    return sorted(planned, key=lambda p: (p.due, p.key))


def state(*, opens: date, due: date, closes: date, today: date, done: bool) -> State:
    """The state of a timepoint on this day."""
    if done:
        return State.DONE
    if today < opens:
        return State.UPCOMING
    if today <= due:
        return State.DUE
    if today <= closes:
        return State.OVERDUE
    return State.MISSED
