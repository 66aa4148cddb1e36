"""KOOS JR, HOOS JR, KOOS-PS and HOOS-PS: a raw item sum converted through a published table.

No official missing-item rule has been located for any of the four (instruments.md sections
4-7), so each is scored only when every item is answered, as the document advises until the HSS
and Perruccio/Davis documents say otherwise.  The tables are transcribed from instruments.md.
"""

from __future__ import annotations

from autologic.outcomes.domain.types import (
    Instrument,
    Licence,
    LicenceStatus,
    Scorer,
    Subscale,
    SubscaleScore,
    items,
)

ALGORITHM = "raw-sum-table-all-items/1"

# Raw sum -> interval score, 0 = total disability, 100 = perfect health (section 4).
KOOS_JR_TABLE = (
    100.000, 91.975, 84.600, 79.914, 76.332, 73.342, 70.704, 68.284, 65.994, 63.776,
    61.583, 59.381, 57.140, 54.840, 52.465, 50.012, 47.487, 44.905, 42.281, 39.625,
    36.931, 34.174, 31.307, 28.251, 24.875, 20.941, 15.939, 8.291, 0.000,
)  # fmt: skip
# Section 5.
HOOS_JR_TABLE = (
    100.000, 92.340, 85.257, 80.550, 76.776, 73.472, 70.426, 67.516, 64.664, 61.815,
    58.930, 55.985, 52.965, 49.858, 46.652, 43.335, 39.902, 36.363, 32.735, 29.009,
    25.103, 20.805, 15.633, 8.104, 0.000,
)  # fmt: skip
# Raw sum -> score, reversed form 100 = no difficulty (section 6).
KOOS_PS_TABLE = (
    100.0, 94.4, 89.5, 85.2, 81.4, 78.0, 75.1, 72.5, 70.3, 68.2, 66.4, 64.7, 63.0, 61.4,
    59.7, 58.0, 56.0, 53.9, 51.5, 48.8, 45.6, 42.1, 38.0, 33.4, 28.2, 22.3, 15.7, 8.2, 0.0,
)  # fmt: skip
# Section 7.
HOOS_PS_TABLE = (
    100.0, 95.4, 91.2, 87.3, 83.6, 80.0, 76.6, 73.1, 69.6, 66.1, 62.3, 58.3, 53.9, 49.2,
    44.1, 38.4, 32.1, 25.2, 17.6, 9.2, 0.0,
)  # fmt: skip


def table_scorer(name: str, table: tuple[float, ...]) -> Scorer:
    """Sum every item and look the sum up; not calculable when any item is unanswered."""

    def score(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
        values = [v for v in answers.values() if v is not None]
        total = len(answers)
        if len(values) < total:
            got = len(values)
            reason = f"every item must be answered ({total}); {total - got} missing"
            return {name: SubscaleScore(None, got, total - got, reason)}
        return {name: SubscaleScore(table[sum(values)], total, 0)}

    return score


HSS = Licence(
    LicenceStatus.FREE_WITH_ATTRIBUTION,
    holder="Hospital for Special Surgery",
    terms="Free to use; reproduce the questionnaire unaltered, with attribution.",
    attribution="© Hospital for Special Surgery. Used with attribution.",
)
KOOS_FAMILY = Licence(
    LicenceStatus.FREE,
    holder="KOOS/HOOS family (koos.nu)",
    terms="Free to use, as the parent instrument; confirm with the original publication.",
)


def short_form(
    instrument_id: str,
    *,
    version: str,
    title: str,
    joint: str,
    gists: tuple[str, ...],
    score: str,
    table: tuple[float, ...],
    licence: Licence,
) -> Instrument:
    """A short form: items I1..In coded 0-4, one score read off its conversion table."""
    assert len(table) == 4 * len(gists) + 1, f"{instrument_id}: table does not fit the items"
    return Instrument(
        id=instrument_id,
        version=version,
        algorithm=ALGORITHM,
        title=title,
        joints=frozenset({joint}),
        items=tuple(items("I", len(gists), 0, 4, gists)),
        subscales=(Subscale(score, 0, 100, higher_is_better=True),),
        licence=licence,
        recall="last week",
        scorer=table_scorer(score, table),
    )


KOOS_JR = short_form(
    "KOOS_JR",
    version="2016",
    title="KOOS JR (Joint Replacement)",
    joint="knee",
    gists=(
        "morning stiffness",
        "pain twisting/pivoting",
        "pain straightening knee fully",
        "pain going up or down stairs",
        "pain standing upright",
        "difficulty rising from sitting",
        "difficulty bending to floor",
    ),
    score="interval",
    table=KOOS_JR_TABLE,
    licence=HSS,
)
HOOS_JR = short_form(
    "HOOS_JR",
    version="2016",
    title="HOOS JR (Joint Replacement)",
    joint="hip",
    gists=(
        "pain going up or down stairs",
        "pain walking on an uneven surface",
        "difficulty rising from sitting",
        "difficulty bending to floor",
        "difficulty lying in bed",
        "difficulty sitting",
    ),
    score="interval",
    table=HOOS_JR_TABLE,
    licence=HSS,
)
KOOS_PS = short_form(
    "KOOS_PS",
    version="2008",
    title="KOOS Physical function Short form",
    joint="knee",
    gists=(
        "rising from bed",
        "putting on socks/stockings",
        "rising from sitting",
        "bending to floor",
        "twisting/pivoting on injured knee",
        "kneeling",
        "squatting",
    ),
    score="score",
    table=KOOS_PS_TABLE,
    licence=KOOS_FAMILY,
)
HOOS_PS = short_form(
    "HOOS_PS",
    version="2008",
    title="HOOS Physical function Short form",
    joint="hip",
    gists=(
        "descending stairs",
        "getting in/out of bath or shower",
        "sitting",
        "running",
        "twisting/pivoting on loaded leg",
    ),
    score="score",
    table=HOOS_PS_TABLE,
    licence=KOOS_FAMILY,
)
