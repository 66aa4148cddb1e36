"""Units past their expiry become expired on their own (the worker's round), not only when
someone next touches them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from autologic.audit.journal import audited_transaction
from autologic.care.models import Course
from autologic.common.locks import for_update
from autologic.lab.actions.units import change_state, locked
from autologic.lab.domain.states import Move, sources
from autologic.lab.models import Unit
from autologic.lab.signals import units_expired

EXPIRABLE = sorted(s.value for s in sources(Move.EXPIRE))


def expire_due_units(*, now: datetime) -> int:
    """Move every unit past its expiry (quarantined, released, reserved or issued) to expired,
    one course at a time; the bedside then drops their reservations.  Returns how many."""
    due: dict[int, list[int]] = defaultdict(list)
    for course_id, unit_id in Unit.objects.filter(
        expires_at__lte=now, status__in=EXPIRABLE
    ).values_list("chain__course_id", "pk"):
        due[course_id].append(unit_id)
    expired = 0
    for course_id in sorted(due):
        with audited_transaction():
            # Lock order: the course, then its units in ascending id (docs/architecture.md).
            course = for_update(Course.objects).select_related("site").get(pk=course_id)
            changed = []
            for unit_id in sorted(due[course_id]):
                unit = locked(unit_id)
                if unit.status not in EXPIRABLE or unit.expires_at is None:
                    continue  # moved meanwhile
                if unit.expires_at > now:
                    continue
                change_state(
                    unit,
                    Move.EXPIRE,
                    by=None,
                    now=now,
                    detail={"expired_at": unit.expires_at.isoformat()},
                    fields={"reserved_for": None},
                )
                changed.append(unit.identifier)
            if changed:
                units_expired.send(sender=Unit, course=course, units=changed, by=None, now=now)
            expired += len(changed)
    return expired
