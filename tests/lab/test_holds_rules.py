"""The pure rules of QA holds and disposal (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autologic.lab import choices
from autologic.lab.domain import holds
from autologic.lab.domain.holds import Disposing, HeldFacts, check_disposal, why_kept
from autologic.lab.domain.states import Move, Refused, State, UnitFacts, move

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_qa_hold_refuses_to_release_a_held_unit():
    facts = UnitFacts(state=State.QUARANTINED, source_patient=1, frozen=True)
    assert move(facts, Move.RELEASE, now=NOW) is State.RELEASED
    with pytest.raises(Refused) as refused:
        move(UnitFacts(State.QUARANTINED, 1, True, on_hold=True), Move.RELEASE, now=NOW)
    assert refused.value.code == "on_hold"


def test_qa_hold_stops_a_thawed_unit_too():
    facts = UnitFacts(state=State.THAWED, source_patient=1, frozen=True, thawed_at=NOW)
    assert move(facts, Move.QUARANTINE, now=NOW, reason="QA hold 1") is State.QUARANTINED
    assert holds.moves_to_quarantine("thawed") and not holds.moves_to_quarantine("quarantined")
    assert not holds.is_open("administered") and holds.is_open("processing")


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        (HeldFacts("quarantined", "reserved", False, False), None),
        (HeldFacts("quarantined", "issued", False, False), None),
        (HeldFacts("quarantined", "thawed", True, False), "thawed"),
        (HeldFacts("quarantined", "issued", True, False), "thawed"),
        (HeldFacts("quarantined", "quarantined", False, False), "was_quarantined"),
        (HeldFacts("quarantined", None, False, False), "was_quarantined"),
        (HeldFacts("quarantined", "released", False, True), "held_elsewhere"),
        (HeldFacts("discarded", "released", False, False), "not_quarantined"),
    ],
)
def test_qa_hold_lift_returns_only_what_the_hold_took_out_of_use(facts, why):
    assert why_kept(facts) == why


def test_disposal_codes_match_their_labels():
    assert tuple(c for c, _ in choices.DISPOSAL_REASONS) == holds.DISPOSAL_REASONS
    assert tuple(c for c, _ in choices.DISPOSAL_METHODS) == holds.DISPOSAL_METHODS


def test_disposal_needs_a_coded_reason_a_method_and_another_witness():
    assert check_disposal(Disposing("expired", "incineration"), by=1, witness=2) == "expired"
    assert check_disposal(Disposing("other", "autoclave", " Fell "), by=1, witness=2) == (
        "other: Fell"
    )
    for disposing, witness, field in [
        (Disposing("lost", "autoclave"), 2, "reason_code"),
        (Disposing("expired", "sink"), 2, "method"),
        (Disposing("other", "autoclave"), 2, "reason"),
        (Disposing("expired", "autoclave"), 1, "witness"),
    ]:
        with pytest.raises(Refused) as refused:
            check_disposal(disposing, by=1, witness=witness)
        assert refused.value.field == field
