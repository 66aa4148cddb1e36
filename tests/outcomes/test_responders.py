"""MCID/PASS flags and OMERACT-OARSI responder status, from instruments.md sections 13-14."""

from __future__ import annotations

import pytest

from autologic.outcomes.domain import thresholds as th
from autologic.outcomes.domain.responders import Change, Status, omeract_oarsi, worse_0_100


def flag(threshold_id: str, baseline, follow_up, *, better: bool, scale_max: float = 100):
    return th.judge(
        th.BY_ID[threshold_id],
        baseline=baseline,
        follow_up=follow_up,
        higher_is_better=better,
        scale_max=scale_max,
    )


def test_nrs_mcid_is_a_drop_of_two_points_inclusive() -> None:
    assert flag("nrs-mcid-2", 7, 5, better=False).met is True
    assert flag("nrs-mcid-2", 7, 5.5, better=False).met is False
    assert flag("nrs-mcid-2", 5, 7, better=False).met is False  # worse is not better


def test_koos_mic_is_a_rise_on_a_higher_is_better_scale() -> None:
    assert flag("koos-pain-mic-15", 50, 65, better=True).met is True
    assert flag("koos-pain-mic-15", 50, 64.9, better=True).met is False


def test_pass_is_a_state_at_or_below_on_a_higher_is_worse_scale() -> None:
    assert flag("vas-pass-32.3", None, 32.3, better=False).met is True
    assert flag("vas-pass-32.3", None, 32.4, better=False).met is False


def test_womac_function_pass_uses_the_normalised_scale() -> None:
    # 31 on 0-100 is 21.08 of 68: raw 21 (30.9) passes, raw 22 (32.4) does not.
    assert flag("womac-function-pass-31", None, 21, better=False, scale_max=68).met is True
    assert flag("womac-function-pass-31", None, 22, better=False, scale_max=68).met is False


def test_relative_mcid_and_baseline_zero() -> None:
    # 12 % of a baseline of 50 is 6 points.
    assert flag("womac-total-mcid-12pct", 50, 44, better=False, scale_max=96).met is True
    assert flag("womac-total-mcid-12pct", 50, 44.5, better=False, scale_max=96).met is False
    zero = flag("womac-total-mcid-12pct", 0, 0, better=False, scale_max=96)
    assert zero.met is None
    assert "baseline is 0" in (zero.reason or "")


def test_missing_scores_cannot_be_judged() -> None:
    assert flag("nrs-mcid-2", None, 3, better=False).reason == "no baseline score"
    assert flag("nrs-mcid-2", 5, None, better=False).reason == "no follow-up score"


def test_reference_data_is_cited_and_defaults_exist() -> None:
    assert all(t.source and t.population for t in th.REFERENCE)
    assert all(ref in th.BY_ID for ref in th.DEFAULTS.values())
    assert len(th.BY_ID) == len(th.REFERENCE)


def c(domain: str, baseline, follow_up) -> Change:
    return Change(domain, baseline, follow_up)


def oarsi(pain, function, global_=(None, None)):
    return omeract_oarsi(c("pain", *pain), c("function", *function), c("global", *global_))


def test_high_improvement_in_pain_alone_is_enough() -> None:
    # 60 -> 30: 30 points, 50 %.
    result = oarsi((60, 30), (50, 50), (50, 50))
    assert result.status is Status.RESPONDER
    assert result.rule == "high_pain"


def test_high_thresholds_are_inclusive() -> None:
    # 40 -> 20 is exactly 50 % and exactly 20 points.
    assert oarsi((50, 50), (40, 20), (50, 50)).rule == "high_function"


def test_fifty_percent_but_under_twenty_points_is_not_high() -> None:
    # 30 -> 15: 50 % but 15 points; moderate only.  Function 50 -> 40: 20 % and 10 points.
    result = oarsi((30, 15), (50, 40), (50, 50))
    assert result.status is Status.RESPONDER
    assert result.rule == "two_of_three"


def test_one_moderate_domain_is_not_enough() -> None:
    result = oarsi((30, 15), (50, 45), (50, 48))
    assert result.status is Status.NON_RESPONDER


def test_moderate_needs_both_relative_and_absolute() -> None:
    # 80 -> 65: 15 points but 18.75 %; function 30 -> 21: 30 % but 9 points.
    assert oarsi((80, 65), (30, 21), (90, 90)).status is Status.NON_RESPONDER


def test_missing_pain_or_function_leaves_the_status_open() -> None:
    assert oarsi((None, 20), (50, 50), (50, 50)).status is Status.NOT_EVALUABLE
    assert oarsi((50, 50), (50, None), (50, 50)).status is Status.NOT_EVALUABLE


def test_missing_global_only_matters_when_it_could_be_the_second_domain() -> None:
    assert oarsi((30, 15), (50, 48)).status is Status.NOT_EVALUABLE
    assert oarsi((30, 28), (50, 48)).status is Status.NON_RESPONDER


def test_baseline_zero_is_not_evaluable_with_a_reason() -> None:
    result = oarsi((0, 0), (50, 50), (50, 50))
    assert result.status is Status.NOT_EVALUABLE
    assert result.changes["pain"].reason == "baseline is 0, so relative change is undefined"


def test_a_responder_stays_one_whatever_is_missing() -> None:
    assert oarsi((60, 20), (None, None)).status is Status.RESPONDER


@pytest.mark.parametrize(
    ("instrument", "score", "value", "expected"),
    [
        ("NRS", "pain", 7, 70),
        ("VAS", "pain", 55, 55),
        ("PGA", "global", 30, 30),
        ("KOOS", "pain", 80, 20),
        ("HOOS", "adl", 35, 65),
        ("WOMAC", "function", 34, 50),
        ("WOMAC", "pain", 5, 25),
        ("ODI", "percent", 42, 42),
        ("KOOS", "pain", None, None),
    ],
)
def test_domains_are_put_on_0_100_higher_worse(instrument, score, value, expected) -> None:
    assert worse_0_100(instrument, score, value) == expected
