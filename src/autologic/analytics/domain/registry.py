"""The outcome registry across patients: who was treated, what they answered, what failed.

One row per treated joint: a course's region that has had at least one injection.  Its origin is
the day of the first injection; every time is counted in days from it.  The read side fills a
``Registry`` from the database; everything here is pure and works on it.

Rules decided here (docs/registry.md):

- A follow-up timepoint is **eligible** once its window has closed, or as soon as it is answered.
- A joint that **failed** (the selected later treatments) before a timepoint and was not
  measured there counts as a non-responder at it, not as missing.
- A measure that cannot be judged (no baseline, a score not calculable) is **missing**; the
  best/worst-case bounds count every missing one as a responder and as a non-responder.
- Survival is censored at the **last known follow-up**: the latest answer, or a later
  treatment of another kind, never before the origin.
- A second course on the same joint is a repeat orthobiologic treatment of the first, at the
  second's first injection, whether or not anyone recorded it as such.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from autologic.analytics.domain import stats
from autologic.outcomes.domain import registry as instruments
from autologic.outcomes.domain.follow_up import ACTIVITIES, FOLLOWUP, YES
from autologic.outcomes.domain.responders import (
    SOURCES,
    Change,
    Status,
    omeract_oarsi,
    worse_0_100,
)
from autologic.outcomes.domain.thresholds import Threshold, judge

DAYS_PER_MONTH = 365.25 / 12
_NONE: Mapping[str, date] = {}
BASELINE = "baseline"
FAILURES = ("arthroplasty", "repeat_orthobiologic", "other_surgery")


@dataclass(frozen=True)
class Treated:
    """One treated joint of one course, with what the registry may filter it by."""

    key: str  # "course:region"
    patient: int
    course: int
    site: str
    therapy: str
    protocol: str
    protocol_version: int
    region: str
    side: str
    diagnosis: str
    grade_system: str
    grade: int | None
    age: int
    sex: str
    treated_on: date
    injections_planned: int
    injections_received: int
    incubation_hours: float | None = None
    thaw_minutes: float | None = None
    cells_million: float | None = None
    viability_pct: float | None = None
    deviations: int = 0
    bmi: float | None = None  # from the assessment that recorded the joint, if measured
    closed: frozenset[str] = frozenset()  # follow-up timepoints whose window has closed
    last_seen: date | None = None  # the last known follow-up (answers, later treatments)

    @property
    def joint(self) -> tuple[int, str, str]:
        """The patient's joint: the same knee across courses and assessments."""
        return (self.patient, self.region, self.side)

    def days_to(self, day: date) -> int:
        """Days from this joint's first injection to ``day``."""
        return (day - self.treated_on).days


@dataclass(frozen=True)
class Measure:
    """One score of one treated joint at one timepoint."""

    key: str
    timepoint: str
    instrument: str
    score: str
    value: float | None
    on: date
    higher_is_better: bool


@dataclass(frozen=True)
class LaterEvent:
    """A later treatment of a joint (arthroplasty, repeat treatment, other surgery)."""

    patient: int
    region: str
    side: str
    kind: str
    on: date


@dataclass(frozen=True)
class Harm:
    """One adverse event, with the course of the injection it followed (if known)."""

    patient: int
    course: int | None
    injection: int | None  # the injection it followed, if known
    grade: int
    serious: bool
    related: bool  # possibly, probably or definitely related to the product or procedure
    term: str
    resolved_hours: float | None = None  # onset to resolution, when its time was recorded


@dataclass(frozen=True)
class Reading:
    """A radiologist's structured cartilage reading of one MRI of a joint, compared with the
    previous MRI: improved, unchanged, worse or not assessable."""

    patient: int
    region: str
    side: str
    on: date
    cartilage: str
    measure: str  # volume | t2_map | dgemric | morphology


@dataclass
class Registry:
    """Everything the registry's measures read, for one clinic on one day."""

    today: date
    treated: list[Treated]
    measures: list[Measure] = field(default_factory=list)
    later: list[LaterEvent] = field(default_factory=list)
    harms: list[Harm] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)

    # A registry is read once and never changed afterwards: what every measure asks again and
    # again (when each joint was measured, failed, last seen) is worked out once and kept.

    def __post_init__(self) -> None:
        self._by_key: dict[str, dict[tuple[str, str, str], Measure]] = defaultdict(dict)
        self._measured_at: dict[str, dict[str, date]] = defaultdict(dict)
        for m in self.measures:
            self._by_key[m.key][(m.timepoint, m.instrument, m.score)] = m
            days = self._measured_at[m.key]
            if m.timepoint not in days or m.on < days[m.timepoint]:
                days[m.timepoint] = m.on
        self._later_by_joint: dict[tuple[int, str, str], list[tuple[date, str]]] = defaultdict(list)
        for e in self.later:
            self._later_by_joint[(e.patient, e.region, e.side)].append((e.on, e.kind))
        self._courses_by_joint: dict[tuple[int, str, str], list[Treated]] = defaultdict(list)
        for t in self.treated:
            self._courses_by_joint[t.joint].append(t)
        self._failures: dict[frozenset[str], dict[str, date]] = {}
        self._last_seen: dict[str, date] = {}
        self._cohorts: dict[Cohort, list[Treated]] = {}

    def measure(self, key: str, timepoint: str, instrument: str, score: str) -> Measure | None:
        """The score of this joint at this timepoint, if answered."""
        return self._by_key.get(key, {}).get((timepoint, instrument, score))

    def measured_at(self, key: str) -> Mapping[str, date]:
        """Timepoint -> the day it was answered, for this joint (read only)."""
        return self._measured_at.get(key, _NONE)

    def failures(self, kinds: Iterable[str]) -> dict[str, date]:
        """Treated key -> the first later treatment of the selected kinds after its origin."""
        chosen = frozenset(kinds)
        found = self._failures.get(chosen)
        if found is None:
            found = self._failures[chosen] = self._first_failures(chosen)
        return found

    def _first_failures(self, chosen: frozenset[str]) -> dict[str, date]:
        repeat = "repeat_orthobiologic" in chosen
        out: dict[str, date] = {}
        for t in self.treated:
            joint = t.joint
            dates = [
                on
                for on, kind in self._later_by_joint.get(joint, ())
                if kind in chosen and on >= t.treated_on
            ]
            if repeat:
                # A later course on the same joint is a repeat treatment of this one.
                dates += [
                    other.treated_on
                    for other in self._courses_by_joint[joint]
                    if other.treated_on > t.treated_on
                ]
            if dates:
                out[t.key] = min(dates)
        return out

    def last_seen(self, t: Treated) -> date:
        """The last day this joint was known to be followed: answers and later treatments."""
        found = self._last_seen.get(t.key)
        if found is None:
            days = [t.treated_on, *self._measured_at.get(t.key, {}).values()]
            days += [on for on, _kind in self._later_by_joint.get(t.joint, ())]
            if t.last_seen is not None:
                days.append(t.last_seen)
            found = self._last_seen[t.key] = max(d for d in days if d <= self.today)
        return found


# ---- cohorts ------------------------------------------------------------------------------

RANGES = ("incubation_hours", "thaw_minutes", "cells_million", "viability_pct", "age", "bmi")


@dataclass(frozen=True)
class Cohort:
    """A filter over treated joints; an empty choice admits everything."""

    protocols: frozenset[str] = frozenset()
    versions: frozenset[int] = frozenset()  # of the chosen protocol
    therapies: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    sides: frozenset[str] = frozenset()
    diagnoses: frozenset[str] = frozenset()
    grade_system: str = ""
    grades: frozenset[int] = frozenset()
    sexes: frozenset[str] = frozenset()
    treated_from: date | None = None
    treated_to: date | None = None
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()
    injections_min: int | None = None
    without_deviation: bool = False

    def admits(self, t: Treated) -> bool:
        """True when this joint belongs to the cohort."""
        sets = (
            (self.protocols, t.protocol),
            (self.therapies, t.therapy),
            (self.regions, t.region),
            (self.sides, t.side),
            (self.diagnoses, t.diagnosis),
            (self.sexes, t.sex),
        )
        if any(chosen and value not in chosen for chosen, value in sets):
            return False
        if self.versions and t.protocol_version not in self.versions:
            return False
        if self.grade_system and (t.grade_system != self.grade_system or t.grade is None):
            return False
        if self.grades and t.grade not in self.grades:
            return False
        if self.treated_from and t.treated_on < self.treated_from:
            return False
        if self.treated_to and t.treated_on > self.treated_to:
            return False
        for name, low, high in self.ranges:
            value = getattr(t, name)
            if (
                value is None
                or (low is not None and value < low)
                or (high is not None and value >= high)
            ):
                return False
        if self.injections_min is not None and t.injections_received < self.injections_min:
            return False
        return not (self.without_deviation and t.deviations)

    def rows(self, registry: Registry) -> list[Treated]:
        """The registry's treated joints in this cohort (found once per registry)."""
        found = registry._cohorts.get(self)
        if found is None:
            found = registry._cohorts[self] = [t for t in registry.treated if self.admits(t)]
        return list(found)


# ---- responder rates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One score's threshold to reach: an important change, or an acceptable state."""

    instrument: str
    score: str
    use: str  # "change" or "pass"


@dataclass(frozen=True)
class Rate:
    """A responder rate with its denominators stated openly."""

    treated: int
    eligible: int
    answered: int
    responders: int
    failed: int  # failed before the timepoint and not measured: counted as non-responders
    proportion: stats.Proportion
    bounds: stats.Bounds

    @property
    def missing(self) -> int:
        """Eligible but neither measured nor failed: lost to follow-up (or not calculable)."""
        return self.eligible - self.answered - self.failed

    @property
    def completeness(self) -> float | None:
        """The share of the eligible whose outcome is known."""
        return (self.answered + self.failed) / self.eligible if self.eligible else None


def _rate(treated: int, eligible: int, answered: int, responders: int, failed: int) -> Rate:
    known = answered + failed
    return Rate(
        treated,
        eligible,
        answered,
        responders,
        failed,
        stats.wilson(responders, known),
        stats.missing_bounds(responders, known, eligible - known),
    )


def _eligible(registry: Registry, t: Treated, timepoint: str) -> bool:
    return timepoint in t.closed or timepoint in registry.measured_at(t.key)


def _failed_before(failures: Mapping[str, date], t: Treated, registry: Registry, tp: str) -> bool:
    """True when the joint failed before it was measured at the timepoint, or, unmeasured,
    by the timepoint's nominal day (a failure after it says nothing about the timepoint)."""
    failed_on = failures.get(t.key)
    if failed_on is None:
        return False
    measured = registry.measured_at(t.key).get(tp)
    if measured is not None:
        return failed_on <= measured
    return t.days_to(failed_on) <= timepoint_days(tp)


def judge_criterion(
    registry: Registry,
    t: Treated,
    timepoint: str,
    criterion: Criterion,
    threshold: Threshold,
) -> bool | None:
    """Whether the joint meets this criterion at the timepoint; None if it cannot be judged."""
    follow = registry.measure(t.key, timepoint, criterion.instrument, criterion.score)
    if follow is None or follow.value is None:
        return None
    base = registry.measure(t.key, BASELINE, criterion.instrument, criterion.score)
    subscale = instruments.get(criterion.instrument).subscale(criterion.score)
    flag = judge(
        threshold,
        follow_up=follow.value,
        baseline=base.value if base is not None else None,
        higher_is_better=follow.higher_is_better,
        scale_max=subscale.high,
    )
    return flag.met


def _rate_of(
    registry: Registry,
    rows: Sequence[Treated],
    timepoint: str,
    failure_kinds: Iterable[str],
    responded: Callable[[Treated], bool | None],
) -> Rate:
    """Count the joints at a timepoint: failed before it, due, measured and responding (as
    ``responded`` says: True, False, or None when it cannot be judged)."""
    failures = registry.failures(failure_kinds)
    eligible = answered = responders = failed = 0
    for t in rows:
        if _failed_before(failures, t, registry, timepoint):
            eligible += 1
            failed += 1
            continue
        if not _eligible(registry, t, timepoint):
            continue
        eligible += 1
        verdict = responded(t)
        if verdict is None:
            continue
        answered += 1
        responders += verdict
    return _rate(len(rows), eligible, answered, responders, failed)


def responder_rate(
    registry: Registry,
    rows: Sequence[Treated],
    timepoint: str,
    criteria: Sequence[Criterion],
    thresholds: Mapping[tuple[str, str, str], Threshold],
    failure_kinds: Iterable[str] = FAILURES,
) -> Rate:
    """The share of joints meeting every criterion at the timepoint (Wilson CI)."""

    def responded(t: Treated) -> bool | None:
        verdicts = [
            judge_criterion(registry, t, timepoint, c, thresholds[(c.instrument, c.score, c.use)])
            for c in criteria
        ]
        return None if any(v is None for v in verdicts) else all(verdicts)

    return _rate_of(registry, rows, timepoint, failure_kinds, responded)


def omeract_rate(
    registry: Registry,
    rows: Sequence[Treated],
    timepoint: str,
    failure_kinds: Iterable[str] = FAILURES,
) -> Rate:
    """The share of OMERACT-OARSI responders at the timepoint (Pham et al. 2004)."""

    def responded(t: Treated) -> bool | None:
        changes = {d: _change(registry, t, d, timepoint) for d in SOURCES}
        result = omeract_oarsi(changes["pain"], changes["function"], changes["global"])
        if result.status is Status.NOT_EVALUABLE:
            return None
        return result.status is Status.RESPONDER

    return _rate_of(registry, rows, timepoint, failure_kinds, responded)


def _change(registry: Registry, t: Treated, domain: str, timepoint: str) -> Change:
    """The first source of the domain with a baseline (as the patient's own chart shows it)."""
    for instrument, score in SOURCES[domain]:
        base = registry.measure(t.key, BASELINE, instrument, score)
        if base is None or base.value is None:
            continue
        at = registry.measure(t.key, timepoint, instrument, score)
        return Change(
            domain,
            worse_0_100(instrument, score, base.value),
            worse_0_100(instrument, score, at.value if at else None),
            source=f"{instrument} {score}",
        )
    return Change(domain, None, None)


def activities_rate(
    registry: Registry,
    rows: Sequence[Treated],
    timepoint: str,
    failure_kinds: Iterable[str] = FAILURES,
) -> Rate:
    """The share answering "back to usual daily activities" at the timepoint (Wilson CI); a
    joint that failed before it counts as not back."""

    def responded(t: Treated) -> bool | None:
        answer = registry.measure(t.key, timepoint, FOLLOWUP.id, ACTIVITIES)
        if answer is None or answer.value is None:
            return None
        return answer.value == YES

    return _rate_of(registry, rows, timepoint, failure_kinds, responded)


IMPROVED = "improved"
JUDGED = frozenset({"improved", "unchanged", "worse"})


def cartilage_rate(
    registry: Registry,
    rows: Sequence[Treated],
    months: float,
    window_days: int,
    measures: Iterable[str],
    failure_kinds: Iterable[str] = FAILURES,
) -> Rate:
    """The share of joints whose MRI nearest ``months`` after the first injection (within
    +-``window_days``, read by one of ``measures``) shows improved cartilage (Wilson CI).

    Due once the window has closed, or as soon as a reading falls in it; a joint that failed
    before the target day without a reading counts as not improved; a reading "not
    assessable" is missing, like an unread one."""
    target = months * DAYS_PER_MONTH
    chosen = set(measures)
    failures = registry.failures(failure_kinds)
    by_joint: dict[tuple[int, str, str], list[Reading]] = defaultdict(list)
    for r in registry.readings:
        if r.measure in chosen:
            by_joint[(r.patient, r.region, r.side)].append(r)
    eligible = answered = responders = failed = 0
    for t in rows:
        inside = [
            r for r in by_joint.get(t.joint, []) if abs(t.days_to(r.on) - target) <= window_days
        ]
        nearest = min(inside, key=lambda r: (abs(t.days_to(r.on) - target), r.on), default=None)
        failed_on = failures.get(t.key)
        if (
            failed_on is not None
            and t.days_to(failed_on) <= target
            and (nearest is None or failed_on <= nearest.on)
        ):
            eligible += 1
            failed += 1
            continue
        if nearest is None and (registry.today - t.treated_on).days <= target + window_days:
            continue  # the window is still open
        eligible += 1
        if nearest is None or nearest.cartilage not in JUDGED:
            continue
        answered += 1
        responders += nearest.cartilage == IMPROVED
    return _rate(len(rows), eligible, answered, responders, failed)


@dataclass(frozen=True)
class ChangeAt:
    """Mean change from baseline at one timepoint, with how complete it is."""

    timepoint: str
    eligible: int
    change: stats.MeanChange

    @property
    def completeness(self) -> float | None:
        """Complete cases as a share of the eligible."""
        return self.change.n / self.eligible if self.eligible else None


def mean_change_at(
    registry: Registry, rows: Sequence[Treated], instrument: str, score: str, timepoint: str
) -> ChangeAt:
    """Mean improvement from baseline (positive = better) over complete cases."""
    eligible = 0
    changes = []
    for t in rows:
        if not _eligible(registry, t, timepoint):
            continue
        eligible += 1
        base = registry.measure(t.key, BASELINE, instrument, score)
        at = registry.measure(t.key, timepoint, instrument, score)
        if base is None or at is None or base.value is None or at.value is None:
            continue
        delta = at.value - base.value
        changes.append(delta if at.higher_is_better else -delta)
    return ChangeAt(timepoint, eligible, stats.mean_change(changes))


# ---- time to event ------------------------------------------------------------------------


def survival(
    registry: Registry, rows: Sequence[Treated], failure_kinds: Iterable[str] = FAILURES
) -> stats.Curve:
    """Survival free of the selected failures, in days from the first injection."""
    failures = registry.failures(failure_kinds)
    durations: list[float] = []
    events: list[bool] = []
    for t in rows:
        failed_on = failures.get(t.key)
        if failed_on is not None and failed_on <= registry.today:
            durations.append(t.days_to(failed_on))
            events.append(True)
        else:
            durations.append(t.days_to(registry.last_seen(t)))
            events.append(False)
    return stats.kaplan_meier(durations, events)


def time_to_response(
    registry: Registry,
    rows: Sequence[Treated],
    criterion: Criterion,
    threshold: Threshold,
) -> stats.Curve:
    """Days to the first follow-up at which the criterion is met ("survival" = not yet).

    A joint without a baseline is left out; one never meeting it is censored at its last
    measured follow-up."""

    def answers(t: Treated) -> list[tuple[date, bool]] | None:
        base = registry.measure(t.key, BASELINE, criterion.instrument, criterion.score)
        if base is None or base.value is None:
            return None
        return [
            (on, judge_criterion(registry, t, tp, criterion, threshold) is True)
            for tp, on in registry.measured_at(t.key).items()
            if tp != BASELINE
        ]

    return _time_to_first(rows, answers)


def time_to_activities(registry: Registry, rows: Sequence[Treated]) -> stats.Curve:
    """Days to the first follow-up answering yes to "back to your usual daily activities?"
    ("survival" = not back yet).  A joint never asked is left out; one never answering yes is
    censored at its last answer."""

    def answers(t: Treated) -> list[tuple[date, bool]] | None:
        found = [
            (m.on, m.value == YES)
            for tp in registry.measured_at(t.key)
            if (m := registry.measure(t.key, tp, FOLLOWUP.id, ACTIVITIES)) is not None
            and m.value is not None
        ]
        return found or None

    return _time_to_first(rows, answers)


def _time_to_first(
    rows: Sequence[Treated], answers: Callable[[Treated], list[tuple[date, bool]] | None]
) -> stats.Curve:
    """Kaplan-Meier of the days to the first answer that says yes; None leaves a joint out."""
    durations: list[float] = []
    events: list[bool] = []
    for t in rows:
        seen = answers(t)
        if seen is None:
            continue
        ordered = sorted(seen)
        met_on = next((on for on, met in ordered if met), None)
        if met_on is not None:
            durations.append(max(0, t.days_to(met_on)))
            events.append(True)
        else:
            last = ordered[-1][0] if ordered else t.treated_on
            durations.append(max(0, t.days_to(last)))
            events.append(False)
    return stats.kaplan_meier(durations, events)


def durability(
    registry: Registry,
    rows: Sequence[Treated],
    criterion: Criterion,
    threshold: Threshold,
    responders_at: str,
    failure_kinds: Iterable[str] = FAILURES,
) -> stats.Curve:
    """Among responders at ``responders_at``, days from the first injection until the response
    is lost (a later follow-up below the criterion) or the joint fails; censored at the last
    follow-up that still met it."""
    failures = registry.failures(failure_kinds)
    durations: list[float] = []
    events: list[bool] = []
    for t in rows:
        if judge_criterion(registry, t, responders_at, criterion, threshold) is not True:
            continue
        start = registry.measured_at(t.key)[responders_at]
        later = sorted(
            (on, tp)
            for tp, on in registry.measured_at(t.key).items()
            if tp != BASELINE and on > start
        )
        lost = next(
            (
                on
                for on, tp in later
                if judge_criterion(registry, t, tp, criterion, threshold) is False
            ),
            None,
        )
        failed_on = failures.get(t.key)
        ends = [d for d in (lost, failed_on) if d is not None]
        if ends:
            durations.append(t.days_to(min(ends)))
            events.append(True)
        else:
            last_kept = max([start, *(on for on, _tp in later)])
            durations.append(t.days_to(last_kept))
            events.append(False)
    return stats.kaplan_meier(durations, events)


# ---- safety -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HarmRate:
    """Adverse events per treated patient and per injection (Clopper-Pearson CIs)."""

    per_patient: stats.Proportion
    per_injection: stats.Proportion
    by_grade: dict[int, int]  # grade -> patients with at least one such event
    serious_patients: int


def harm_rate(
    registry: Registry,
    rows: Sequence[Treated],
    *,
    serious_only: bool = False,
    related_only: bool = False,
) -> HarmRate:
    """Patients of the cohort with at least one matching adverse event, and injections followed
    by at least one (only events linked to an injection of a cohort course count there)."""
    courses = {t.course for t in rows}
    patients = {t.patient for t in rows}
    injections = sum(t.injections_received for t in rows)
    hit: set[int] = set()
    at_injection: set[int] = set()
    by_grade: dict[int, set[int]] = defaultdict(set)
    serious: set[int] = set()
    for h in registry.harms:
        if h.patient not in patients or (h.course is not None and h.course not in courses):
            continue
        if (serious_only and not h.serious) or (related_only and not h.related):
            continue
        hit.add(h.patient)
        by_grade[h.grade].add(h.patient)
        if h.serious:
            serious.add(h.patient)
        if h.injection is not None and h.course is not None:
            at_injection.add(h.injection)
    return HarmRate(
        stats.clopper_pearson(len(hit), len(patients)),
        stats.clopper_pearson(len(at_injection), injections),
        {grade: len(p) for grade, p in sorted(by_grade.items())},
        len(serious),
    )


# ---- timepoints, completeness, strata ------------------------------------------------------


def timepoint_days(key: str) -> float:
    """How far a timepoint key lies from the first injection, for ordering ("w6" = 42 days,
    "m12" = 365.25); baseline is 0 and an unknown key sorts last."""
    if key == BASELINE:
        return 0.0
    head = key.split("-")[0]
    unit, number = head[:1], head[1:]
    if not number.isdigit():
        return float("inf")
    if unit == "w":
        return int(number) * 7.0
    if unit == "m":
        return int(number) * DAYS_PER_MONTH
    if unit == "d":
        return float(number)
    return float("inf")


@dataclass(frozen=True)
class FollowUpAt:
    """One timepoint's denominators for one score: who was due, who answered, who failed."""

    timepoint: str
    eligible: int
    answered: int
    failed: int

    @property
    def lost(self) -> int:
        """Due, not failed, and no score: lost to follow-up at this timepoint."""
        return self.eligible - self.answered - self.failed

    @property
    def completeness(self) -> float | None:
        """The share of the due whose outcome is known."""
        return (self.answered + self.failed) / self.eligible if self.eligible else None


def follow_up_table(
    registry: Registry,
    rows: Sequence[Treated],
    instrument: str,
    score: str,
    failure_kinds: Iterable[str] = FAILURES,
) -> list[FollowUpAt]:
    """Per timepoint at which this score was asked: eligible, answered, failed, lost."""
    keys = {
        m.timepoint for m in registry.measures if (m.instrument, m.score) == (instrument, score)
    }
    keys |= {k for t in rows for k in t.closed}
    failures = registry.failures(failure_kinds)
    out = []
    for key in sorted(keys - {BASELINE}, key=timepoint_days):
        eligible = answered = failed = 0
        for t in rows:
            measured = registry.measure(t.key, key, instrument, score)
            if measured is not None and measured.value is not None:
                eligible += 1
                answered += 1
            elif _failed_before(failures, t, registry, key):
                eligible += 1
                failed += 1
            elif key in t.closed:
                eligible += 1
        if eligible:
            out.append(FollowUpAt(key, eligible, answered, failed))
    return out


CATEGORIES = ("sex", "protocol", "side", "grade", "diagnosis")
NUMBERS = (
    "age",
    "bmi",
    "incubation_hours",
    "thaw_minutes",
    "cells_million",
    "viability_pct",
    "injections_received",
)


@dataclass(frozen=True)
class Stratum:
    """One group of a stratified analysis: a category, or a band [low, high) of a number."""

    label: str
    rows: list[Treated]
    low: float | None = None
    high: float | None = None


def tertile_cuts(values: Sequence[float]) -> list[float]:
    """The two cut points that split the values into thirds (inclusive method), rounded to
    three significant figures so that a group reads as the band it is ("< 25.8", not
    "< 25.78106")."""
    ordered = sorted(values)
    if len(ordered) < 3:
        return []
    cuts = statistics.quantiles(ordered, n=3, method="inclusive")
    return sorted({float(f"{c:.3g}") for c in cuts})


def strata(
    rows: Sequence[Treated], attribute: str, cuts: Sequence[float] | None = None
) -> list[Stratum]:
    """Split the cohort by a category, or a number into bands: the clinic's cut points, else
    tertiles.  Joints without a value for the attribute form no stratum."""
    if attribute in CATEGORIES:
        groups: dict[str, list[Treated]] = defaultdict(list)
        for t in rows:
            value = getattr(t, attribute)
            if value is not None and value != "":
                groups[str(value)].append(t)
        return [Stratum(label, groups[label]) for label in sorted(groups)]
    if attribute not in NUMBERS:
        raise ValueError(f"cannot stratify by {attribute!r}")
    valued = [(float(getattr(t, attribute)), t) for t in rows if getattr(t, attribute) is not None]
    edges = sorted(cuts) if cuts else tertile_cuts([v for v, _t in valued])
    bounds = [None, *edges, None]
    out = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        members = [t for v, t in valued if (low is None or v >= low) and (high is None or v < high)]
        out.append(Stratum(_band(low, high), members, low, high))
    return [s for s in out if s.rows]


def _band(low: float | None, high: float | None) -> str:
    def text(x: float) -> str:
        return f"{x:g}"

    if low is None and high is not None:
        return f"< {text(high)}"
    if high is None and low is not None:
        return f"≥ {text(low)}"
    if low is not None and high is not None:
        return f"{text(low)}–{text(high)}"
    return "all"


# Terms that are "swelling or numbness" after an injection (seed 000's reaction).
SWELLING_OR_NUMBNESS = (
    "injection_site_reaction",
    "localized_edema",
    "joint_effusion",
    "edema_limbs",
    "paresthesia",
)


@dataclass(frozen=True)
class Resolution:
    """Reactions after injections that resolved within a time, of those whose time is known."""

    proportion: stats.Proportion
    reactions: int  # all such reactions after an injection of the cohort

    @property
    def completeness(self) -> float | None:
        """The share of the reactions whose resolution time is known."""
        return self.proportion.n / self.reactions if self.reactions else None


def resolution_rate(
    registry: Registry,
    rows: Sequence[Treated],
    terms: Iterable[str] = SWELLING_OR_NUMBNESS,
    within_hours: float = 24.0,
) -> Resolution:
    """Among injections of the cohort followed by one of the terms, the share resolved within
    the time (exact interval); a reaction without a recorded resolution time is not known."""
    courses = {t.course for t in rows}
    chosen = set(terms)
    reactions = [
        h
        for h in registry.harms
        if h.injection is not None and h.course in courses and h.term in chosen
    ]
    timed = [h for h in reactions if h.resolved_hours is not None]
    quick = sum(
        1 for h in timed if h.resolved_hours is not None and h.resolved_hours <= within_hours
    )
    return Resolution(stats.clopper_pearson(quick, len(timed)), len(reactions))
