"""KOOS, HOOS and WOMAC against their published rules (instruments.md sections 1-3).

Expected values are worked out by hand from the rule text in each test's comment, never copied
from the code's output.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain import registry, womac
from autologic.outcomes.domain.koos_hoos import HOOS, KOOS

KOOS_LAYOUT = {
    "pain": ("P", 9),
    "symptoms": ("S", 7),
    "adl": ("A", 17),
    "sport_rec": ("SP", 5),
    "qol": ("Q", 4),
}
HOOS_LAYOUT = {
    "symptoms": ("S", 5),
    "pain": ("P", 10),
    "adl": ("A", 17),
    "sport_rec": ("SP", 4),
    "qol": ("Q", 4),
}
# The 2012 rule's minimum answered items, as printed in instruments.md.
KOOS_MINIMUM = {"pain": 5, "symptoms": 4, "adl": 9, "sport_rec": 3, "qol": 2}
HOOS_MINIMUM = {"symptoms": 3, "pain": 5, "adl": 9, "sport_rec": 2, "qol": 2}


def full(layout: dict[str, tuple[str, int]], value: int) -> dict[str, int | None]:
    return {f"{p}{n}": value for p, c in layout.values() for n in range(1, c + 1)}


def test_koos_has_42_items_and_hoos_40() -> None:
    assert len(KOOS.items) == 42
    assert len(HOOS.items) == 40


@pytest.mark.parametrize(("instrument", "layout"), [(KOOS, KOOS_LAYOUT), (HOOS, HOOS_LAYOUT)])
def test_no_problems_is_100_and_extreme_is_0_with_no_total(instrument, layout) -> None:
    best = instrument.score(full(layout, 0)).values()
    worst = instrument.score(full(layout, 4)).values()
    assert best == dict.fromkeys(layout, 100.0)
    assert worst == dict.fromkeys(layout, 0.0)
    assert "total" not in best


def test_koos_pain_formula() -> None:
    # P1..P9 = 1,2,3,4,0,1,2,3,4: sum 20 over 9 items -> 100 - 100*20/(4*9) = 44.444...
    answers = {f"P{n}": v for n, v in enumerate([1, 2, 3, 4, 0, 1, 2, 3, 4], start=1)}
    score = KOOS.score(answers).scores["pain"]
    assert score.value == pytest.approx(100 - 2000 / 36)
    assert (score.answered, score.missing) == (9, 0)


def test_koos_uses_mean_of_answered_items() -> None:
    # QOL Q1=4, Q2=2, Q3/Q4 unanswered: 2 of 4 answered -> 100 - 100*6/(4*2) = 25.
    score = KOOS.score({"Q1": 4, "Q2": 2}).scores["qol"]
    assert score.value == 25.0
    assert score.missing == 2


def test_straighten_and_bend_are_coded_by_box_not_reversed() -> None:
    # S4/S5 anchors run Always (0) ... Never (4): a 4 is the worst answer like every other item.
    answers = {"S1": 0, "S2": 0, "S3": 0, "S4": 4, "S5": 4, "S6": 0, "S7": 0}
    assert KOOS.score(answers).scores["symptoms"].value == pytest.approx(100 - 100 * 8 / 28)


@pytest.mark.parametrize(
    ("instrument", "layout", "minimum"),
    [(KOOS, KOOS_LAYOUT, KOOS_MINIMUM), (HOOS, HOOS_LAYOUT, HOOS_MINIMUM)],
)
def test_fifty_percent_rule_boundary(instrument, layout, minimum) -> None:
    for name, (prefix, count) in layout.items():
        at_minimum = {f"{prefix}{n}": 2 for n in range(1, minimum[name] + 1)}
        below = {f"{prefix}{n}": 2 for n in range(1, minimum[name])}
        ok = instrument.score(at_minimum).scores[name]
        refused = instrument.score(below).scores[name]
        assert ok.value == 50.0, name
        assert refused.value is None, name
        assert refused.reason == (
            f"needs at least {minimum[name]} of {count} items answered; "
            f"{minimum[name] - 1} answered"
        )


def test_a_subscale_is_scored_independently_of_the_others() -> None:
    answers = full(KOOS_LAYOUT, 1)
    for n in range(1, 10):
        answers[f"P{n}"] = None
    scored = KOOS.score(answers)
    assert scored.values()["pain"] is None
    assert scored.values()["adl"] == 75.0
    assert scored.missing == 9


def test_hoos_adl_formula() -> None:
    # A1..A17 all 3 except A17=1: sum 49 over 17 -> 100 - 100*49/68.
    answers = {f"A{n}": 3 for n in range(1, 17)} | {"A17": 1}
    assert HOOS.score(answers).scores["adl"].value == pytest.approx(100 - 4900 / 68)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"P10": 1}, "P10"),
        ({"P1": 5}, "P1"),
        ({"P1": -1}, "P1"),
        ({"P1": True}, "P1"),
        ({"P1": 1.5}, "P1"),
    ],
)
def test_bad_answers_name_the_item(answers, field) -> None:
    with pytest.raises(ValidationFailed) as err:
        KOOS.score(answers)
    assert err.value.field == field


@given(st.dictionaries(st.sampled_from([i.id for i in KOOS.items]), st.none() | st.integers(0, 4)))
def test_koos_scores_stay_in_range(answers) -> None:
    for value in KOOS.score(answers).values().values():
        assert value is None or 0 <= value <= 100


# WOMAC ---------------------------------------------------------------------------------------


def womac_answers(pain, stiffness, function) -> dict[str, int | None]:
    out = {f"P{n}": v for n, v in enumerate(pain, 1)}
    out |= {f"S{n}": v for n, v in enumerate(stiffness, 1)}
    return out | {f"F{n}": v for n, v in enumerate(function, 1)}


def test_womac_complete_sums() -> None:
    # pain 1+2+3+4+0 = 10, stiffness 2+3 = 5, function 17*2 = 34, total 49.
    scored = registry.get("WOMAC").score(womac_answers([1, 2, 3, 4, 0], [2, 3], [2] * 17))
    assert scored.values() == {"pain": 10, "stiffness": 5, "function": 34, "total": 49}


def test_womac_ranges_are_0_20_8_68_96() -> None:
    scored = registry.get("WOMAC").score(womac_answers([4] * 5, [4] * 2, [4] * 17))
    assert scored.values() == {"pain": 20, "stiffness": 8, "function": 68, "total": 96}
    assert all(not s.higher_is_better for s in registry.get("WOMAC").subscales)


def test_womac_function_mean_substitution_up_to_three_missing() -> None:
    # 14 answered: twelve 2s and two 1s, sum 26, mean 26/14, times 17.
    function = [2] * 12 + [1, 1] + [None] * 3
    score = registry.get("WOMAC").score(womac_answers([0] * 5, [0, 0], function))
    assert score.scores["function"].value == pytest.approx(26 / 14 * 17)
    assert score.scores["function"].missing == 3


def test_womac_function_four_missing_is_invalid() -> None:
    scored = registry.get("WOMAC").score(womac_answers([0] * 5, [0, 0], [2] * 13 + [None] * 4))
    assert scored.values()["function"] is None
    assert scored.values()["total"] is None
    assert "function" in scored.reasons()["total"]


def test_womac_pain_one_missing_substituted_two_invalid() -> None:
    # 4,4,2,2 answered: mean 3, times 5 = 15.
    one = registry.get("WOMAC").score(womac_answers([4, 4, 2, 2, None], [0, 0], [0] * 17))
    two = registry.get("WOMAC").score(womac_answers([4, 4, 2, None, None], [0, 0], [0] * 17))
    assert one.values()["pain"] == 15
    assert one.values()["total"] == 15
    assert two.values()["pain"] is None


def test_womac_stiffness_one_missing_doubles_the_other_both_missing_invalid() -> None:
    one = registry.get("WOMAC").score(womac_answers([0] * 5, [3, None], [0] * 17))
    both = registry.get("WOMAC").score(womac_answers([0] * 5, [None, None], [0] * 17))
    assert one.values()["stiffness"] == 6
    assert both.values()["stiffness"] is None


def test_womac_from_koos_uses_p5_to_p9_s6_s7_and_adl() -> None:
    answers = full(KOOS_LAYOUT, 0) | {"P1": 4, "P2": 4, "P5": 1, "P9": 3, "S6": 2, "S1": 4, "A3": 4}
    derived = womac.derive(KOOS, answers)
    assert derived.derived_from == "KOOS"
    # P1/P2/S1 are not WOMAC items; P5+P9 = 4, S6 = 2, A3 = 4.
    assert derived.values() == {"pain": 4, "stiffness": 2, "function": 4, "total": 10}


def test_womac_from_hoos_uses_p4_to_p8_s4_s5_and_adl() -> None:
    answers = full(HOOS_LAYOUT, 0) | {"P1": 4, "P4": 2, "P8": 2, "P9": 4, "S4": 1, "S5": 1, "S1": 4}
    derived = womac.derive(HOOS, answers)
    assert derived.values() == {"pain": 4, "stiffness": 2, "function": 0, "total": 6}
    assert derived.algorithm.endswith("from-hoos")


def test_womac_licence_is_proprietary_and_texts_do_not_ship() -> None:
    licence = registry.get("WOMAC").licence
    assert licence.needs_clearance
    assert not licence.ships_item_texts
    assert not registry.get("ODI").licence.ships_item_texts
    assert registry.get("KOOS").licence.ships_item_texts
