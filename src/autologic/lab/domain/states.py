"""The life of a product unit: its states, the allowed moves, and the guards that refuse them.

collected -> processing -> (divided into children) ; children start quarantined
quarantined -> released -> reserved -> issued -> thawed -> administered
released, reserved, issued, thawed -> quarantined (an excursion, a QA hold)
any open state -> discarded (with a reason) or expired

A unit under a QA hold is not released (nor requalified) until QA lifts the hold, signed.

Only ``move`` changes a state.  Every refusal is a ``Refused`` with a stable code and a message
that says why, so the screen, the API and the audit trail all tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    """Where a unit is in its life."""

    COLLECTED = "collected"
    PROCESSING = "processing"
    DIVIDED = "divided"  # processed into child units; it holds nothing any more
    QUARANTINED = "quarantined"
    RELEASED = "released"
    RESERVED = "reserved"
    ISSUED = "issued"
    THAWED = "thawed"
    ADMINISTERED = "administered"
    DISCARDED = "discarded"
    EXPIRED = "expired"


class Move(StrEnum):
    """The named transitions."""

    START_PROCESSING = "start_processing"
    DIVIDE = "divide"
    QUARANTINE = "quarantine"
    RELEASE = "release"
    RESERVE = "reserve"
    UNRESERVE = "unreserve"
    ISSUE = "issue"
    RETURN = "return"
    THAW = "thaw"
    ADMINISTER = "administer"
    DISCARD = "discard"
    EXPIRE = "expire"


FINAL = frozenset({State.DIVIDED, State.ADMINISTERED, State.DISCARDED, State.EXPIRED})
USABLE = frozenset({State.RELEASED, State.RESERVED, State.ISSUED, State.THAWED})

_MOVES: dict[Move, tuple[frozenset[State], State]] = {
    Move.START_PROCESSING: (frozenset({State.COLLECTED}), State.PROCESSING),
    Move.DIVIDE: (frozenset({State.PROCESSING}), State.DIVIDED),
    # A thawed unit can be held too: a hold must stop it at the bedside.
    Move.QUARANTINE: (
        frozenset({State.RELEASED, State.RESERVED, State.ISSUED, State.THAWED, State.QUARANTINED}),
        State.QUARANTINED,
    ),
    Move.RELEASE: (frozenset({State.QUARANTINED}), State.RELEASED),
    Move.RESERVE: (frozenset({State.RELEASED}), State.RESERVED),
    Move.UNRESERVE: (frozenset({State.RESERVED}), State.RELEASED),
    Move.ISSUE: (frozenset({State.RESERVED}), State.ISSUED),
    Move.RETURN: (frozenset({State.ISSUED}), State.RESERVED),
    Move.THAW: (frozenset({State.ISSUED}), State.THAWED),
    Move.ADMINISTER: (frozenset({State.ISSUED, State.THAWED}), State.ADMINISTERED),
    Move.DISCARD: (frozenset(State) - FINAL, State.DISCARDED),
    Move.EXPIRE: (
        frozenset({State.QUARANTINED, State.RELEASED, State.RESERVED, State.ISSUED}),
        State.EXPIRED,
    ),
}


class Refused(Exception):
    """A move the rules do not allow, with a stable code and the reason."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class UnitFacts:
    """What the guards need to know about a unit, as plain values."""

    state: State
    source_patient: int
    frozen: bool
    expires_at: datetime | None = None
    thawed_at: datetime | None = None
    thaw_window_min: int | None = None
    reserved_for_patient: int | None = None
    on_hold: bool = False  # an active QA hold covers the unit


def thaw_deadline(facts: UnitFacts) -> datetime | None:
    """When a thawed unit stops being usable, or None when not thawed or no window applies."""
    if facts.thawed_at is None or facts.thaw_window_min is None:
        return None
    return facts.thawed_at + timedelta(minutes=facts.thaw_window_min)


def _allowed_from(move: Move, state: State) -> None:
    sources, _target = _MOVES[move]
    if state not in sources:
        allowed = ", ".join(sorted(s.value for s in sources))
        raise Refused(
            "wrong_state",
            f"cannot {move.value.replace('_', ' ')} a unit that is {state.value} "
            f"(allowed from: {allowed})",
        )


def _not_expired(facts: UnitFacts, now: datetime) -> None:
    if facts.expires_at is not None and now >= facts.expires_at:
        raise Refused(
            "expired", f"the unit expired at {facts.expires_at:%Y-%m-%d %H:%M} UTC; discard it"
        )


def _same_patient(facts: UnitFacts, patient: int | None) -> None:
    if patient is None or patient != facts.source_patient:
        raise Refused(
            "wrong_patient",
            "this unit was made from another patient; autologous products go only to their "
            "source patient",
            "patient",
        )


def move(
    facts: UnitFacts,
    step: Move,
    *,
    now: datetime,
    patient: int | None = None,
    reason: str = "",
) -> State:
    """Return the state after ``step``, or raise ``Refused`` saying why it is not allowed.

    ``patient`` is the patient the unit is reserved for or given to; ``reason`` explains a
    discard or a quarantine.
    """
    _allowed_from(step, facts.state)
    if step in (Move.DISCARD, Move.QUARANTINE) and not reason.strip():
        raise Refused("reason_required", f"give a reason to {step.value} the unit", "reason")
    if step is Move.RELEASE and facts.on_hold:
        raise Refused(
            "on_hold",
            "the unit is on QA hold; lifting the hold needs a signed QA disposition",
        )
    if step in (Move.RELEASE, Move.RESERVE, Move.ISSUE, Move.THAW):
        _not_expired(facts, now)
    if step in (Move.RESERVE, Move.ADMINISTER):
        _same_patient(facts, patient)
    if step is Move.THAW and not facts.frozen:
        raise Refused("not_frozen", "this product is stored fresh; it is not thawed")
    if step is Move.ADMINISTER:
        _administrable(facts, now)
    if step is Move.EXPIRE and (facts.expires_at is None or now < facts.expires_at):
        raise Refused("not_expired", "the unit has not reached its expiry")
    return _MOVES[step][1]


def _administrable(facts: UnitFacts, now: datetime) -> None:
    if facts.frozen and facts.state is not State.THAWED:
        raise Refused("not_thawed", "a frozen product must be thawed before it is given")
    if facts.state is State.ISSUED:
        _not_expired(facts, now)
    deadline = thaw_deadline(facts)
    if deadline is not None and now > deadline:
        raise Refused(
            "thaw_window",
            f"thawed at {facts.thawed_at:%H:%M} UTC; the {facts.thaw_window_min}-minute "
            "thaw-to-injection window has passed, so the unit is unusable; discard it",
        )


def sources(step: Move) -> frozenset[State]:
    """The states a move may start from (for menus and tests)."""
    return _MOVES[step][0]
