"""The follow-up schedule from a protocol's follow_up block, and the state of a timepoint."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.outcomes.domain.schedule import State, plan, state
from autologic.protocols.domain.schema import FollowUp

SCHEDULE = FollowUp.model_validate(
    {
        "anchor": "last_injection",
        "timepoints": [
            {
                "key": "baseline",
                "kind": "prom",
                "weeks": 0,
                "window_days_before": 30,
                "instruments": ["NRS_PAIN", "KOOS", "HOOS"],
            },
            {
                "key": "w6",
                "kind": "prom",
                "weeks": 6,
                "window_days_before": 7,
                "window_days_after": 14,
                "instruments": ["NRS_PAIN", "KOOS", "HOOS"],
            },
            {
                "key": "m3-imaging",
                "kind": "imaging",
                "months": 3,
                "window_days_before": 14,
                "window_days_after": 14,
                "modality": "mri",
            },
            {"key": "m12", "kind": "prom", "months": 12, "instruments": ["KOOS"]},
        ],
    }
)
FIRST, LAST = date(2026, 12, 1), date(2027, 1, 5)


def test_dates_count_from_the_anchor_and_baseline_from_the_first_injection() -> None:
    knee = {
        p.key: p for p in plan(SCHEDULE, first_injection=FIRST, last_injection=LAST, region="knee")
    }
    assert (knee["baseline"].opens, knee["baseline"].due, knee["baseline"].closes) == (
        date(2026, 11, 1),
        FIRST,
        FIRST,
    )
    # Six weeks after the last injection, 7 days before to 14 after.
    assert knee["w6"].due == date(2027, 2, 16)
    assert (knee["w6"].opens, knee["w6"].closes) == (date(2027, 2, 9), date(2027, 3, 2))
    # Three months are 90 days (the protocol schema's convention).
    assert knee["m3-imaging"].due == date(2027, 4, 5)
    assert knee["m3-imaging"].modality == "mri"
    assert knee["m12"].due == date(2027, 12, 31)  # 360 days after 5 January


def test_instruments_fit_the_region() -> None:
    def at(region: str) -> dict[str, tuple[str, ...]]:
        return {
            p.key: p.instruments
            for p in plan(SCHEDULE, first_injection=FIRST, last_injection=LAST, region=region)
        }

    assert at("knee")["w6"] == ("NRS", "KOOS")
    assert at("hip")["w6"] == ("NRS", "HOOS")
    shoulder = at("shoulder")
    assert shoulder["w6"] == ("NRS",)
    # m12 asks only for KOOS: a shoulder has nothing to answer there, so it is left out.
    assert "m12" not in shoulder
    assert shoulder["m3-imaging"] == ()


def test_plan_is_in_due_order() -> None:
    dues = [
        p.due for p in plan(SCHEDULE, first_injection=FIRST, last_injection=LAST, region="knee")
    ]
    assert dues == sorted(dues)


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
