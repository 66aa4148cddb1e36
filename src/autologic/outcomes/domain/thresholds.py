"""MCID / MIC / MCII / PASS / MDC reference values: cited, versioned data, and the flags they give.

Every value comes from instruments.md section 14 with its population, source and confidence
mark.  A change threshold is stored as the size of an improvement in the instrument's better
direction (the document's negative MCII values for "higher = worse" scales become positive
improvements here); ``relative`` thresholds are a fraction of the baseline.  A PASS threshold is
a state: at or below it on a "higher = worse" scale, at or above it on a "higher = better" one.
Thresholds are inclusive (a change exactly at the MCID counts), the default documented in
instruments.md section 13.  Clinics choose other values per instrument; nothing here is a
constant in the scoring code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

REFERENCE_VERSION = "instruments-md-s14/2026.1"


class Kind(StrEnum):
    """What a threshold means."""

    MCID = "MCID"  # minimal clinically important difference
    MIC = "MIC"  # minimal important change
    MCII = "MCII"  # minimal clinically important improvement
    MDC = "MDC"  # minimal detectable change
    PASS = "PASS"  # patient acceptable symptom state

    @property
    def is_change(self) -> bool:
        """True for thresholds on a change from baseline, False for a state (PASS)."""
        return self is not Kind.PASS


@dataclass(frozen=True)
class Threshold:
    """One cited reference value."""

    id: str
    instrument: str
    score: str
    kind: Kind
    value: float
    relative: bool = False
    normalised: bool = False  # applies to score / scale maximum * 100 (WOMAC sums)
    population: str = ""
    source: str = ""
    confidence: str = "confirmed"  # confirmed | secondary | unconfirmed (the document's marks)


TUBACH_PASS = "Tubach et al., Ann Rheum Dis 2005;64:34-37"
TUBACH_MCII = "Tubach et al., Ann Rheum Dis 2005;64:29-33"
REVIEW = "PMC7990728, table 5 (review of pain scales)"
PERSIAN_KOOS = "Persian KOOS MIC, physiotherapy cohort (biomed.reviewer.ly 9643eba9)"

REFERENCE: tuple[Threshold, ...] = (
    Threshold(
        "nrs-mcid-2",
        "NRS",
        "pain",
        Kind.MCID,
        2,
        population="chronic musculoskeletal pain",
        source=REVIEW,
    ),
    Threshold(
        "vas-mcid-17.5",
        "VAS",
        "pain",
        Kind.MCID,
        17.5,
        population="osteoarthritis",
        source=REVIEW + " (1.75 cm)",
    ),
    Threshold(
        "vas-pass-32.3", "VAS", "pain", Kind.PASS, 32.3, population="knee OA", source=TUBACH_PASS
    ),
    Threshold(
        "vas-mcii-knee-19.9",
        "VAS",
        "pain",
        Kind.MCII,
        19.9,
        population="knee OA",
        source=TUBACH_MCII,
        confidence="unconfirmed",
    ),
    Threshold(
        "vas-mcii-knee-40.8pct",
        "VAS",
        "pain",
        Kind.MCII,
        0.408,
        relative=True,
        population="knee OA",
        source=TUBACH_MCII,
        confidence="unconfirmed",
    ),
    Threshold(
        "vas-mcii-hip-15.3",
        "VAS",
        "pain",
        Kind.MCII,
        15.3,
        population="hip OA",
        source=TUBACH_MCII,
        confidence="unconfirmed",
    ),
    Threshold(
        "pga-pass-31", "PGA", "global", Kind.PASS, 31.0, population="knee OA", source=TUBACH_PASS
    ),
    Threshold(
        "womac-function-pass-31",
        "WOMAC",
        "function",
        Kind.PASS,
        31.0,
        normalised=True,
        population="knee OA",
        source=TUBACH_PASS,
    ),
    Threshold(
        "womac-total-mcid-12pct",
        "WOMAC",
        "total",
        Kind.MCID,
        0.12,
        relative=True,
        population="osteoarthritis",
        source=REVIEW,
    ),
    Threshold(
        "womac-function-mcii-knee-9.1",
        "WOMAC",
        "function",
        Kind.MCII,
        9.1,
        normalised=True,
        population="knee OA",
        source=TUBACH_MCII,
        confidence="unconfirmed",
    ),
    Threshold(
        "womac-function-mcii-hip-7.9",
        "WOMAC",
        "function",
        Kind.MCII,
        7.9,
        normalised=True,
        population="hip OA",
        source=TUBACH_MCII,
        confidence="unconfirmed",
    ),
    Threshold(
        "koos-pain-mic-15", "KOOS", "pain", Kind.MIC, 15, population="knee OA", source=PERSIAN_KOOS
    ),
    Threshold(
        "koos-symptoms-mic-12.5",
        "KOOS",
        "symptoms",
        Kind.MIC,
        12.5,
        population="knee OA",
        source=PERSIAN_KOOS,
    ),
    Threshold(
        "koos-adl-mic-15.5",
        "KOOS",
        "adl",
        Kind.MIC,
        15.5,
        population="knee OA",
        source=PERSIAN_KOOS,
    ),
    Threshold(
        "koos-sport-mic-17.5",
        "KOOS",
        "sport_rec",
        Kind.MIC,
        17.5,
        population="knee OA",
        source=PERSIAN_KOOS,
    ),
    Threshold(
        "koos-qol-mic-12.5",
        "KOOS",
        "qol",
        Kind.MIC,
        12.5,
        population="knee OA",
        source=PERSIAN_KOOS,
    ),
    Threshold(
        "koos-qol-mcid-8",
        "KOOS",
        "qol",
        Kind.MCID,
        8.0,
        population="knee arthritis",
        source="PMC3943561",
    ),
    Threshold(
        "koos-ps-mcid-2.2",
        "KOOS_PS",
        "score",
        Kind.MCID,
        2.2,
        population="knee arthritis",
        source="PMC3943561",
    ),
    Threshold(
        "odi-mdc-10",
        "ODI",
        "percent",
        Kind.MDC,
        10,
        population="low back pain",
        source="riunitedformarriage ODI scoring page",
        confidence="secondary",
    ),
)
BY_ID = {t.id: t for t in REFERENCE}

# The value used when a clinic has not chosen: one change threshold and one PASS per score.
DEFAULTS: dict[tuple[str, str, str], str] = {
    ("NRS", "pain", "change"): "nrs-mcid-2",
    ("VAS", "pain", "change"): "vas-mcid-17.5",
    ("VAS", "pain", "pass"): "vas-pass-32.3",
    ("PGA", "global", "pass"): "pga-pass-31",
    ("WOMAC", "function", "pass"): "womac-function-pass-31",
    ("WOMAC", "total", "change"): "womac-total-mcid-12pct",
    ("KOOS", "pain", "change"): "koos-pain-mic-15",
    ("KOOS", "symptoms", "change"): "koos-symptoms-mic-12.5",
    ("KOOS", "adl", "change"): "koos-adl-mic-15.5",
    ("KOOS", "sport_rec", "change"): "koos-sport-mic-17.5",
    ("KOOS", "qol", "change"): "koos-qol-mic-12.5",
    ("KOOS_PS", "score", "change"): "koos-ps-mcid-2.2",
    ("ODI", "percent", "change"): "odi-mdc-10",
}


@dataclass(frozen=True)
class Flag:
    """Whether one threshold is met; None when it cannot be judged, with the reason."""

    threshold: Threshold
    met: bool | None
    improvement: float | None
    reason: str | None = None


def improvement(baseline: float, follow_up: float, *, higher_is_better: bool) -> float:
    """The change in the better direction: positive is better."""
    return follow_up - baseline if higher_is_better else baseline - follow_up


def judge(
    threshold: Threshold,
    *,
    follow_up: float | None,
    baseline: float | None,
    higher_is_better: bool,
    scale_max: float,
) -> Flag:
    """Is this threshold met by the follow-up (and, for a change, against the baseline)?"""

    def on_scale(value: float) -> float:
        return value / scale_max * 100 if threshold.normalised else value

    if follow_up is None:
        return Flag(threshold, None, None, "no follow-up score")
    if not threshold.kind.is_change:
        value = on_scale(follow_up)
        met = value >= threshold.value if higher_is_better else value <= threshold.value
        return Flag(threshold, met, None)
    if baseline is None:
        return Flag(threshold, None, None, "no baseline score")
    change = improvement(on_scale(baseline), on_scale(follow_up), higher_is_better=higher_is_better)
    if threshold.relative:
        if baseline == 0:
            return Flag(threshold, None, change, "baseline is 0: relative change is undefined")
        change = change / abs(on_scale(baseline))
    return Flag(threshold, change >= threshold.value, change)
