"""OMERACT-OARSI responder status (Pham et al. 2004), with the open choices decided.

Each domain (pain, function, patient global) is on 0-100 with higher = worse.  A patient is a
responder at a timepoint when either

1. pain or function improves by >= 50 % relative and >= 20 points absolute, or
2. at least two of pain, function and patient global improve by >= 20 % and >= 10 points.

Decisions (instruments.md section 13, "open choices"; documented in docs/outcomes.md):

- thresholds are inclusive (>=);
- a domain whose baseline is 0 has no relative change and is not evaluable (choice a); so is a
  domain with a missing baseline or follow-up;
- the status is ``responder`` when the evaluable domains already satisfy a rule,
  ``non_responder`` when no values of the missing domains could make the patient one, and
  ``not_evaluable`` otherwise (so a missing domain never silently counts as "not improved");
- values are not clipped: a follow-up worse than 100 or a negative change stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from autologic.outcomes.domain import registry

DOMAINS = ("pain", "function", "global")
HIGH = (0.50, 20.0)
MODERATE = (0.20, 10.0)
ALGORITHM = "omeract-oarsi-2004-inclusive-baseline0-not-evaluable/1"


class Status(StrEnum):
    """The answer for one patient at one timepoint."""

    RESPONDER = "responder"
    NON_RESPONDER = "non_responder"
    NOT_EVALUABLE = "not_evaluable"


@dataclass(frozen=True)
class Change:
    """One domain's change from baseline, on 0-100 with higher = worse."""

    domain: str
    baseline: float | None
    follow_up: float | None
    source: str = ""

    @property
    def evaluable(self) -> bool:
        """True when both values exist and the baseline is not 0."""
        return self.baseline is not None and self.follow_up is not None and self.baseline != 0

    @property
    def absolute(self) -> float | None:
        """Baseline minus follow-up (positive = better)."""
        if self.baseline is None or self.follow_up is None:
            return None
        return self.baseline - self.follow_up

    @property
    def relative(self) -> float | None:
        """The absolute improvement as a fraction of the baseline."""
        if not self.evaluable or self.absolute is None or self.baseline is None:
            return None
        return self.absolute / self.baseline

    def meets(self, level: tuple[float, float]) -> bool:
        """True when both the relative and the absolute improvement reach this level."""
        rel, absolute = self.relative, self.absolute
        return rel is not None and absolute is not None and rel >= level[0] and absolute >= level[1]

    @property
    def reason(self) -> str | None:
        """Why this domain is not evaluable, if it is not."""
        if self.baseline is None:
            return "no baseline"
        if self.follow_up is None:
            return "no follow-up"
        if self.baseline == 0:
            return "baseline is 0, so relative change is undefined"
        return None


@dataclass(frozen=True)
class Result:
    """The status, the rule that made a responder, and every domain's change."""

    status: Status
    rule: str | None
    changes: dict[str, Change]
    algorithm: str = ALGORITHM


def omeract_oarsi(pain: Change, function: Change, global_: Change) -> Result:
    """Apply the OMERACT-OARSI responder criteria to the three domain changes."""
    changes = {"pain": pain, "function": function, "global": global_}
    for name in ("pain", "function"):
        if changes[name].meets(HIGH):
            return Result(Status.RESPONDER, f"high_{name}", changes)
    moderate = [c for c in changes.values() if c.meets(MODERATE)]
    if len(moderate) >= 2:
        return Result(Status.RESPONDER, "two_of_three", changes)
    unknown = [c for c in changes.values() if not c.evaluable]
    # A missing pain or function could reach rule 1 alone; any missing domain could be the
    # second moderate one when one already qualifies, or two missing ones could be both.
    could = any(c.domain in ("pain", "function") for c in unknown) or (
        len(moderate) + len(unknown) >= 2
    )
    return Result(Status.NOT_EVALUABLE if could else Status.NON_RESPONDER, None, changes)


def worse_0_100(instrument: str, score: str, value: float | None) -> float | None:
    """A score as 0-100 with higher = worse, the scale the OMERACT-OARSI rule uses.

    Each score is placed on 0-100 from its own range and direction in the registry: NRS 0-10
    times 10; VAS, PGA, ODI, NDI and QuickDASH as they are; WOMAC raw sums as ``sum / max * 100``;
    KOOS, HOOS, FAOS, their short forms and IKDC (100 = best) as ``100 - score``.
    """
    if value is None:
        return None
    subscale = registry.get(instrument).subscale(score)
    share = (value - subscale.low) * 100 / (subscale.high - subscale.low)
    return 100 - share if subscale.higher_is_better else share


# Which stored score feeds each domain, first found wins (per protocol by default).
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "pain": (
        ("VAS", "pain"),
        ("NRS", "pain"),
        ("WOMAC", "pain"),
        ("KOOS", "pain"),
        ("HOOS", "pain"),
        ("FAOS", "pain"),
    ),
    "function": (
        ("WOMAC", "function"),
        ("KOOS", "adl"),
        ("HOOS", "adl"),
        ("FAOS", "adl"),
        ("ODI", "percent"),
        ("NDI", "percent"),
        ("QUICKDASH", "score"),
        ("KOOS_PS", "score"),
        ("HOOS_PS", "score"),
    ),
    "global": (("PGA", "global"),),
}
