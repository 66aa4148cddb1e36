"""Claim files: what a clinic's page says, and the registry query that tests it.

A claim file is YAML, versioned and loaded per clinic.  Each claim holds its wording word for
word, where it was said, the clinic's decision on anything the wording leaves open, the cohort
it speaks of, the measure, and the claimed value.  ``evaluate`` puts the clinic's measurement
beside it with a verdict (claims.md, "Verdicts"):

- proportions (responders, survival at a time, adverse events) are compared as shares;
- times (time to improvement, how long it lasts) as the Kaplan-Meier median in days, with the
  interval of the median read off the curve's confidence band (Brookmeyer-Crowley style, as
  lifelines' ``median_survival_times`` of the interval does).

Every unknown key is an error naming its path, as in protocol files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, assert_never

from pydantic import Field, ValidationError, model_validator

from autologic.analytics.domain import registry as reg
from autologic.analytics.domain import stats
from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain import registry as instruments
from autologic.outcomes.domain.thresholds import Threshold
from autologic.protocols.domain.schema import Model, Text

Failure = Literal["arthroplasty", "repeat_orthobiologic", "other_surgery"]
Unit = Literal["percent", "days", "weeks", "months"]
EVERY_FAILURE: tuple[Failure, ...] = ("arthroplasty", "repeat_orthobiologic", "other_surgery")
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": reg.DAYS_PER_MONTH}


class CriterionSpec(Model):
    """A score and the threshold it must reach."""

    instrument: str
    score: str
    use: Literal["change", "pass"] = "change"

    @model_validator(mode="after")
    def _known(self) -> CriterionSpec:
        instrument = instruments.get(self.instrument)
        names = [s.name for s in instrument.subscales]
        if self.score not in names:
            raise ValueError(f"{instrument.id} has no score {self.score!r}; it has {names}")
        return self

    def criterion(self) -> reg.Criterion:
        """The registry's criterion, with the instrument's canonical id."""
        return reg.Criterion(instruments.get(self.instrument).id, self.score, self.use)


class Responders(Model):
    """The share meeting every criterion at a timepoint."""

    kind: Literal["responders"]
    timepoint: str
    criteria: list[CriterionSpec] = Field(min_length=1)
    failures: list[Failure] = Field(default_factory=lambda: list(EVERY_FAILURE))


class Omeract(Model):
    """The share of OMERACT-OARSI responders at a timepoint."""

    kind: Literal["omeract"]
    timepoint: str
    failures: list[Failure] = Field(default_factory=lambda: list(EVERY_FAILURE))


class Survival(Model):
    """Kaplan-Meier survival free of the failures at a time from the first injection."""

    kind: Literal["survival"]
    failures: list[Failure] = Field(min_length=1)
    months: float = Field(gt=0)


class TimeToResponse(Model):
    """The median time from the first injection to the first follow-up meeting a criterion."""

    kind: Literal["time_to_response"]
    criterion: CriterionSpec


class Durability(Model):
    """Among responders at a timepoint, the median time until the response is lost."""

    kind: Literal["durability"]
    criterion: CriterionSpec
    responders_at: str
    failures: list[Failure] = Field(default_factory=lambda: list(EVERY_FAILURE))


class Harms(Model):
    """The share of treated patients with at least one adverse event of the kind."""

    kind: Literal["harms"]
    serious_only: bool = False
    related_only: bool = False


class ReactionResolved(Model):
    """Of injections followed by the reaction, the share resolved within a number of hours."""

    kind: Literal["reaction_resolved"]
    terms: list[str] = Field(default_factory=lambda: list(reg.SWELLING_OR_NUMBNESS))
    within_hours: float = Field(default=24, gt=0)


class DailyActivities(Model):
    """The share answering "back to usual daily activities" at a timepoint."""

    kind: Literal["daily_activities"]
    timepoint: str
    failures: list[Failure] = Field(default_factory=lambda: list(EVERY_FAILURE))


class Unrecorded(Model):
    """The measure of claim files written before the structured MRI reading existed (seed-003
    version 1): kept so that those files still load, shown as not measured, never guessed."""

    kind: Literal["imaging"]
    timepoint: str = ""


MeasuredBy = Literal["volume", "t2_map", "dgemric", "morphology"]


def _volume_or_t2() -> list[MeasuredBy]:
    return ["volume", "t2_map"]


class Cartilage(Model):
    """The share of joints whose MRI about a time after the first injection shows improved
    cartilage, as the radiologist read it."""

    kind: Literal["cartilage"]
    months: float = Field(gt=0)
    window_days: int = Field(default=90, ge=0, le=365)
    measured_by: list[MeasuredBy] = Field(default_factory=_volume_or_t2, min_length=1)
    failures: list[Failure] = Field(default_factory=lambda: list(EVERY_FAILURE))


Measure = Annotated[
    Responders
    | Omeract
    | Survival
    | TimeToResponse
    | Durability
    | Harms
    | ReactionResolved
    | DailyActivities
    | Cartilage
    | Unrecorded,
    Field(discriminator="kind"),
]


class CohortSpec(Model):
    """Which treated joints the claim speaks of."""

    protocols: list[str] = []
    therapies: list[str] = []
    regions: list[str] = []
    diagnoses: list[str] = []

    def cohort(self) -> reg.Cohort:
        """The registry's cohort."""
        return reg.Cohort(
            protocols=frozenset(self.protocols),
            therapies=frozenset(self.therapies),
            regions=frozenset(self.regions),
            diagnoses=frozenset(self.diagnoses),
        )


class Claimed(Model):
    """The claimed value: at least, at most, or about a value or an interval."""

    at_least: float | None = None
    at_most: float | None = None
    about: list[float] | None = Field(default=None, min_length=1, max_length=2)
    unit: Unit = "percent"

    @model_validator(mode="after")
    def _one(self) -> Claimed:
        given = [x for x in (self.at_least, self.at_most, self.about) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at_least, at_most or about")
        return self

    @property
    def direction(self) -> str:
        """``at_least``, ``at_most`` or ``about``."""
        if self.at_least is not None:
            return "at_least"
        return "at_most" if self.at_most is not None else "about"

    def bounds(self) -> tuple[float, float]:
        """The claim as (low, high) in the measure's own unit (a share, or days)."""
        scale = 0.01 if self.unit == "percent" else UNIT_DAYS[self.unit]
        if self.at_least is not None:
            return (self.at_least * scale, 1.0 if self.unit == "percent" else float("inf"))
        if self.at_most is not None:
            return (0.0, self.at_most * scale)
        assert self.about is not None
        return (min(self.about) * scale, max(self.about) * scale)


class Claim(Model):
    """One claim: its words, its source, the clinic's reading of it, and the measure."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    quote: Text
    source: Text
    decided: Text | None = None
    cohort: CohortSpec = CohortSpec()
    measure: Measure
    claimed: Claimed

    @model_validator(mode="after")
    def _unit_fits(self) -> Claim:
        times = isinstance(self.measure, TimeToResponse | Durability)
        if times != (self.claimed.unit != "percent"):
            raise ValueError(
                "a time measure is claimed in days, weeks or months; every other in percent"
            )
        return self


class ClaimFile(Model):
    """A clinic's claims, versioned."""

    claims: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    version: int = Field(ge=1)
    title: Text
    minimum_n: int = Field(default=stats.MIN_N, ge=1)
    items: list[Claim] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ClaimFile:
        ids = [c.id for c in self.items]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"claim ids appear twice: {', '.join(twice)}")
        return self


class ClaimsInvalid(ValidationFailed):
    """A claim file failed validation; ``data['issues']`` lists every problem."""


def parse_claims(data: Any, source: str) -> ClaimFile:
    """Validate a claim file read from ``source``, naming every problem by its path."""
    if not isinstance(data, dict):
        issues = ["the file must hold a mapping with claims, version, title and items"]
    else:
        try:
            return ClaimFile.model_validate(data)
        except ValidationError as exc:
            issues = [
                ".".join(str(p) for p in item["loc"])
                + ": "
                + item["msg"].removeprefix("Value error, ")
                for item in exc.errors(include_url=False)
            ]
    listing = "; ".join(issues)
    raise ClaimsInvalid(
        "invalid_claims", f"{source}: {listing}", "file", {"issues": issues, "listing": listing}
    )


def fingerprint(claims: ClaimFile) -> str:
    """SHA-256 of the file's canonical JSON: equal meaning, equal fingerprint."""
    text = json.dumps(claims.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---- evaluation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """The clinic's measurement of one claim, beside the claim."""

    claim: Claim
    kind: str  # "proportion" or "time" or "unrecorded"
    n: int
    value: float | None
    low: float | None
    high: float | None
    verdict: stats.Verdict
    completeness: float | None = None
    eligible: int | None = None
    known: int | None = None
    bounds: stats.Bounds | None = None
    needed: int | None = None  # patients needed for a CI of +-10 points
    events: int | None = None
    method: str = ""
    curve: stats.Curve | None = None
    reason: str = ""  # why nothing was measured: "not_recorded" or "no_threshold"
    counted: str = "joints"  # what n counts: "joints", "patients" or "injections"

    @property
    def small(self) -> bool:
        """True when n is below the minimum a percentage needs without a warning."""
        return self.n < stats.MIN_N


def evaluate(
    claim: Claim,
    registry: reg.Registry,
    thresholds: Mapping[tuple[str, str, str], Threshold],
    minimum_n: int = stats.MIN_N,
) -> Result:
    """Measure one claim on the clinic's registry and judge it."""
    rows = claim.cohort.cohort().rows(registry)
    m = claim.measure
    wanted = [c.criterion() for c in getattr(m, "criteria", [])]
    if isinstance(m, TimeToResponse | Durability):
        wanted.append(m.criterion.criterion())
    if any((c.instrument, c.score, c.use) not in thresholds for c in wanted):
        return _unmeasured(claim, "no_threshold")
    low_claim, high_claim = claim.claimed.bounds()
    direction = claim.claimed.direction
    if isinstance(m, Responders | Omeract):
        if isinstance(m, Responders):
            criteria = [c.criterion() for c in m.criteria]
            rate = reg.responder_rate(registry, rows, m.timepoint, criteria, thresholds, m.failures)
        else:
            rate = reg.omeract_rate(registry, rows, m.timepoint, m.failures)
        return _proportion(claim, rate.proportion, direction, minimum_n, rate=rate)
    if isinstance(m, DailyActivities):
        rate = reg.activities_rate(registry, rows, m.timepoint, m.failures)
        return _proportion(claim, rate.proportion, direction, minimum_n, rate=rate)
    if isinstance(m, Cartilage):
        rate = reg.cartilage_rate(
            registry, rows, m.months, m.window_days, m.measured_by, m.failures
        )
        return _proportion(claim, rate.proportion, direction, minimum_n, rate=rate)
    if isinstance(m, ReactionResolved):
        resolved = reg.resolution_rate(registry, rows, m.terms, m.within_hours)
        return _proportion(
            claim,
            resolved.proportion,
            direction,
            minimum_n,
            counted="injections",
            of=(resolved.reactions, resolved.proportion.n),
        )
    if isinstance(m, Harms):
        harm = reg.harm_rate(
            registry, rows, serious_only=m.serious_only, related_only=m.related_only
        )
        return _proportion(claim, harm.per_patient, direction, minimum_n, counted="patients")
    if isinstance(m, Survival):
        return _survival(claim, registry, rows, m, direction, minimum_n)
    if isinstance(m, TimeToResponse | Durability):
        criterion = m.criterion.criterion()
        threshold = thresholds[(criterion.instrument, criterion.score, criterion.use)]
        if isinstance(m, TimeToResponse):
            curve = reg.time_to_response(registry, rows, criterion, threshold)
        else:
            curve = reg.durability(
                registry, rows, criterion, threshold, m.responders_at, m.failures
            )
        median, low, high = median_interval(curve)
        events = sum(s.events for s in curve.steps)
        if curve.n < minimum_n or (median is None and low is None):
            verdict = stats.Verdict.NOT_ENOUGH_DATA
        else:
            verdict = stats.verdict(
                low_claim,
                high_claim,
                direction,
                low if low is not None else 0.0,
                high if high is not None else float("inf"),
                curve.n,
                minimum_n,
            )
        return Result(
            claim,
            "time",
            curve.n,
            median,
            low,
            high,
            verdict,
            events=events,
            method="Kaplan-Meier median",
            curve=curve,
        )
    if isinstance(m, Unrecorded):
        return _unmeasured(claim, "not_recorded")
    assert_never(m)


def _unmeasured(claim: Claim, reason: str) -> Result:
    """Nothing measured, with why: never a guess."""
    return Result(
        claim, "unrecorded", 0, None, None, None, stats.Verdict.NOT_ENOUGH_DATA, reason=reason
    )


def _proportion(
    claim: Claim,
    p: stats.Proportion,
    direction: str,
    minimum_n: int,
    rate: reg.Rate | None = None,
    counted: str = "joints",
    of: tuple[int, int] | None = None,
) -> Result:
    """A proportion beside its claim; ``rate`` or ``of`` (eligible, known) give completeness."""
    low_claim, high_claim = claim.claimed.bounds()
    eligible, known = (
        (rate.eligible, rate.answered + rate.failed) if rate is not None else of or (None, None)
    )
    return Result(
        claim,
        "proportion",
        p.n,
        p.estimate,
        p.low,
        p.high,
        stats.verdict(low_claim, high_claim, direction, p.low, p.high, p.n, minimum_n),
        completeness=known / eligible if eligible and known is not None else None,
        eligible=eligible,
        known=known,
        bounds=rate.bounds if rate else None,
        needed=stats.n_for_half_width(p.estimate),
        events=p.k,
        method=p.method,
        counted=counted,
    )


def _survival(
    claim: Claim,
    registry: reg.Registry,
    rows: list[reg.Treated],
    m: Survival,
    direction: str,
    minimum_n: int,
) -> Result:
    low_claim, high_claim = claim.claimed.bounds()
    curve = reg.survival(registry, rows, m.failures)
    horizon = m.months * reg.DAYS_PER_MONTH
    value, low, high = curve.survival_at(horizon)
    # Who could have been followed that long, and of them whose state at the horizon is known.
    eligible = [t for t in rows if (registry.today - t.treated_on).days >= horizon]
    failures = registry.failures(m.failures)
    known = sum(
        1
        for t in eligible
        if (t.key in failures and t.days_to(failures[t.key]) <= horizon)
        or t.days_to(registry.last_seen(t)) >= horizon
    )
    at_risk = curve.at_risk(horizon)
    verdict = stats.verdict(low_claim, high_claim, direction, low, high, at_risk, minimum_n)
    return Result(
        claim,
        "proportion",
        curve.n,
        value,
        low,
        high,
        verdict,
        completeness=known / len(eligible) if eligible else None,
        eligible=len(eligible),
        known=known,
        needed=stats.n_for_half_width(value),
        events=sum(s.events for s in curve.steps if s.time <= horizon),
        method="Kaplan-Meier, " + curve.interval,
        curve=curve,
    )


def median_interval(curve: stats.Curve) -> tuple[float | None, float | None, float | None]:
    """The median and its interval: the first times the curve, its lower band and its upper
    band fall to 0.5 or below (None where they never do)."""
    median = next((s.time for s in curve.steps if s.survival <= 0.5), None)
    low = next((s.time for s in curve.steps if s.low <= 0.5), None)
    high = next((s.time for s in curve.steps if s.high <= 0.5), None)
    return median, low, high


# ---- a measured claim kept for later (the claims check made on the task queue) --------------

_KEPT = (
    "kind",
    "n",
    "value",
    "low",
    "high",
    "completeness",
    "eligible",
    "known",
    "needed",
    "events",
    "method",
    "reason",
    "counted",
)


def result_data(result: Result) -> dict[str, Any]:
    """The numbers of a measured claim as JSON, without the claim (its file keeps it) and
    without the curve (the page shows none)."""
    data: dict[str, Any] = {name: getattr(result, name) for name in _KEPT}
    data["claim"] = result.claim.id
    data["verdict"] = str(result.verdict)
    data["bounds"] = None if result.bounds is None else [result.bounds.best, result.bounds.worst]
    return data


def result_from(data: Mapping[str, Any], file: ClaimFile) -> Result:
    """A measured claim back from ``result_data``, beside its claim in the file."""
    claim = next(c for c in file.items if c.id == data["claim"])
    bounds = data.get("bounds")
    return Result(
        claim=claim,
        verdict=stats.Verdict(data["verdict"]),
        bounds=None if bounds is None else stats.Bounds(bounds[0], bounds[1]),
        **{name: data[name] for name in _KEPT},
    )
