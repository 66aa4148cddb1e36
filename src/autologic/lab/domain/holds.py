"""QA holds and disposal: which units a hold moves, which return to use when it is lifted, and
what a disposal must record.

A hold quarantines every unit of its target that is still usable (released, reserved, issued or
thawed) and covers the rest that are not final, so a lot still in processing cannot be released
while it stands.  Lifting it with "released" returns a unit to use only when the hold itself
took it out of use, nothing else holds it, and it was never thawed (a thawed product cannot go
back to stock); every other unit stays quarantined, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from autologic.lab.domain.states import FINAL, Refused, State

# States a hold moves to quarantined; a quarantined unit stays as it is.
HOLDABLE = frozenset({State.RELEASED, State.RESERVED, State.ISSUED, State.THAWED})
# States a hold returns to use when lifted, when it was the hold that moved the unit.
RETURNABLE = frozenset({State.RELEASED, State.RESERVED, State.ISSUED})
DECISIONS = ("released", "discarded")

DISPOSAL_REASONS = (
    "damaged",
    "expired",
    "thaw_window",
    "failed_qc",
    "qa_hold",
    "contaminated",
    "cold_chain",
    "label",
    "not_needed",
    "other",
)
DISPOSAL_METHODS = ("incineration", "autoclave", "chemical", "investigation")


def is_open(state: str) -> bool:
    """Whether a unit in this state can still be held (it is not given, discarded, expired or
    divided into others)."""
    return State(state) not in FINAL


def moves_to_quarantine(state: str) -> bool:
    """Whether placing a hold takes a unit in this state out of use."""
    return State(state) in HOLDABLE


@dataclass(frozen=True)
class HeldFacts:
    """What lifting a hold needs to know about one unit it covers."""

    state: str
    status_before: str | None  # None: the unit was made after the hold was placed
    thawed: bool
    held_elsewhere: bool  # another active hold covers it


def why_kept(facts: HeldFacts) -> str | None:
    """Why a unit stays out of use when its hold is lifted with "released", or None when it
    returns to use."""
    if facts.state != State.QUARANTINED:
        return "not_quarantined"
    if facts.held_elsewhere:
        return "held_elsewhere"
    if facts.thawed or facts.status_before == State.THAWED:
        return "thawed"
    if facts.status_before is None or State(facts.status_before) not in RETURNABLE:
        return "was_quarantined"  # waiting for its lot's release, or an excursion's review
    return None


@dataclass(frozen=True)
class Disposing:
    """A disposal as the lab records it: coded reason, details, method, who and the witness."""

    reason_code: str
    method: str
    reason: str = ""


def check_disposal(disposing: Disposing, *, by: int, witness: int) -> str:
    """Refuse an incomplete disposal; return the reason as stored on the unit."""
    if disposing.reason_code not in DISPOSAL_REASONS:
        raise Refused("reason_code", "Choose the reason for the disposal.", "reason_code")
    if disposing.method not in DISPOSAL_METHODS:
        raise Refused("method", "Choose how the unit is disposed of.", "method")
    if disposing.reason_code == "other" and not disposing.reason.strip():
        raise Refused("reason_required", "Say why the unit is disposed of.", "reason")
    if witness == by:
        raise Refused("witness_is_another", "The witness must be another person.", "witness")
    details = disposing.reason.strip()
    return f"{disposing.reason_code}: {details}" if details else disposing.reason_code
