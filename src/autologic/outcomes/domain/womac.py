"""WOMAC LK 3.x: raw subscale sums with the standard missing-item handling, and from KOOS/HOOS.

Rules (instruments.md section 3):

- physical function (17 items): 1-3 missing -> the mean of the answered items is substituted;
  4 or more missing -> invalid (Whitehouse 2004, describing the standard protocol);
- pain (5 items): 1 missing -> mean substitution; 2 or more -> invalid;
- stiffness (2 items): 1 missing -> mean substitution; both missing -> invalid (the last two
  are marked "to verify against the licensed WOMAC 3.1 User Guide" and are versioned as such);
- total = pain + stiffness + function, only when all three are valid.

Raw ranges: pain 0-20, stiffness 0-8, function 0-68, total 0-96; higher = worse.  The wording
is licensed (womac.org), so item texts ship only when the clinic supplies them; scores from item
values are always available.  KOOS and HOOS carry every WOMAC item: see ``derive``.
"""

from __future__ import annotations

from autologic.outcomes.domain.types import (
    Instrument,
    Licence,
    LicenceStatus,
    Scored,
    Subscale,
    SubscaleScore,
    items,
)

ALGORITHM = "womac-lk3-mean-substitution/1"
MAX_MISSING = {"pain": 1, "stiffness": 1, "function": 3}
LAYOUT: dict[str, tuple[str, int]] = {
    "pain": ("P", 5),
    "stiffness": ("S", 2),
    "function": ("F", 17),
}

# Which KOOS / HOOS items are the WOMAC items, in WOMAC order (instruments.md section 3).
FROM_KOOS = {
    "pain": ["P5", "P6", "P7", "P8", "P9"],
    "stiffness": ["S6", "S7"],
    "function": [f"A{n}" for n in range(1, 18)],
}
FROM_HOOS = {
    "pain": ["P4", "P5", "P6", "P7", "P8"],
    "stiffness": ["S4", "S5"],
    "function": [f"A{n}" for n in range(1, 18)],
}


def subscale_sum(values: list[int], total: int, max_missing: int) -> SubscaleScore:
    """A raw sum, the mean of the answered items standing in for up to max_missing gaps."""
    got = len(values)
    missing = total - got
    if missing > max_missing:
        return SubscaleScore(
            None,
            got,
            missing,
            f"{missing} of {total} items missing; at most {max_missing} may be missing",
        )
    return SubscaleScore(sum(values) / got * total, got, missing)


def score_groups(groups: dict[str, list[int | None]]) -> dict[str, SubscaleScore]:
    """Pain, stiffness, function and total from the item values of each subscale."""
    scores = {
        name: subscale_sum([v for v in values if v is not None], len(values), MAX_MISSING[name])
        for name, values in groups.items()
    }
    parts = list(scores.values())
    if all(p.value is not None for p in parts):
        total = SubscaleScore(
            sum(p.value for p in parts if p.value is not None),
            sum(p.answered for p in parts),
            sum(p.missing for p in parts),
        )
    else:
        invalid = [name for name, p in scores.items() if p.value is None]
        total = SubscaleScore(
            None,
            sum(p.answered for p in parts),
            sum(p.missing for p in parts),
            f"needs all three subscales; not calculable: {', '.join(invalid)}",
        )
    return {**scores, "total": total}


def _score(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
    return score_groups(
        {
            name: [answers[f"{prefix}{n}"] for n in range(1, count + 1)]
            for name, (prefix, count) in LAYOUT.items()
        }
    )


WOMAC = Instrument(
    id="WOMAC",
    version="LK3.1",
    algorithm=ALGORITHM,
    title="WOMAC Osteoarthritis Index (Likert)",
    joints=frozenset({"knee", "hip"}),
    items=tuple(items("P", 5, 0, 4) + items("S", 2, 0, 4) + items("F", 17, 0, 4)),
    subscales=(
        Subscale("pain", 0, 20, higher_is_better=False),
        Subscale("stiffness", 0, 8, higher_is_better=False),
        Subscale("function", 0, 68, higher_is_better=False),
        Subscale("total", 0, 96, higher_is_better=False),
    ),
    licence=Licence(
        LicenceStatus.PROPRIETARY,
        holder="Nicholas Bellamy (womac.org)",
        terms="Not free: licence and user guide via womac.org. Item wording is not shipped; "
        "a clinic holding a licence supplies its own texts. Scoring item values is allowed.",
        ships_item_texts=False,
    ),
    recall="last 48 hours",
    scorer=_score,
)


def derive(source: Instrument, answers: dict[str, int | None]) -> Scored:
    """WOMAC subscales from a KOOS or HOOS response, marked as derived from it."""
    mapping = FROM_KOOS if source.id == "KOOS" else FROM_HOOS
    cleaned = source.clean(answers)
    groups = {name: [cleaned[i] for i in ids] for name, ids in mapping.items()}
    scores = score_groups(groups)
    return Scored(
        instrument=WOMAC.id,
        instrument_version=WOMAC.version,
        algorithm=f"{ALGORITHM}+from-{source.id.lower()}",
        scores=scores,
        missing=sum(1 for values in groups.values() for v in values if v is None),
        derived_from=source.id,
    )


def normalised(scored: Scored) -> dict[str, float | None]:
    """Each WOMAC sum as 0-100 of its maximum (higher = worse), for responder rules."""
    return {
        name: None if s.value is None else s.value / WOMAC.subscale(name).high * 100
        for name, s in scored.scores.items()
    }
