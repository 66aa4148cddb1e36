"""Autologic's own follow-up questions, asked at every follow-up after the treatment.

Two yes/no items, each its own score (1 = yes, 0 = no; unanswered = not calculable):

- ``ACTIVITIES``: "Are you back to your usual daily activities?" (claims.md C7 counts the
  share answering yes at the 2-week visit);
- ``SURGERY``: "Since your treatment, have you had surgery on this joint?" A yes is a report,
  not a record: staff confirm what was done, when and from which source
  (``outcomes.LaterTreatment``) before the registry counts it as a failure.

They are asked for every treated region at every follow-up timepoint after the anchor that asks
questionnaires (``registry.for_timepoint``), whatever the protocol lists, so that no protocol
version can forget the question that finds later operations.
"""

from __future__ import annotations

from autologic.outcomes.domain.single import ANY_JOINT, single
from autologic.outcomes.domain.types import (
    Instrument,
    Item,
    Licence,
    LicenceStatus,
    Subscale,
    SubscaleScore,
)

ACTIVITIES = "activities"
SURGERY = "surgery"
YES = 1


def _score(answers: dict[str, int | None]) -> dict[str, SubscaleScore]:
    return {
        **single(ACTIVITIES, "ACTIVITIES")(answers),
        **single(SURGERY, "SURGERY")(answers),
    }


FOLLOWUP = Instrument(
    id="FOLLOWUP",
    version="1",
    algorithm="yes-no-items/1",
    title="Follow-up questions (daily activities, later surgery)",
    joints=ANY_JOINT,
    items=(
        Item("ACTIVITIES", 0, 1, "back to your usual daily activities (0 no, 1 yes)"),
        Item("SURGERY", 0, 1, "surgery on this joint since the treatment (0 no, 1 yes)"),
    ),
    subscales=(
        Subscale(ACTIVITIES, 0, 1, higher_is_better=True),
        Subscale(SURGERY, 0, 1, higher_is_better=False),
    ),
    licence=Licence(
        LicenceStatus.FREE,
        holder="Autologic",
        terms="Autologic's own questions; free to use.",
    ),
    recall="since the treatment",
    scorer=_score,
    charted=False,
)
