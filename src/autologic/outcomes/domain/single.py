"""Pain NRS and VAS, patient global assessment, the Oswestry Disability Index and the IKDC.

Rules (instruments.md sections 8-10):

- NRS: one item 0-10; VAS: one item 0-100 mm; patient global assessment: a 0-100 mm VAS
  (the OMERACT-OARSI domain).  Higher = worse.  A single unanswered item is not scored.
- ODI v2: ten sections coded 0-5; ``percent = sum / (5 * answered) * 100``; at most one section
  missing or not applicable (sex life is often left out), else not calculated.
- IKDC subjective 2000: 18 scored items (10a, function before the injury, is asked but not
  scored); ``score = sum / sum of the maxima of the answered items * 100``, calculated only when
  at least 16 of the 18 are answered.  Items 2 and 3 are entered as marked on the 0-10 line
  (0 = never / no pain) and reversed for scoring; every other item is entered as its scored
  value (item 1 "very strenuous" = 4 ... 0, item 6 yes = 0 / no = 1).
"""

from __future__ import annotations

from autologic.outcomes.domain.types import (
    Instrument,
    Item,
    Licence,
    LicenceStatus,
    Scorer,
    Subscale,
    SubscaleScore,
    items,
    too_few,
)

GENERIC = Licence(
    LicenceStatus.PUBLIC_DOMAIN,
    holder="generic scale",
    terms="A generic numeric or visual-analogue scale needs no licence.",
)
ANY_JOINT = frozenset({"any"})


def single(name: str, item_id: str) -> Scorer:
    """A one-item score: the answer itself, or not calculable when it is missing."""

    def score(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
        value = answers[item_id]
        if value is None:
            return {name: SubscaleScore(None, 0, 1, "the single item is unanswered")}
        return {name: SubscaleScore(float(value), 1, 0)}

    return score


def scale(
    instrument_id: str, title: str, item: Item, score: str, recall: str, *aliases: str
) -> Instrument:
    """A generic one-item scale (higher = worse) for any joint."""
    return Instrument(
        id=instrument_id,
        version="1",
        algorithm="single-item/1",
        title=title,
        joints=ANY_JOINT,
        items=(item,),
        subscales=(Subscale(score, item.low, item.high, higher_is_better=False),),
        licence=GENERIC,
        recall=recall,
        scorer=single(score, item.id),
        aliases=aliases,
    )


NRS = scale(
    "NRS",
    "Pain numeric rating scale (0-10)",
    Item("PAIN", 0, 10, "pain, 0 no pain - 10 worst pain imaginable"),
    "pain",
    "average over the last week",
    "NRS_PAIN",
)
VAS = scale(
    "VAS",
    "Pain visual analogue scale (0-100 mm)",
    Item("PAIN", 0, 100, "pain in mm, 0 no pain - 100 worst imaginable pain"),
    "pain",
    "average over the last week",
    "VAS_PAIN",
)
PGA = scale(
    "PGA",
    "Patient global assessment (0-100 mm)",
    Item("GLOBAL", 0, 100, "how is your joint overall, 0 very well - 100 very poor"),
    "global",
    "last week",
)


def _odi(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
    values = [v for v in answers.values() if v is not None]
    got, total = len(values), len(answers)
    if total - got > 1:
        return {"percent": SubscaleScore(None, got, total - got, too_few(total - 1, total, got))}
    return {"percent": SubscaleScore(sum(values) / (5 * got) * 100, got, total - got)}


ODI = Instrument(
    id="ODI",
    version="2.1a",
    algorithm="odi-answered-sections-max-one-missing/1",
    title="Oswestry Disability Index",
    joints=frozenset({"spine_lumbar", "spine_thoracic"}),
    items=tuple(
        items(
            "Q",
            10,
            0,
            5,
            (
                "pain intensity",
                "personal care",
                "lifting",
                "walking",
                "sitting",
                "standing",
                "sleeping",
                "sex life (if applicable)",
                "social life",
                "travelling",
            ),
        )
    ),
    subscales=(Subscale("percent", 0, 100, higher_is_better=False),),
    licence=Licence(
        LicenceStatus.FEES_MAY_APPLY,
        holder="Mapi Research Trust (Fairbank & Pynsent)",
        terms="Free for clinicians and non-funded academics; fees may apply for healthcare "
        "organisations, commercial users and IT companies. Item wording is not shipped.",
        ships_item_texts=False,
    ),
    recall="today",
    scorer=_odi,
)

IKDC_REVERSED = frozenset({"I2", "I3"})
IKDC_ITEMS = (
    Item("I1", 0, 4, "highest activity without significant pain (4 = very strenuous)"),
    Item("I2", 0, 10, "pain frequency, 0 never - 10 constant (reversed for scoring)"),
    Item("I3", 0, 10, "pain severity, 0 no pain - 10 worst (reversed for scoring)"),
    Item("I4", 0, 4, "stiffness or swelling (4 = not at all)"),
    Item("I5", 0, 4, "highest activity without significant swelling"),
    Item("I6", 0, 1, "locking or catching (yes = 0, no = 1)"),
    Item("I7", 0, 4, "highest activity without giving way"),
    Item("I8", 0, 4, "highest activity performed regularly"),
    *(
        Item(f"I9{letter}", 0, 4, gist)
        for letter, gist in zip(
            "ABCDEFGHI",
            (
                "going up stairs",
                "going down stairs",
                "kneeling on the front of the knee",
                "squatting",
                "sitting with knee bent",
                "rising from a chair",
                "running straight ahead",
                "jumping and landing on the involved leg",
                "stopping and starting quickly",
            ),
            strict=True,
        )
    ),
    Item("I10A", 0, 10, "function before the knee injury (asked, not scored)"),
    Item("I10B", 0, 10, "current function (10 = no limitation)"),
)
IKDC_SCORED = tuple(item for item in IKDC_ITEMS if item.id != "I10A")
IKDC_MINIMUM = 16


def _ikdc(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
    points = maxima = 0
    got = 0
    for item in IKDC_SCORED:
        value = answers[item.id]
        if value is None:
            continue
        got += 1
        points += item.high - value if item.id in IKDC_REVERSED else value
        maxima += item.high
    total = len(IKDC_SCORED)
    if got < IKDC_MINIMUM:
        return {"score": SubscaleScore(None, got, total - got, too_few(IKDC_MINIMUM, total, got))}
    return {"score": SubscaleScore(points / maxima * 100, got, total - got)}


IKDC = Instrument(
    id="IKDC",
    version="2000",
    algorithm="ikdc-answered-maxima-16-of-18/1",
    title="IKDC Subjective Knee Evaluation Form",
    joints=frozenset({"knee"}),
    items=IKDC_ITEMS,
    subscales=(Subscale("score", 0, 100, higher_is_better=True),),
    licence=Licence(
        LicenceStatus.TO_CONFIRM,
        holder="AOSSM / IKDC",
        terms="Believed free for use without modification (AOSSM); confirm before shipping.",
    ),
    recall="past 4 weeks",
    scorer=_ikdc,
    unscored=frozenset({"I10A"}),
)
