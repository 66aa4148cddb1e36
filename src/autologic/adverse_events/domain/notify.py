"""Who must hear of a serious adverse event at once, and how.

The responsible physician is, in this order: the physician who gave the linked injection; else
the physician(s) the care record names for the patient's current course; else every active
physician of the site, so that a serious event never goes unseen.  Every active manager of the
site is told as well.  Each gets an in-app alert; those with an e-mail address also get an
e-mail (which carries no patient name: e-mail is not a secure channel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

PHYSICIAN = "physician"
MANAGER = "manager"


@dataclass(frozen=True)
class Staff:
    """A staff member as the notification rule sees them."""

    id: int
    role: str
    active: bool
    email: str = ""


class Reason(StrEnum):
    """Why someone is told."""

    OPERATOR = "operator"  # gave the linked injection
    COURSE_PHYSICIAN = "course_physician"  # the physician of the patient's current course
    SITE_PHYSICIAN = "site_physician"  # no one more specific: every physician of the site
    MANAGER = "manager"  # the site's managers


@dataclass(frozen=True)
class Recipient:
    """One person to alert, why, and whether an e-mail goes too."""

    staff: Staff
    reason: Reason

    @property
    def by_email(self) -> bool:
        """An e-mail goes only to someone with an address."""
        return bool(self.staff.email.strip())


def _physicians(people: Sequence[Staff]) -> list[Staff]:
    return [p for p in people if p.active and p.role == PHYSICIAN]


def responsible_physicians(
    *,
    operator: Staff | None,
    course_physicians: Sequence[Staff],
    site_physicians: Sequence[Staff],
) -> list[tuple[Staff, Reason]]:
    """The physician(s) responsible for the event, by the first rule that names someone."""
    if operator is not None and _physicians([operator]):
        return [(operator, Reason.OPERATOR)]
    course = _physicians(course_physicians)
    if course:
        return [(p, Reason.COURSE_PHYSICIAN) for p in course]
    return [(p, Reason.SITE_PHYSICIAN) for p in _physicians(site_physicians)]


def recipients(
    *,
    serious: bool,
    operator: Staff | None,
    course_physicians: Sequence[Staff],
    site_physicians: Sequence[Staff],
    managers: Sequence[Staff],
    already: frozenset[int] = frozenset(),
) -> list[Recipient]:
    """Everyone to alert about an event: nobody unless it is serious; each person once.

    ``already`` holds the ids of people told before (an event that became serious in a
    follow-up after someone was told of it is not told to them twice).
    """
    if not serious:
        return []
    chosen = responsible_physicians(
        operator=operator, course_physicians=course_physicians, site_physicians=site_physicians
    )
    chosen += [(m, Reason.MANAGER) for m in managers if m.active and m.role == MANAGER]
    seen = set(already)
    out = []
    for person, reason in chosen:
        if person.id not in seen:
            seen.add(person.id)
            out.append(Recipient(person, reason))
    return out
