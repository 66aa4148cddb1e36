"""Freezer storage: check-in with auto-allocation, check-out, readings and excursions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from autologic.accounts.models import Site, User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.care.models import Resource
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab.actions.units import change_state, locked
from autologic.lab.choices import INFECTIOUS_STATUSES
from autologic.lab.domain.states import Move, State
from autologic.lab.domain.storage import excursions, free_positions, position_name
from autologic.lab.models import (
    Box,
    Collection,
    Excursion,
    Freezer,
    Rack,
    Reading,
    StorageEvent,
    Unit,
)

STORABLE = (State.QUARANTINED, State.RELEASED, State.RESERVED)
# Units in these states are quarantined by an excursion; quarantined ones are listed too.
AT_RISK = (State.RELEASED.value, State.RESERVED.value, State.QUARANTINED.value)


def check_in(units: list[Unit], box: Box, *, by: User, now: datetime) -> list[Unit]:
    """Put units into the next free positions of a box (reading order), all or nothing."""
    with audited_transaction():
        box = for_update(Box.objects).select_related("rack__freezer").get(pk=box.pk)
        # Units are locked in id order (docs/architecture.md), then placed in label order.
        held = {unit.pk: locked(unit.pk) for unit in sorted(units, key=lambda u: u.pk)}
        rows = sorted(held.values(), key=lambda u: (u.index, u.pk))
        for unit in rows:
            if unit.box_id is not None:
                raise ConflictError(
                    "already_stored", f"{unit.identifier} is already in box {unit.box}."
                )
            if State(unit.status) not in STORABLE or not unit.frozen:
                raise ValidationFailed(
                    "not_storable",
                    f"{unit.identifier} is {unit.status}; only frozen units waiting for use "
                    "are stored.",
                    "units",
                )
        _refuse_mixing(rows, box)
        taken = set(Unit.objects.filter(box=box).values_list("row", "col"))
        places = free_positions(box.rows, box.cols, {(r, c) for r, c in taken}, len(rows))
        if len(places) < len(rows):
            raise ValidationFailed(
                "box_full",
                f"Box {box} has {len(places)} free position(s); {len(rows)} needed.",
                "box",
            )
        freezer = box.rack.freezer
        for unit, (row, col) in zip(rows, places, strict=True):
            unit.box, unit.row, unit.col = box, row, col
            unit.version += 1
            unit.save(update_fields=["box", "row", "col", "version"])
            StorageEvent.objects.create(
                unit=unit,
                box=box,
                freezer=freezer,
                row=row,
                col=col,
                direction="in",
                at=now,
                by=by,
            )
        record_event(
            actor=by,
            site=freezer.site,
            action="storage.check_in",
            object_type="box",
            object_id=box.pk,
            changes={
                unit.identifier: f"{box} {position_name(row, col)}"
                for unit, (row, col) in zip(rows, places, strict=True)
            },
            now=now,
        )
    return rows


def _refuse_mixing(units: list[Unit], box: Box) -> None:
    """A box holds products of one infectious-disease status only: tested-negative ones apart
    from untested ("not evaluated") ones, and both apart from reactive (biohazard) ones."""
    statuses = dict(
        Collection.objects.filter(pk__in={u.collection_id for u in units}).values_list(
            "pk", "infectious"
        )
    )
    for unit in units:
        status = statuses[unit.collection_id]
        if status != box.infectious:
            raise ValidationFailed(
                "box_infectious_mismatch",
                f"{unit.identifier} is {status.replace('_', ' ')}; box {box} holds only "
                f"{box.infectious.replace('_', ' ')} products. Store it in a box kept for them.",
                "box",
                {
                    "unit": unit.identifier,
                    "status": status,
                    "box": str(box),
                    "holds": box.infectious,
                },
            )


def set_box_infectious(box: Box, infectious: str, *, by: User, now: datetime) -> Box:
    """Keep a box for products of one infectious-disease status; refused while it holds units
    of another status."""
    if infectious not in {code for code, _label in INFECTIOUS_STATUSES}:
        raise ValidationFailed("bad_infectious", "Choose what the box holds.", "infectious")
    with audited_transaction():
        box = for_update(Box.objects).select_related("rack__freezer").get(pk=box.pk)
        if box.infectious == infectious:
            return box
        other = list(
            Unit.objects.filter(box=box)
            .exclude(collection__infectious=infectious)
            .values_list("identifier", flat=True)
        )
        if other:
            raise ValidationFailed(
                "box_not_empty",
                f"Box {box} still holds {', '.join(other)}; move them out first.",
                "infectious",
                {"units": ", ".join(other)},
            )
        before, box.infectious = box.infectious, infectious
        box.save(update_fields=["infectious"])
        record_event(
            actor=by,
            site=box.rack.freezer.site,
            action="storage.box_infectious",
            object_type="box",
            object_id=box.pk,
            changes={"box": str(box), "infectious": [before, infectious]},
            now=now,
        )
    return box


def check_out(unit: Unit, *, by: User | None, now: datetime) -> Unit:
    """Take a locked unit out of its position (issue or discard); records the storage event."""
    if unit.box_id is None:
        return unit
    box = Box.objects.select_related("rack__freezer").get(pk=unit.box_id)
    assert unit.row is not None and unit.col is not None
    with audited_transaction():
        StorageEvent.objects.create(
            unit=unit,
            box=box,
            freezer=box.rack.freezer,
            row=unit.row,
            col=unit.col,
            direction="out",
            at=now,
            by=by,
        )
        record_event(
            actor=by,
            site=unit.site,
            action="storage.check_out",
            object_type="unit",
            object_id=unit.identifier,
            changes={"from": f"{box} {position_name(unit.row, unit.col)}"},
            now=now,
        )
        unit.box, unit.row, unit.col = None, None, None
        unit.save(update_fields=["box", "row", "col"])
    return unit


def record_readings(
    freezer: Freezer,
    readings: list[tuple[datetime, float]],
    *,
    source: str,
    by: User,
    now: datetime,
) -> list[Excursion]:
    """Store readings (typed or from a logger file), then quarantine for any excursion.

    A reading at a time already on file with the same value is skipped; a different value at
    the same time is refused, so an import can be repeated safely.
    """
    if any(at > now for at, _value in readings):
        raise ValidationFailed("reading_in_future", "A reading is in the future.", "at")
    with audited_transaction():
        freezer = for_update(Freezer.objects).get(pk=freezer.pk)
        known = {
            row.at: row.celsius
            for row in Reading.objects.filter(freezer=freezer, at__in=[at for at, _ in readings])
        }
        new = []
        for at, value in sorted(readings):
            celsius = Decimal(str(value)).quantize(Decimal("0.1"))
            if at in known:
                if known[at] != celsius:
                    raise ValidationFailed(
                        "reading_conflict",
                        f"A reading of {known[at]} °C is already on file for {at:%Y-%m-%d %H:%M}.",
                        "file",
                    )
                continue
            known[at] = celsius
            new.append(Reading(freezer=freezer, at=at, celsius=celsius, source=source, by=by))
        Reading.objects.bulk_create(new)
        record_event(
            actor=by,
            site=freezer.site,
            action="freezer.readings",
            object_type="freezer",
            object_id=freezer.code,
            changes={"source": source, "added": len(new), "skipped": len(readings) - len(new)},
            now=now,
        )
        found = _excursions(freezer, [r.at for r in new], by=by, now=now) if new else []
    return found


def _excursions(
    freezer: Freezer, new_times: list[datetime], *, by: User, now: datetime
) -> list[Excursion]:
    """Find excursions around the new readings; quarantine what was stored during each."""
    # Look from the reading before the earliest new one, so an excursion's start is known.
    first = min(new_times)
    before = Reading.objects.filter(freezer=freezer, at__lt=first).order_by("-at").first()
    since = before.at if before else first
    series = [
        (row.at, float(row.celsius))
        for row in Reading.objects.filter(freezer=freezer, at__gte=since).order_by("at")
    ]
    found = []
    for episode in excursions(series, float(freezer.low_c), float(freezer.high_c)):
        if episode.ended_at is not None and episode.ended_at < first:
            continue  # ended before anything new: already handled
        row, created = Excursion.objects.get_or_create(
            freezer=freezer,
            first_bad_at=episode.first_bad_at,
            defaults={
                "started_at": episode.started_at,
                "ended_at": episode.ended_at,
                "worst_c": Decimal(str(episode.worst_c)),
            },
        )
        if not created:
            row.ended_at = episode.ended_at
            row.worst_c = Decimal(str(episode.worst_c))
        quarantined = _quarantine_stored(freezer, row, by=by, now=now)
        row.units = sorted(set(row.units) | set(quarantined))
        row.save()
        record_event(
            actor=by,
            site=freezer.site,
            action="freezer.excursion",
            object_type="freezer",
            object_id=freezer.code,
            changes={
                "from": episode.started_at,
                "until": episode.ended_at,
                "worst_c": episode.worst_c,
                "quarantined": quarantined,
            },
            now=now,
        )
        found.append(row)
    return found


def stored_during(freezer: Freezer, start: datetime, end: datetime | None) -> list[int]:
    """Ids of units that were in the freezer at any moment between ``start`` and ``end``."""
    inside: dict[int, datetime] = {}
    hit: set[int] = set()
    events = StorageEvent.objects.filter(freezer=freezer)
    if end is not None:
        events = events.filter(at__lte=end)
    for unit_id, direction, at in events.order_by("at", "id").values_list(
        "unit_id", "direction", "at"
    ):
        if direction == "in":
            inside[unit_id] = at
        elif unit_id in inside:
            if at >= start:
                hit.add(unit_id)
            del inside[unit_id]
    return sorted(hit | set(inside))


def _quarantine_stored(
    freezer: Freezer, episode: Excursion, *, by: User, now: datetime
) -> list[str]:
    reason = (
        f"freezer {freezer.code} out of limits from {episode.started_at:%Y-%m-%d %H:%M} UTC "
        f"(worst {episode.worst_c} °C)"
    )
    names = []
    for unit_id in stored_during(freezer, episode.started_at, episode.ended_at):
        unit = locked(unit_id)
        if unit.status not in AT_RISK:
            continue
        if unit.status != State.QUARANTINED.value:
            unit.reserved_for = None
            change_state(
                unit,
                Move.QUARANTINE,
                by=by,
                now=now,
                reason=reason,
                detail={"excursion": episode.pk},
                fields={"reserved_for": None},
            )
        names.append(unit.identifier)
    return names


def acknowledge_excursion(excursion: Excursion, *, by: User, now: datetime) -> Excursion:
    """A lab member confirms they have seen an excursion and its quarantined units."""
    with audited_transaction():
        row = for_update(Excursion.objects).select_related("freezer").get(pk=excursion.pk)
        if row.acknowledged_at is not None:
            return row
        row.acknowledged_by, row.acknowledged_at = by, now
        row.save(update_fields=["acknowledged_by", "acknowledged_at"])
        record_event(
            actor=by,
            site=row.freezer.site,
            action="freezer.excursion_acknowledged",
            object_type="freezer",
            object_id=row.freezer.code,
            changes={"excursion": row.pk},
            now=now,
        )
    return row


def add_freezer(
    *,
    site: Site,
    code: str,
    name: str,
    low_c: Decimal,
    high_c: Decimal,
    racks: int,
    boxes_per_rack: int,
    rows: int = 9,
    cols: int = 9,
    resource: Resource | None = None,
    by: User,
    now: datetime,
) -> Freezer:
    """Add a freezer with its racks and boxes (R1..Rn, B1..Bn), as a lab sets one up."""
    if low_c >= high_c:
        raise ValidationFailed("limits", "The lowest allowed must be below the highest.", "low_c")
    if not 1 <= rows <= 26 or not 1 <= cols <= 26:
        raise ValidationFailed("box_size", "Boxes have 1 to 26 rows and columns.", "rows")
    with audited_transaction():
        if Freezer.objects.filter(site=site, code=code).exists():
            raise ValidationFailed("duplicate", f"A freezer {code!r} exists already.", "code")
        freezer = Freezer.objects.create(
            site=site, code=code, name=name, low_c=low_c, high_c=high_c, resource=resource
        )
        for r in range(1, racks + 1):
            rack = Rack.objects.create(freezer=freezer, code=f"R{r}")
            Box.objects.bulk_create(
                Box(rack=rack, code=f"B{b}", rows=rows, cols=cols)
                for b in range(1, boxes_per_rack + 1)
            )
        record_event(
            actor=by,
            site=site,
            action="freezer.add",
            object_type="freezer",
            object_id=code,
            changes={
                "name": name,
                "limits_c": [low_c, high_c],
                "racks": racks,
                "boxes_per_rack": boxes_per_rack,
                "box": f"{rows}x{cols}",
            },
            now=now,
        )
    return freezer
