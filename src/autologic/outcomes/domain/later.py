"""Later treatments of a treated joint: the events that end "survival free of failure".

After an orthobiologic treatment a joint may be replaced, treated again with an orthobiologic
product, or operated on otherwise.  The registry counts each as a failure (selectably) and
censors everyone else at the last known follow-up, so the event must be recorded: by staff
from a hospital letter or the clinic's own record, or as the patient reported it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from autologic.common.domain.errors import ValidationFailed

MAX_NOTE = 2000


class LaterKind(StrEnum):
    """What was done to the treated joint after the treatment."""

    ARTHROPLASTY = "arthroplasty"
    REPEAT_ORTHOBIOLOGIC = "repeat_orthobiologic"
    OTHER_SURGERY = "other_surgery"


class LaterSource(StrEnum):
    """Where the clinic learned of it."""

    PATIENT = "patient"
    HOSPITAL = "hospital"
    CLINIC = "clinic"
    REGISTRY = "registry"


def check_later(
    kind: str, source: str, performed_on: date, treated_on: date | None, today: date, note: str
) -> tuple[LaterKind, LaterSource]:
    """Refuse what cannot be a later treatment of this joint, naming the field."""
    try:
        chosen = LaterKind(kind)
    except ValueError:
        raise ValidationFailed("unknown_kind", f"Unknown kind {kind!r}.", field="kind") from None
    try:
        origin = LaterSource(source)
    except ValueError:
        raise ValidationFailed(
            "unknown_source", f"Unknown source {source!r}.", field="source"
        ) from None
    if treated_on is None:
        raise ValidationFailed(
            "not_treated",
            "This joint has had no injection of an orthobiologic product here yet.",
            field="region",
        )
    if performed_on > today:
        raise ValidationFailed("in_future", "The date is in the future.", field="performed_on")
    if performed_on < treated_on:
        raise ValidationFailed(
            "before_treatment",
            "The date is before this joint's first injection.",
            field="performed_on",
        )
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            "too_long", f"The note has more than {MAX_NOTE} characters.", field="note"
        )
    return chosen, origin
