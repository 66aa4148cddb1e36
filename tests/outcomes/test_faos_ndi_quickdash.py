"""FAOS, NDI and QuickDASH against their published scoring rules, and their OMERACT-OARSI roles.

Expected values are worked by hand from the published rule text, not taken from the code:

- FAOS (koos.nu; Roos et al. 2001): per subscale ``100 - 100 * sum / (4 * answered)``, KOOS item
  ids and subscale names, a subscale needs at least half of its items (KOOS 2012 rule).
- NDI (Vernon & Mior 1991; the author's scoring note): ``total / (5 * answered sections) * 100``;
  the note's own examples are 16 / 50 = 32 % and, with one section missed, 16 / 45 = 35.5 %.
- QuickDASH (Institute for Work & Health): ``([(sum of n responses) / n] - 1) * 25``; at least
  10 of the 11 items must be completed.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain import registry
from autologic.outcomes.domain.function_indices import NDI, QUICKDASH
from autologic.outcomes.domain.koos_hoos import FAOS, KOOS, item_ids
from autologic.outcomes.domain.responders import Status, worse_0_100
from autologic.outcomes.domain.types import LicenceStatus
from autologic.outcomes.queries import Point, Series, responders

# ----------------------------------------------------------------------------------------- FAOS


def test_faos_has_the_koos_item_ids_and_score_names() -> None:
    assert item_ids(FAOS) == item_ids(KOOS)
    assert len(FAOS.items) == 42
    assert [s.name for s in FAOS.subscales] == ["pain", "symptoms", "adl", "sport_rec", "qol"]
    assert all(s.higher_is_better and (s.low, s.high) == (0, 100) for s in FAOS.subscales)
    assert registry.get("faos") is FAOS
    assert registry.for_region(["KOOS", "FAOS", "NRS"], "ankle") == ["FAOS", "NRS"]
    assert registry.for_region(["FAOS"], "knee") == []


def test_faos_subscales_by_hand() -> None:
    answers = (
        {f"P{n}": 1 for n in range(1, 10)}  # 9 x 1 = 9 of 36 -> 100 - 25 = 75
        | {"S1": 4, "S2": 4, "S3": 0, "S4": 0}  # 8 of 16 -> 50 (4 of 7 answered: enough)
        | {f"A{n}": 0 for n in range(1, 18)}  # 0 -> 100
        | {"SP1": 3, "SP2": 2, "SP3": 1}  # 6 of 12 -> 50 (3 of 5 answered: enough)
        | {"Q1": 4}  # 1 of 4 answered: not enough
    )
    scored = FAOS.score(answers)
    assert scored.values() == {
        "pain": 75,
        "symptoms": 50,
        "adl": 100,
        "sport_rec": 50,
        "qol": None,
    }
    assert scored.reasons() == {"qol": "needs at least 2 of 4 items answered; 1 answered"}
    assert scored.missing == 3 + 2 + 3


@pytest.mark.parametrize(
    ("prefix", "count", "needed"),
    [("P", 9, 5), ("S", 7, 4), ("A", 17, 9), ("SP", 5, 3), ("Q", 4, 2)],
)
def test_faos_half_rule_per_subscale(prefix, count, needed) -> None:
    name = {"P": "pain", "S": "symptoms", "A": "adl", "SP": "sport_rec", "Q": "qol"}[prefix]
    enough = {f"{prefix}{n}": 2 for n in range(1, needed + 1)}
    short = {f"{prefix}{n}": 2 for n in range(1, needed)}
    assert FAOS.score(enough).values()[name] == 50
    assert FAOS.score(short).values()[name] is None


KOOS_ANSWERS = strategies.fixed_dictionaries(
    {i: strategies.none() | strategies.integers(0, 4) for i in item_ids(KOOS)}
)


@given(KOOS_ANSWERS)
def test_faos_scores_exactly_as_koos_does_on_the_same_answers(answers) -> None:
    assert FAOS.score(answers).values() == KOOS.score(answers).values()


# ------------------------------------------------------------------------------------------ NDI


def ndi(*values: int | None) -> dict[str, int | None]:
    return {f"Q{n}": v for n, v in enumerate(values, start=1)}


def test_ndi_vernon_examples() -> None:
    # Vernon's scoring note: 16 of 50 = 32 %; one section missed, 16 of 45 = 35.5 %.
    assert NDI.score(ndi(2, 2, 2, 2, 2, 2, 1, 1, 1, 1)).values() == {"percent": 32}
    one_missing = NDI.score(ndi(2, 2, 2, 2, 2, 2, 2, 1, 1, None))
    assert one_missing.values()["percent"] == pytest.approx(16 / 45 * 100)
    assert round(one_missing.values()["percent"], 1) == 35.6
    assert one_missing.missing == 1


def test_ndi_two_missing_are_scored_three_are_not() -> None:
    two = NDI.score(ndi(5, 5, 5, 5, 5, 5, 0, 0, None, None))  # 30 of 40
    assert two.values()["percent"] == 75
    three = NDI.score(ndi(5, 5, 5, 5, 5, 5, 0, None, None, None))
    assert three.values()["percent"] is None
    assert three.reasons()["percent"] == "needs at least 8 of 10 items answered; 7 answered"


def test_ndi_range_and_refusals() -> None:
    assert NDI.score(ndi(*[0] * 10)).values()["percent"] == 0
    assert NDI.score(ndi(*[5] * 10)).values()["percent"] == 100
    with pytest.raises(ValidationFailed) as caught:
        NDI.score({"Q1": 6})
    assert caught.value.field == "Q1"
    with pytest.raises(ValidationFailed) as caught:
        NDI.score({"Q11": 1})
    assert caught.value.field == "Q11"
    assert registry.for_region(["ODI", "NDI"], "spine_cervical") == ["NDI"]
    assert registry.for_region(["ODI", "NDI"], "spine_lumbar") == ["ODI"]


@given(strategies.lists(strategies.none() | strategies.integers(0, 5), min_size=10, max_size=10))
def test_ndi_property(values) -> None:
    percent = NDI.score(ndi(*values)).values()["percent"]
    given_values = [v for v in values if v is not None]
    if len(given_values) < 8:
        assert percent is None
    else:
        assert percent == pytest.approx(sum(given_values) / (5 * len(given_values)) * 100)
        assert 0 <= percent <= 100


# ------------------------------------------------------------------------------------ QuickDASH


def qd(*values: int | None) -> dict[str, int | None]:
    return {f"Q{n}": v for n, v in enumerate(values, start=1)}


def test_quickdash_by_hand() -> None:
    assert QUICKDASH.score(qd(*[1] * 11)).values() == {"score": 0}  # no difficulty at all
    assert QUICKDASH.score(qd(*[5] * 11)).values() == {"score": 100}  # unable throughout
    assert QUICKDASH.score(qd(*[3] * 11)).values() == {"score": 50}
    # 2+3+1+4+2+3+1+2+3+2+2 = 25 over 11: (25/11 - 1) * 25 = 31.818...
    full = QUICKDASH.score(qd(2, 3, 1, 4, 2, 3, 1, 2, 3, 2, 2))
    assert full.values()["score"] == pytest.approx((25 / 11 - 1) * 25)
    # The last item unanswered: 23 over 10, (2.3 - 1) * 25 = 32.5.
    one = QUICKDASH.score(qd(2, 3, 1, 4, 2, 3, 1, 2, 3, 2, None))
    assert one.values()["score"] == pytest.approx(32.5)


def test_quickdash_needs_ten_of_eleven() -> None:
    two = QUICKDASH.score(qd(2, 3, 1, 4, 2, 3, 1, 2, 3, None, None))
    assert two.values()["score"] is None
    assert two.reasons()["score"] == "needs at least 10 of 11 items answered; 9 answered"
    with pytest.raises(ValidationFailed):
        QUICKDASH.score({"Q1": 0})  # items run 1-5
    assert registry.get("QuickDASH") is QUICKDASH
    assert registry.for_region(["QUICKDASH"], "shoulder") == ["QUICKDASH"]


@given(strategies.lists(strategies.none() | strategies.integers(1, 5), min_size=11, max_size=11))
def test_quickdash_property(values) -> None:
    score = QUICKDASH.score(qd(*values)).values()["score"]
    given_values = [v for v in values if v is not None]
    if len(given_values) < 10:
        assert score is None
    else:
        assert score == pytest.approx((sum(given_values) / len(given_values) - 1) * 25)
        assert 0 <= score <= 100


# -------------------------------------------------------------------------------------- licences


def test_licences_follow_the_holders_terms() -> None:
    assert FAOS.licence.status is LicenceStatus.FREE and not FAOS.licence.needs_clearance
    assert QUICKDASH.licence.status is LicenceStatus.FEES_MAY_APPLY
    assert "Institute for Work & Health" in QUICKDASH.licence.holder
    assert NDI.licence.status is LicenceStatus.TO_CONFIRM
    for licensed in (NDI, QUICKDASH):
        assert licensed.licence.needs_clearance and not licensed.licence.ships_item_texts


# ---------------------------------------------------------------------- OMERACT-OARSI domains


@pytest.mark.parametrize(
    ("instrument", "score", "value", "expected"),
    [
        ("FAOS", "pain", 70, 30),
        ("FAOS", "adl", 25, 75),
        ("NDI", "percent", 44, 44),
        ("QUICKDASH", "score", 31.25, 31.25),
        ("PGA", "global", 0, 0),
    ],
)
def test_new_scores_on_the_0_100_worse_scale(instrument, score, value, expected) -> None:
    assert worse_0_100(instrument, score, value) == expected


def series(instrument: str, score: str, baseline: float, w6: float) -> Series:
    subscale = registry.get(instrument).subscale(score)
    return Series(
        instrument,
        score,
        subscale.higher_is_better,
        subscale.low,
        subscale.high,
        "",
        [
            Point(date(2026, 1, 5), "baseline", baseline, ""),
            Point(date(2026, 2, 16), "w6", w6, ""),
        ],
    )


def test_patient_global_decides_the_second_moderate_domain() -> None:
    # Neck: pain NRS 5 -> 4 (50 -> 40: 20 %, 10 points, moderate); NDI 40 -> 38 (not moderate).
    without = responders([series("NRS", "pain", 5, 4), series("NDI", "percent", 40, 38)])
    assert without["w6"].status is Status.NOT_EVALUABLE
    assert without["w6"].changes["global"].reason == "no baseline"
    # PGA 60 -> 45: 25 %, 15 points, moderate: the second domain, so a responder.
    with_pga = responders(
        [
            series("NRS", "pain", 5, 4),
            series("NDI", "percent", 40, 38),
            series("PGA", "global", 60, 45),
        ]
    )
    assert with_pga["w6"].status is Status.RESPONDER
    assert with_pga["w6"].rule == "two_of_three"
    assert with_pga["w6"].changes["global"].source == "PGA global"
    assert with_pga["w6"].changes["function"].source == "NDI percent"
    # PGA 60 -> 55 is not moderate either: now nothing missing can help, a non-responder.
    flat = responders(
        [
            series("NRS", "pain", 5, 4),
            series("NDI", "percent", 40, 38),
            series("PGA", "global", 60, 55),
        ]
    )
    assert flat["w6"].status is Status.NON_RESPONDER


def test_faos_and_quickdash_feed_pain_and_function() -> None:
    # FAOS pain 40 -> 80 is 60 -> 20 on the worse scale: 66.7 %, 40 points, high pain.
    ankle = responders([series("FAOS", "pain", 40, 80), series("FAOS", "adl", 50, 50)])
    assert ankle["w6"].status is Status.RESPONDER and ankle["w6"].rule == "high_pain"
    assert ankle["w6"].changes["function"].source == "FAOS adl"
    # QuickDASH 60 -> 30: 50 %, 30 points, high function.
    shoulder = responders([series("VAS", "pain", 50, 50), series("QUICKDASH", "score", 60, 30)])
    assert shoulder["w6"].rule == "high_function"
    assert shoulder["w6"].changes["function"].source == "QUICKDASH score"
