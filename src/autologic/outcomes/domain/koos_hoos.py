"""KOOS, HOOS and FAOS: five subscales each, 0-100 with 100 = no problems, the 2012 50% rule.

Rule (KOOS Scoring 2012; HOOS and FAOS as KOOS): each subscale on its own,
``100 - 100 * sum(answered) / (4 * n_answered)``, calculated only when at least half of its
items are answered (KOOS minimum: pain 5, symptoms 4, ADL 9, sport/rec 3, QOL 2; HOOS: symptoms
3, pain 5, ADL 9, sport/rec 2, QOL 2).  There is no total score.

FAOS (Foot and Ankle Outcome Score, Roos et al., Foot Ankle Int 2001;22:788-94; koos.nu) is the
KOOS adapted to the foot and ankle: the same 42 item ids (P1-P9, S1-S7, A1-A17, SP1-SP5, Q1-Q4),
the same 0-4 coding, the same five subscale names and the same per-subscale formula; the KOOS
2012 50 % rule is applied to it (minimum pain 5, symptoms 4, ADL 9, sport/rec 3, QOL 2).
"""

from __future__ import annotations

from math import ceil

from autologic.outcomes.domain.types import (
    Instrument,
    Licence,
    LicenceStatus,
    Scorer,
    Subscale,
    SubscaleScore,
    answered,
    items,
    too_few,
)

ALGORITHM = "koos-hoos-2012-half-answered/1"

ADL = (
    "descending stairs",
    "ascending stairs",
    "rising from sitting",
    "standing",
    "bending to floor/picking up an object",
    "walking on flat surface",
    "getting in/out of car",
    "going shopping",
    "putting on socks/stockings",
    "rising from bed",
    "taking off socks/stockings",
    "lying in bed",
    "getting in/out of bath",
    "sitting",
    "getting on/off toilet",
    "heavy domestic duties",
    "light domestic duties",
)
QOL = (
    "how often aware of the joint problem",
    "modified lifestyle to avoid damaging activities",
    "troubled by lack of confidence in the joint",
    "general difficulty with the joint",
)

KOOS_SUBSCALES: dict[str, tuple[str, int]] = {
    # name: (item prefix, item count)
    "pain": ("P", 9),
    "symptoms": ("S", 7),
    "adl": ("A", 17),
    "sport_rec": ("SP", 5),
    "qol": ("Q", 4),
}
HOOS_SUBSCALES: dict[str, tuple[str, int]] = {
    "symptoms": ("S", 5),
    "pain": ("P", 10),
    "adl": ("A", 17),
    "sport_rec": ("SP", 4),
    "qol": ("Q", 4),
}


def subscale_score(values: list[int], total: int) -> SubscaleScore:
    """One KOOS/HOOS subscale under the 2012 rule: at least half of its items answered."""
    needed = ceil(total / 2)
    got = len(values)
    if got < needed:
        return SubscaleScore(None, got, total - got, too_few(needed, total, got))
    return SubscaleScore(100 - 100 * sum(values) / (4 * got), got, total - got)


def _scorer(layout: dict[str, tuple[str, int]]) -> Scorer:
    """Score every subscale of this layout under the 2012 rule."""

    def score(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
        return {
            name: subscale_score(
                answered(answers, [f"{prefix}{n}" for n in range(1, count + 1)]), count
            )
            for name, (prefix, count) in layout.items()
        }

    return score


def _subscales(layout: dict[str, tuple[str, int]]) -> tuple[Subscale, ...]:
    return tuple(Subscale(name, 0, 100, higher_is_better=True) for name in layout)


FREE = Licence(
    LicenceStatus.FREE,
    holder="Ewa M. Roos and colleagues (koos.nu)",
    terms="Free to use; the official forms and translations are at koos.nu.",
)

KOOS = Instrument(
    id="KOOS",
    version="2012",
    algorithm=ALGORITHM,
    title="Knee injury and Osteoarthritis Outcome Score",
    joints=frozenset({"knee"}),
    items=tuple(
        items(
            "P",
            9,
            0,
            4,
            (
                "how often knee pain",
                "pain twisting/pivoting",
                "pain straightening knee fully",
                "pain bending knee fully",
                "pain walking on flat surface",
                "pain going up or down stairs",
                "pain at night in bed",
                "pain sitting or lying",
                "pain standing upright",
            ),
        )
        + items(
            "S",
            7,
            0,
            4,
            (
                "swelling",
                "grinding, clicking or noise",
                "catching or hanging up",
                "straighten knee fully (always = 0)",
                "bend knee fully (always = 0)",
                "morning stiffness",
                "stiffness later in the day",
            ),
        )
        + items("A", 17, 0, 4, ADL)
        + items("SP", 5, 0, 4, ("squatting", "running", "jumping", "twisting/pivoting", "kneeling"))
        + items("Q", 4, 0, 4, QOL)
    ),
    subscales=_subscales(KOOS_SUBSCALES),
    licence=FREE,
    recall="last week",
    scorer=_scorer(KOOS_SUBSCALES),
)

HOOS = Instrument(
    id="HOOS",
    version="2.0",
    algorithm=ALGORITHM,
    title="Hip disability and Osteoarthritis Outcome Score",
    joints=frozenset({"hip"}),
    items=tuple(
        items(
            "S",
            5,
            0,
            4,
            (
                "grinding, clicking or noise",
                "difficulty spreading legs wide apart",
                "difficulty striding out when walking",
                "morning stiffness",
                "stiffness later in the day",
            ),
        )
        + items(
            "P",
            10,
            0,
            4,
            (
                "how often hip pain",
                "pain straightening hip fully",
                "pain bending hip fully",
                "pain walking on flat surface",
                "pain going up or down stairs",
                "pain at night in bed",
                "pain sitting or lying",
                "pain standing upright",
                "pain walking on a hard surface",
                "pain walking on an uneven surface",
            ),
        )
        + items("A", 17, 0, 4, ADL)
        + items(
            "SP",
            4,
            0,
            4,
            (
                "squatting",
                "running",
                "twisting/pivoting on loaded leg",
                "walking on uneven surface",
            ),
        )
        + items("Q", 4, 0, 4, QOL)
    ),
    subscales=_subscales(HOOS_SUBSCALES),
    licence=Licence(
        LicenceStatus.FREE,
        holder="Ewa M. Roos and colleagues (koos.nu)",
        terms="Free to use, as KOOS; confirm on the HOOS distribution page.",
    ),
    recall="last week",
    scorer=_scorer(HOOS_SUBSCALES),
)


FAOS = Instrument(
    id="FAOS",
    version="LK1.0",
    algorithm=ALGORITHM,
    title="Foot and Ankle Outcome Score",
    joints=frozenset({"ankle"}),
    items=tuple(
        items(
            "P",
            9,
            0,
            4,
            (
                "how often foot/ankle pain",
                "pain twisting/pivoting on the foot/ankle",
                "pain straightening the foot fully",
                "pain bending the foot fully",
                "pain walking on flat surface",
                "pain going up or down stairs",
                "pain at night in bed",
                "pain sitting or lying",
                "pain standing upright",
            ),
        )
        + items(
            "S",
            7,
            0,
            4,
            (
                "swelling",
                "grinding, clicking or noise",
                "catching or hanging up",
                "straighten the foot/ankle fully (always = 0)",
                "bend the foot/ankle fully (always = 0)",
                "morning stiffness",
                "stiffness later in the day",
            ),
        )
        + items("A", 17, 0, 4, ADL)
        + items(
            "SP",
            5,
            0,
            4,
            ("squatting", "running", "jumping", "twisting/pivoting on the foot/ankle", "kneeling"),
        )
        + items("Q", 4, 0, 4, QOL)
    ),
    subscales=_subscales(KOOS_SUBSCALES),
    licence=Licence(
        LicenceStatus.FREE,
        holder="Ewa M. Roos and colleagues (koos.nu)",
        terms="Free to use, as KOOS; the official forms and translations are at koos.nu.",
    ),
    recall="last week",
    scorer=_scorer(KOOS_SUBSCALES),
)


def item_ids(instrument: Instrument) -> list[str]:
    """Every item id of an instrument, in form order."""
    return [item.id for item in instrument.items]
