"""The registry's statistics: proportions with their intervals, mean change, Kaplan-Meier.

Every formula is the published one, cited here and in docs/registry.md, and tested against an
outside reference (statsmodels, scipy, lifelines) and against hand-worked cases:

- **Wilson score interval** (Wilson 1927), as ``statsmodels.stats.proportion.proportion_confint``
  with ``method="wilson"`` computes it.
- **Clopper-Pearson exact interval** (Clopper and Pearson 1934): the beta quantiles
  ``Beta(a/2; k, n-k+1)`` and ``Beta(1-a/2; k+1, n-k)``, with 0 and 1 at the ends.
- **Mean change** with a paired t interval on complete cases: ``mean +- t(n-1) * sd / sqrt(n)``.
- **Kaplan-Meier** (Kaplan and Meier 1958) with **Greenwood's** variance and the exponential
  ("log(-log)") interval that lifelines shows by default (Kalbfleisch and Prentice 2002):
  ``exp(-exp(log(-log S) +- z * sqrt(V) / log S))`` with ``V = sum d / (n (n - d))``.
- **Best / worst case**: the missing patients counted as all responders or all non-responders,
  the share of everyone who should have answered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

CONFIDENCE = 0.95
MIN_N = 10  # below this a percentage carries a warning
HALF_WIDTH = 0.10  # the precision "enough data" asks for: a CI of +-10 points


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided standard normal quantile, 1.959963984540054 for 95 %."""
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


@dataclass(frozen=True)
class Proportion:
    """k of n, with its interval and the method that gave it."""

    k: int
    n: int
    low: float
    high: float
    method: str

    @property
    def estimate(self) -> float | None:
        """k / n, or None when n is 0."""
        return self.k / self.n if self.n else None

    @property
    def small(self) -> bool:
        """True when n is under the minimum a percentage needs without a warning."""
        return self.n < MIN_N


def _check(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> Proportion:
    """The Wilson score interval of k / n (n = 0 gives the whole range)."""
    _check(k, n)
    if n == 0:
        return Proportion(0, 0, 0.0, 1.0, "wilson")
    z = z_value(confidence)
    z2 = z * z
    p = k / n
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Proportion(k, n, centre - half, centre + half, "wilson")


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> Proportion:
    """The Clopper-Pearson exact interval of k / n (n = 0 gives the whole range)."""
    _check(k, n)
    if n == 0:
        return Proportion(0, 0, 0.0, 1.0, "clopper-pearson")
    alpha = 1 - confidence
    import scipy.stats  # here, not at the top: it costs every process 1.6 s to start

    low = 0.0 if k == 0 else float(scipy.stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(scipy.stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return Proportion(k, n, low, high, "clopper-pearson")


@dataclass(frozen=True)
class Bounds:
    """What the rate would be if every missing patient had responded, or none had."""

    best: float | None
    worst: float | None


def missing_bounds(k: int, answered: int, missing: int) -> Bounds:
    """Best and worst case over everyone who should have answered."""
    _check(k, answered)
    if missing < 0:
        raise ValueError(f"missing must be >= 0, got {missing}")
    total = answered + missing
    if total == 0:
        return Bounds(None, None)
    return Bounds((k + missing) / total, k / total)


def n_for_half_width(rate: float | None, half_width: float = HALF_WIDTH) -> int:
    """Patients needed for a 95 % interval of +- half_width at this rate (normal approximation,
    ``n = z^2 p (1 - p) / h^2``; an unknown rate or one at 0 or 1 is taken as 0.5, the most
    demanding)."""
    p = 0.5 if rate is None or rate <= 0 or rate >= 1 else rate
    z = z_value()
    return math.ceil(z * z * p * (1 - p) / (half_width * half_width))


@dataclass(frozen=True)
class MeanChange:
    """The mean of paired changes with its t interval (None where n is too small)."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None


def mean_change(changes: Sequence[float], confidence: float = CONFIDENCE) -> MeanChange:
    """Mean change from baseline over complete cases, with a paired t interval."""
    n = len(changes)
    if n == 0:
        return MeanChange(0, None, None, None, None)
    mean = math.fsum(changes) / n
    if n == 1:
        return MeanChange(1, mean, None, None, None)
    sd = math.sqrt(math.fsum((c - mean) ** 2 for c in changes) / (n - 1))
    import scipy.stats  # here, not at the top: it costs every process 1.6 s to start

    half = float(scipy.stats.t.ppf(1 - (1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return MeanChange(n, mean, sd, mean - half, mean + half)


@dataclass(frozen=True)
class Step:
    """The curve after one distinct time: survival, its interval, and who was there."""

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    low: float
    high: float
    variance: float  # Greenwood's sum up to this time


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier curve: its steps in time order, starting at 1 before the first time."""

    n: int
    steps: tuple[Step, ...]
    interval: str = "exponential Greenwood (log(-log)), 95 %"

    def at(self, time: float) -> Step | None:
        """The last step at or before ``time`` (None before the first step)."""
        found = None
        for step in self.steps:
            if step.time > time:
                break
            found = step
        return found

    def survival_at(self, time: float) -> tuple[float, float, float]:
        """(survival, low, high) at ``time``; (1, 1, 1) before the first event."""
        step = self.at(time)
        if step is None:
            return (1.0, 1.0, 1.0)
        return (step.survival, step.low, step.high)

    def at_risk(self, time: float) -> int:
        """How many were still followed (no event, not censored) just before ``time``."""
        return sum(s.events + s.censored for s in self.steps if s.time >= time)

    def followed_to(self, time: float) -> int:
        """How many were followed to ``time`` or had the event by then."""
        return self.at_risk(time) + sum(s.events for s in self.steps if s.time < time)

    def median(self) -> float | None:
        """The first time survival falls to 0.5 or below, or None if it never does."""
        return next((s.time for s in self.steps if s.survival <= 0.5), None)


def kaplan_meier(
    durations: Sequence[float], events: Sequence[bool], confidence: float = CONFIDENCE
) -> Curve:
    """The Kaplan-Meier estimate with Greenwood variance and exponential-Greenwood interval.

    ``durations`` are times from the origin; ``events`` is True for the event, False for a
    censored observation.  At a time with both, events count first (the usual convention).
    """
    if len(durations) != len(events):
        raise ValueError("durations and events differ in length")
    if any(d < 0 or math.isnan(d) for d in durations):
        raise ValueError("durations must be >= 0")
    z = z_value(confidence)
    tally: dict[float, list[int]] = {}
    for duration, event in zip(durations, events, strict=True):
        row = tally.setdefault(float(duration), [0, 0])
        row[0 if event else 1] += 1
    at_risk = len(durations)
    survival = 1.0
    variance = 0.0
    steps = []
    for time in sorted(tally):
        died, censored = tally[time]
        if died:
            survival *= 1 - died / at_risk
            variance = (
                math.inf if died == at_risk else variance + died / (at_risk * (at_risk - died))
            )
        low, high = _exponential_interval(survival, variance, z)
        steps.append(Step(time, at_risk, died, censored, survival, low, high, variance))
        at_risk -= died + censored
    return Curve(len(durations), tuple(steps))


def _exponential_interval(survival: float, variance: float, z: float) -> tuple[float, float]:
    """The log(-log) interval; at S = 1 it is [1, 1] and at S = 0 it is [0, 0]."""
    if survival >= 1.0:
        return (1.0, 1.0)
    if survival <= 0.0 or math.isinf(variance):
        return (0.0, 0.0)
    log_s = math.log(survival)
    spread = z * math.sqrt(variance) / log_s  # negative, since log S < 0
    high = math.exp(-math.exp(math.log(-log_s) + spread))
    low = math.exp(-math.exp(math.log(-log_s) - spread))
    return (low, high)


class Verdict(StrEnum):
    """How a claim compares with the clinic's measurement."""

    CONSISTENT = "consistent"
    NOT_CONSISTENT = "not_consistent"
    NOT_ENOUGH_DATA = "not_enough_data"


def verdict(
    claim_low: float,
    claim_high: float,
    direction: str,
    low: float,
    high: float,
    n: int,
    minimum_n: int = MIN_N,
) -> Verdict:
    """Compare a claim with a measured interval [low, high] (claims.md, "Verdicts").

    ``direction`` is ``"at_least"`` ("over 90 %": consistent when the whole CI is at or above
    claim_low), ``"at_most"`` ("less than 1 %": the whole CI at or below claim_high) or
    ``"about"`` (a value or an interval: consistent when it overlaps the CI).  Not consistent
    when the whole CI lies on the other side; otherwise, or with n below the minimum, there is
    not enough data.
    """
    if n < minimum_n:
        return Verdict.NOT_ENOUGH_DATA
    if direction == "at_least":
        if low >= claim_low:
            return Verdict.CONSISTENT
        if high < claim_low:
            return Verdict.NOT_CONSISTENT
        return Verdict.NOT_ENOUGH_DATA
    if direction == "at_most":
        if high <= claim_high:
            return Verdict.CONSISTENT
        if low > claim_high:
            return Verdict.NOT_CONSISTENT
        return Verdict.NOT_ENOUGH_DATA
    if direction == "about":
        if high < claim_low or low > claim_high:
            return Verdict.NOT_CONSISTENT
        return Verdict.CONSISTENT
    raise ValueError(f"unknown direction {direction!r}")
