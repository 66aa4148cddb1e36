"""The Neck Disability Index and the QuickDASH: one function score each, higher = worse.

Rules (docs/outcomes.md, "Instruments"):

- NDI (Vernon & Mior, J Manipulative Physiol Ther 1991;14:409-15): ten sections coded 0-5 (first
  statement 0, last 5); ``percent = sum / (5 * answered) * 100``.  Vernon's scoring note: "if one
  section is missed, or not applied, the score is calculated: 16 (total score) / 45 (total
  possible score) x 100 = 35.5 %", and "the average of all other items is then added to the
  completed items", which is the same percentage.  The published text sets no upper limit; at
  most two unanswered sections are scored here, more are not (decision, docs/outcomes.md).
- QuickDASH (Beaton et al., J Bone Joint Surg Am 2005;87:1038-46; Institute for Work & Health
  scoring instructions): eleven items coded 1-5; ``score = (sum / n - 1) * 25`` over the n
  answered items; "at least 10 of the 11 items must be completed", so at most one may be missing.
  The optional work and sports/performing-arts modules are not part of this score.
"""

from __future__ import annotations

from autologic.outcomes.domain.types import (
    Instrument,
    Licence,
    LicenceStatus,
    Subscale,
    SubscaleScore,
    answered,
    items,
    too_few,
)

NDI_MAX_MISSING = 2
QUICKDASH_MAX_MISSING = 1


def _ndi(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
    values = answered(answers, list(answers))
    got, total = len(values), len(answers)
    if total - got > NDI_MAX_MISSING:
        reason = too_few(total - NDI_MAX_MISSING, total, got)
        return {"percent": SubscaleScore(None, got, total - got, reason)}
    return {"percent": SubscaleScore(sum(values) / (5 * got) * 100, got, total - got)}


NDI = Instrument(
    id="NDI",
    version="1991",
    algorithm="ndi-answered-sections-max-two-missing/1",
    title="Neck Disability Index",
    joints=frozenset({"spine_cervical"}),
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
                "reading",
                "headaches",
                "concentration",
                "work",
                "driving",
                "sleeping",
                "recreation",
            ),
        )
    ),
    subscales=(Subscale("percent", 0, 100, higher_is_better=False),),
    licence=Licence(
        LicenceStatus.TO_CONFIRM,
        holder="Howard Vernon (Vernon & Mior 1991)",
        terms="Copyright of the author; widely reproduced for clinical use, but the terms for "
        "software are not confirmed. Each clinic records its licence; item wording is not shipped.",
        ships_item_texts=False,
    ),
    recall="today",
    scorer=_ndi,
)


def _quickdash(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
    values = answered(answers, list(answers))
    got, total = len(values), len(answers)
    if total - got > QUICKDASH_MAX_MISSING:
        reason = too_few(total - QUICKDASH_MAX_MISSING, total, got)
        return {"score": SubscaleScore(None, got, total - got, reason)}
    return {"score": SubscaleScore((sum(values) / got - 1) * 25, got, total - got)}


QUICKDASH = Instrument(
    id="QUICKDASH",
    version="2005",
    algorithm="quickdash-10-of-11/1",
    title="QuickDASH (Disabilities of the Arm, Shoulder and Hand)",
    joints=frozenset({"shoulder", "elbow", "wrist", "hand"}),
    items=tuple(
        items(
            "Q",
            11,
            1,
            5,
            (
                "open a tight or new jar",
                "heavy household chores",
                "carry a shopping bag or briefcase",
                "wash your back",
                "use a knife to cut food",
                "recreation with force or impact through the arm, shoulder or hand",
                "interference with normal social activities",
                "limited in work or other regular daily activities",
                "arm, shoulder or hand pain",
                "tingling (pins and needles)",
                "difficulty sleeping because of pain",
            ),
        )
    ),
    subscales=(Subscale("score", 0, 100, higher_is_better=False),),
    licence=Licence(
        LicenceStatus.FEES_MAY_APPLY,
        holder="Institute for Work & Health, Toronto (dash.iwh.on.ca)",
        terms="Free use is granted for most non-commercial clinical and research use; commercial "
        "software and web-based software for repeated use need an IWH commercial licence with "
        "user fees. Item wording is not shipped.",
        ships_item_texts=False,
    ),
    recall="past week",
    scorer=_quickdash,
    aliases=("QUICK_DASH",),
)
