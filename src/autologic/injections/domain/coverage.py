"""Which aliquot serves which session, and what the units left cannot cover.

Each remaining injection session needs one unit per treated region.  Units are matched first
expiry, first out (FEFO); a unit never serves a session planned after it expires.  A reservation
that still fits is kept, so a re-plan moves as few units as possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Unit states that can still serve a session, and the ones that hold a reservation.
FREE = "released"
HOLDING = frozenset({"reserved", "issued", "thawed"})
PENDING = frozenset({"collected", "processing", "quarantined"})


@dataclass(frozen=True)
class Need:
    """One region of one remaining session."""

    appointment_id: int
    sequence: int
    region_id: int
    at: datetime | None  # planned start; None while the session is not scheduled

    @property
    def slot(self) -> tuple[int, int]:
        return (self.appointment_id, self.region_id)


@dataclass(frozen=True)
class Stock:
    """One unit of the course's product."""

    unit_id: int
    state: str
    expires_at: datetime | None
    held: tuple[int, int] | None = None  # (appointment, region) it is reserved for
    failed_qc: bool = False
    on_hold: bool = False  # a QA hold covers it: it serves nothing until QA lifts the hold


@dataclass(frozen=True)
class Warning:
    """Why the units left cannot cover the remaining sessions; ``code`` picks the wording."""

    code: str  # count | expiry | qc | hold | pending
    sessions: tuple[int, ...] = ()  # session sequence numbers concerned
    units: int = 0


@dataclass
class Allocation:
    """What to change: reservations to make, to drop, and the warnings that remain."""

    keep: dict[tuple[int, int], int] = field(default_factory=dict)
    reserve: dict[tuple[int, int], int] = field(default_factory=dict)
    drop: list[int] = field(default_factory=list)  # units whose reservation ends
    uncovered: list[Need] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    @property
    def covered(self) -> dict[tuple[int, int], int]:
        return {**self.keep, **self.reserve}


def _fits(unit: Stock, need: Need, now: datetime) -> bool:
    if unit.expires_at is None:
        return True
    return unit.expires_at > now and (need.at is None or unit.expires_at > need.at)


def _order(need: Need) -> tuple[bool, datetime | int, int, int]:
    # Scheduled sessions in time order, then unscheduled ones by sequence.
    return (need.at is None, need.at or 0, need.sequence, need.region_id)


def allocate(needs: list[Need], stock: list[Stock], now: datetime) -> Allocation:
    """Match units to the remaining sessions' needs (FEFO), keeping reservations that fit."""
    result = Allocation()
    by_slot = {need.slot: need for need in needs}
    for unit in stock:
        if unit.held is None:
            continue
        need = by_slot.get(unit.held)
        in_hand = unit.state in ("issued", "thawed")
        fits = need is not None and (in_hand or _fits(unit, need, now))
        if unit.state in HOLDING and fits and unit.held not in result.keep:
            result.keep[unit.held] = unit.unit_id
            continue
        if not in_hand:
            result.drop.append(unit.unit_id)
    dropped = set(result.drop)
    free = sorted(
        (
            u
            for u in stock
            if (u.state == FREE and u.held is None)
            or (u.unit_id in dropped and u.state in ("reserved", FREE))
        ),
        key=lambda u: (u.expires_at is None, u.expires_at or now, u.unit_id),
    )
    for need in sorted(needs, key=_order):
        if need.slot in result.keep:
            continue
        choice = next((u for u in free if _fits(u, need, now)), None)
        if choice is None:
            result.uncovered.append(need)
            continue
        free.remove(choice)
        if choice.unit_id in dropped and choice.held == need.slot:
            dropped.discard(choice.unit_id)
            result.drop.remove(choice.unit_id)
            result.keep[need.slot] = choice.unit_id
        else:
            result.reserve[need.slot] = choice.unit_id
    result.warnings = _warnings(result.uncovered, stock, needs, now)
    return result


def _warnings(
    uncovered: list[Need], stock: list[Stock], needs: list[Need], now: datetime
) -> list[Warning]:
    if not uncovered:
        return []
    sessions = tuple(sorted({n.sequence for n in uncovered}))
    warnings: list[Warning] = []
    usable = [u for u in stock if u.state == FREE or u.state in HOLDING]
    pending = [u for u in stock if u.state in PENDING and not u.failed_qc and not u.on_hold]
    failed = [u for u in stock if u.failed_qc]
    held = [u for u in stock if u.on_hold and u.state in PENDING and not u.failed_qc]
    late = [
        u
        for u in usable
        if u.expires_at is not None
        and any(n.at is not None and u.expires_at <= n.at for n in uncovered)
    ]
    if failed:
        warnings.append(Warning("qc", sessions, len(failed)))
    if held:
        warnings.append(Warning("hold", sessions, len(held)))
    if late:
        warnings.append(Warning("expiry", sessions, len(late)))
    if pending:
        warnings.append(Warning("pending", sessions, len(pending)))
    short = len(needs) - len(usable) - len(pending) - len(held)
    if short > 0:
        warnings.insert(0, Warning("count", sessions, short))
    elif not warnings:
        warnings.append(Warning("count", sessions, len(uncovered)))
    return warnings
