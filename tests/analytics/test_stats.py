"""The registry's statistics against outside references (statsmodels, scipy, lifelines) and
against cases worked by hand."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportion_confint

from autologic.analytics.domain import stats


@given(
    st.integers(min_value=1, max_value=5000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
@settings(max_examples=300, deadline=None)
def test_wilson_equals_statsmodels(kn: tuple[int, int]) -> None:
    k, n = kn
    ours = stats.wilson(k, n)
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert abs(ours.low - low) < 1e-12
    assert abs(ours.high - high) < 1e-12


def test_wilson_by_hand() -> None:
    # 8 of 10, z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71676,
    # half 1.96 * sqrt(0.016 + 0.0096040) / 1.38416 = 0.22660 -> [0.4902, 0.9433].
    p = stats.wilson(8, 10)
    assert p.low == pytest.approx(0.4902, abs=5e-4)
    assert p.high == pytest.approx(0.9433, abs=5e-4)
    assert p.estimate == 0.8
    assert not p.small
    assert stats.wilson(3, 9).small


def test_wilson_and_exact_on_no_patients_give_the_whole_range() -> None:
    assert (stats.wilson(0, 0).low, stats.wilson(0, 0).high) == (0.0, 1.0)
    assert stats.wilson(0, 0).estimate is None
    assert (stats.clopper_pearson(0, 0).low, stats.clopper_pearson(0, 0).high) == (0.0, 1.0)


@pytest.mark.parametrize("k,n", [(5, 3), (-1, 4), (0, -1)])
def test_impossible_counts_are_refused(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        stats.wilson(k, n)
    with pytest.raises(ValueError):
        stats.clopper_pearson(k, n)


@given(
    st.integers(min_value=1, max_value=3000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
@settings(max_examples=200, deadline=None)
def test_clopper_pearson_equals_statsmodels_and_scipy(kn: tuple[int, int]) -> None:
    k, n = kn
    ours = stats.clopper_pearson(k, n)
    low, high = proportion_confint(k, n, alpha=0.05, method="beta")
    assert abs(ours.low - low) < 1e-12
    assert abs(ours.high - high) < 1e-12
    exact = scipy_stats.binomtest(k, n).proportion_ci(method="exact")
    assert abs(ours.low - exact.low) < 1e-9
    assert abs(ours.high - exact.high) < 1e-9


def test_clopper_pearson_by_hand() -> None:
    # 0 of n: the upper limit solves (1 - p)^n = 0.025, so 1 - 0.025^(1/n): 0.3085 for n = 10.
    assert stats.clopper_pearson(0, 10).high == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-12)
    assert stats.clopper_pearson(0, 10).low == 0.0
    # n of n: the mirror image.
    assert stats.clopper_pearson(10, 10).low == pytest.approx(0.025 ** (1 / 10), abs=1e-12)
    # 1 of 200 serious events: the upper limit is 2.75 %, so "below 1 %" cannot be shown.
    assert stats.clopper_pearson(1, 200).high == pytest.approx(0.02753, abs=5e-5)


def test_missing_bounds() -> None:
    # 27 responders of 30 answered, 20 lost: best (27 + 20) / 50, worst 27 / 50.
    bounds = stats.missing_bounds(27, 30, 20)
    assert bounds.best == pytest.approx(0.94)
    assert bounds.worst == pytest.approx(0.54)
    assert stats.missing_bounds(0, 0, 0) == stats.Bounds(None, None)
    with pytest.raises(ValueError):
        stats.missing_bounds(1, 2, -1)


def test_n_for_half_width() -> None:
    # 1.96^2 * 0.5 * 0.5 / 0.01 = 96.04 -> 97; at 80 %: 61.46 -> 62.
    assert stats.n_for_half_width(None) == 97
    assert stats.n_for_half_width(0.8) == 62
    assert stats.n_for_half_width(0.0) == 97


def test_mean_change_equals_scipy_t_interval() -> None:
    rng = random.Random(7)
    changes = [rng.gauss(12, 9) for _ in range(37)]
    ours = stats.mean_change(changes)
    low, high = scipy_stats.t.interval(
        0.95, len(changes) - 1, loc=np.mean(changes), scale=scipy_stats.sem(changes)
    )
    assert ours.mean == pytest.approx(float(np.mean(changes)), abs=1e-12)
    assert ours.low == pytest.approx(low, abs=1e-9)
    assert ours.high == pytest.approx(high, abs=1e-9)


def test_mean_change_by_hand_and_small_samples() -> None:
    # Changes 10, 20, 30: mean 20, sd 10, t(2) = 4.3027 -> 20 +- 24.84.
    three = stats.mean_change([10, 20, 30])
    assert three.sd == pytest.approx(10)
    assert three.low == pytest.approx(20 - 4.302653 * 10 / math.sqrt(3), abs=1e-5)
    assert stats.mean_change([]).mean is None
    one = stats.mean_change([5.0])
    assert (one.mean, one.low, one.high) == (5.0, None, None)


def test_kaplan_meier_by_hand() -> None:
    # Times 1, 2+, 3, 3, 4+, 5 (+ = censored).
    # t=1: 6 at risk, 1 event -> S = 5/6; V = 1/(6*5).
    # t=3: 4 at risk, 2 events -> S = 5/6 * 2/4 = 5/12; V += 2/(4*2).
    # t=5: 1 at risk, 1 event -> S = 0.
    curve = stats.kaplan_meier([1, 2, 3, 3, 4, 5], [True, False, True, True, False, True])
    assert [s.time for s in curve.steps] == [1, 2, 3, 4, 5]
    assert curve.survival_at(1)[0] == pytest.approx(5 / 6)
    assert curve.survival_at(2.5)[0] == pytest.approx(5 / 6)
    assert curve.survival_at(3)[0] == pytest.approx(5 / 12)
    assert curve.at(3).variance == pytest.approx(1 / 30 + 2 / 8)
    assert curve.survival_at(5) == (0.0, 0.0, 0.0)
    assert curve.survival_at(0.5) == (1.0, 1.0, 1.0)
    assert [curve.at_risk(t) for t in (0, 1, 2, 3, 4, 5, 6)] == [6, 6, 5, 4, 2, 1, 0]
    assert curve.median() == 3


def test_kaplan_meier_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        stats.kaplan_meier([1, 2], [True])
    with pytest.raises(ValueError):
        stats.kaplan_meier([-1], [True])


@pytest.mark.parametrize("seed", range(8))
def test_kaplan_meier_equals_lifelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    # Whole days with ties, as the registry counts them; some censored at the start.
    event_times = rng.exponential(900, n).round()
    censor_times = rng.uniform(0, 1000, n).round()
    durations = np.minimum(event_times, censor_times)
    events = event_times <= censor_times
    ours = stats.kaplan_meier(durations.tolist(), events.tolist())
    fitter = KaplanMeierFitter().fit(durations, events)
    for step in ours.steps:
        if step.survival == 0:
            continue
        expected = float(fitter.survival_function_at_times(step.time).iloc[0])
        assert abs(step.survival - expected) < 1e-9
        low = float(fitter.confidence_interval_.loc[step.time].iloc[0])
        high = float(fitter.confidence_interval_.loc[step.time].iloc[1])
        assert abs(step.low - low) < 1e-9
        assert abs(step.high - high) < 1e-9
        at_risk = int(fitter.event_table.loc[step.time, "at_risk"])
        assert step.at_risk == at_risk


def test_verdicts() -> None:
    v = stats.verdict
    # "over 90 %": the whole CI above 0.9 / below / straddling.
    assert v(0.9, 1.0, "at_least", 0.91, 0.97, 100) is stats.Verdict.CONSISTENT
    assert v(0.9, 1.0, "at_least", 0.6, 0.8, 100) is stats.Verdict.NOT_CONSISTENT
    assert v(0.9, 1.0, "at_least", 0.85, 0.95, 100) is stats.Verdict.NOT_ENOUGH_DATA
    # "less than 1 %": exact CI [0, 0.0275] with one SAE in 200 cannot show it.
    assert v(0.0, 0.01, "at_most", 0.0001, 0.0275, 200) is stats.Verdict.NOT_ENOUGH_DATA
    assert v(0.0, 0.01, "at_most", 0.0, 0.004, 1000) is stats.Verdict.CONSISTENT
    assert v(0.0, 0.01, "at_most", 0.02, 0.09, 100) is stats.Verdict.NOT_CONSISTENT
    # "75-85 %": overlapping the CI is consistent; the whole CI outside is not.
    assert v(0.75, 0.85, "about", 0.70, 0.78, 100) is stats.Verdict.CONSISTENT
    assert v(0.75, 0.85, "about", 0.50, 0.70, 100) is stats.Verdict.NOT_CONSISTENT
    # Too few patients is never a verdict either way.
    assert v(0.75, 0.85, "about", 0.50, 0.70, 9) is stats.Verdict.NOT_ENOUGH_DATA
    with pytest.raises(ValueError):
        v(0.5, 0.5, "roughly", 0.4, 0.6, 50)
