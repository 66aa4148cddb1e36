"""The unit state machine: allowed moves, and guards that refuse with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autologic.lab.domain.states import FINAL, Move, Refused, State, UnitFacts, move, sources

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def facts(state: State, **kw) -> UnitFacts:
    base = {"source_patient": 1, "frozen": True, "expires_at": NOW + timedelta(days=30)}
    return UnitFacts(state=state, **{**base, **kw})


def test_the_happy_path_of_a_frozen_unit():
    path = [
        (State.QUARANTINED, Move.RELEASE, State.RELEASED),
        (State.RELEASED, Move.RESERVE, State.RESERVED),
        (State.RESERVED, Move.ISSUE, State.ISSUED),
        (State.ISSUED, Move.THAW, State.THAWED),
    ]
    for state, step, target in path:
        assert move(facts(state), step, now=NOW, patient=1) is target
    thawed = facts(State.THAWED, thawed_at=NOW, thaw_window_min=60)
    assert move(thawed, Move.ADMINISTER, now=NOW, patient=1) is State.ADMINISTERED


def test_another_patient_is_always_refused():
    for state, step in [(State.RELEASED, Move.RESERVE), (State.THAWED, Move.ADMINISTER)]:
        with pytest.raises(Refused) as refused:
            move(facts(state, thawed_at=NOW, thaw_window_min=60), step, now=NOW, patient=2)
        assert refused.value.code == "wrong_patient"


def test_final_states_allow_nothing():
    for state in FINAL:
        for step in Move:
            if state in sources(step):
                continue
            with pytest.raises(Refused) as refused:
                move(facts(state), step, now=NOW, patient=1, reason="x")
            assert refused.value.code in {"wrong_state", "not_expired"}


def test_a_quarantined_unit_cannot_be_reserved_or_issued():
    for step in (Move.RESERVE, Move.ISSUE, Move.ADMINISTER):
        with pytest.raises(Refused, match="quarantined"):
            move(facts(State.QUARANTINED), step, now=NOW, patient=1)


def test_expired_units_are_not_released_reserved_or_issued():
    old = facts(State.RELEASED, expires_at=NOW)
    with pytest.raises(Refused) as refused:
        move(old, Move.RESERVE, now=NOW, patient=1)
    assert refused.value.code == "expired"
    assert move(old, Move.EXPIRE, now=NOW) is State.EXPIRED
    with pytest.raises(Refused, match="not reached"):
        move(facts(State.RELEASED), Move.EXPIRE, now=NOW)


def test_thaw_window_is_inclusive_then_unusable():
    thawed = facts(State.THAWED, thawed_at=NOW, thaw_window_min=60)
    assert move(thawed, Move.ADMINISTER, now=NOW + timedelta(minutes=60), patient=1)
    with pytest.raises(Refused) as refused:
        move(thawed, Move.ADMINISTER, now=NOW + timedelta(minutes=61), patient=1)
    assert refused.value.code == "thaw_window"
    assert "discard" in refused.value.message


def test_frozen_units_must_be_thawed_and_fresh_ones_are_never_thawed():
    with pytest.raises(Refused, match="thawed before"):
        move(facts(State.ISSUED), Move.ADMINISTER, now=NOW, patient=1)
    fresh = facts(State.ISSUED, frozen=False)
    assert move(fresh, Move.ADMINISTER, now=NOW, patient=1) is State.ADMINISTERED
    with pytest.raises(Refused, match="stored fresh"):
        move(fresh, Move.THAW, now=NOW)


def test_discard_and_quarantine_need_a_reason():
    for step, state in [(Move.DISCARD, State.RELEASED), (Move.QUARANTINE, State.RESERVED)]:
        with pytest.raises(Refused) as refused:
            move(facts(state), step, now=NOW, reason="  ")
        assert refused.value.field == "reason"
        assert move(facts(state), step, now=NOW, reason="dropped") in (
            State.DISCARDED,
            State.QUARANTINED,
        )
