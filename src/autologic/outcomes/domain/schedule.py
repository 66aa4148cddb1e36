"""The state of a follow-up timepoint; what each treated region answers is ``registry.for_region``.

The dates come from the course: ``care`` turns the protocol's follow-up block into appointments
with a due date and a tolerance window (baseline counts from the collection, later timepoints
from the protocol's anchor injection).  Decisions here:

- instruments are chosen per treated region: KOOS for a knee, HOOS for a hip, FAOS for an ankle,
  ODI for the lumbar spine, NDI for the cervical spine, QuickDASH for the upper limb, and generic
  scales (NRS, VAS, PGA) everywhere;
- a timepoint is ``upcoming`` before its window opens, ``due`` from then to its due date,
  ``overdue`` after its due date while the window is open, ``missed`` once the window has closed,
  and ``done`` when everything due at it has been answered.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class State(StrEnum):
    """Where a timepoint stands on a given day."""

    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    DONE = "done"


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
