"""Which instruments each region answers at a timepoint, and the state of a timepoint."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.outcomes.domain.registry import for_region as instruments_for
from autologic.outcomes.domain.schedule import State, state

PROTOCOL_INSTRUMENTS = ["NRS_PAIN", "KOOS", "HOOS"]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("knee", ["NRS", "KOOS"]),
        ("hip", ["NRS", "HOOS"]),
        ("shoulder", ["NRS"]),
        ("spine_lumbar", ["NRS"]),
    ],
)
def test_instruments_fit_the_region(region, expected) -> None:
    assert instruments_for(PROTOCOL_INSTRUMENTS, region) == expected


def test_odi_is_for_the_low_back_only() -> None:
    assert instruments_for(["NRS_PAIN", "ODI"], "spine_lumbar") == ["NRS", "ODI"]
    assert instruments_for(["NRS_PAIN", "ODI"], "spine_cervical") == ["NRS"]
    assert instruments_for(["KOOS"], "shoulder") == []


@pytest.mark.parametrize(
    ("today", "done", "expected"),
    [
        (date(2027, 2, 8), False, State.UPCOMING),
        (date(2027, 2, 9), False, State.DUE),
        (date(2027, 2, 16), False, State.DUE),
        (date(2027, 2, 17), False, State.OVERDUE),
        (date(2027, 3, 2), False, State.OVERDUE),
        (date(2027, 3, 3), False, State.MISSED),
        (date(2027, 3, 3), True, State.DONE),
    ],
)
def test_state_boundaries(today, done, expected) -> None:
    assert (
        state(
            opens=date(2027, 2, 9),
            due=date(2027, 2, 16),
            closes=date(2027, 3, 2),
            today=today,
            done=done,
        )
        is expected
    )
