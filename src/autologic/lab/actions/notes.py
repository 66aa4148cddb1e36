"""Custody notes: facts about a unit that do not change its state, e.g. an adverse event.

Later stages (the bedside, safety reporting) call ``note_on_unit`` so the unit's record shows
what happened after it left the lab, without the lab importing them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from autologic.accounts.models import User
from autologic.audit.actions import record_event
from autologic.lab.models import Unit, UnitEvent


def note_on_unit(
    unit: Unit, *, move: str, detail: dict[str, Any], by: User | None, now: datetime
) -> None:
    """Append a custody row that keeps the unit's status; run inside the caller's transaction.

    The row is written with its audit event, when the transaction's events join the chain."""
    status = unit.status
    record_event(
        actor=by,
        site=unit.site,
        action=f"unit.{move}",
        object_type="unit",
        object_id=unit.identifier,
        changes=detail,
        now=now,
        then=lambda event: UnitEvent.objects.create(
            unit=unit,
            at=now,
            by=by,
            move=move[:24],
            from_status=status,
            to_status=status,
            detail=detail,
            audit_seq=event.seq,
        ),
    )
