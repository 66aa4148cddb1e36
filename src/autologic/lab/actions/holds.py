"""QA holds: put a unit, a lot, a chain of identity or a recall's units on hold, and lift a hold
with a signed QA disposition.

Placing a hold quarantines what is still usable and names every open unit it covers; the bedside
hears ``units_held`` and ends their reservations, so a held unit can be neither issued nor
given.  While the hold stands, ``change_state`` refuses to release any unit it covers (a lot's
release, an excursion review).  Lifting it returns to use what the hold took out of use, or
disposes of every open unit it covers, witnessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from autologic.accounts.models import User
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning
from autologic.audit.journal import audited_transaction
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab.actions.release import dispose
from autologic.lab.actions.units import change_state, locked
from autologic.lab.domain.holds import (
    DECISIONS,
    Disposing,
    HeldFacts,
    is_open,
    moves_to_quarantine,
    why_kept,
)
from autologic.lab.domain.states import Move
from autologic.lab.models import Chain, Collection, HeldUnit, Hold, Unit
from autologic.lab.queries import held_unit_ids
from autologic.lab.signals import units_held, units_released


@dataclass(frozen=True)
class Target:
    """What a hold covers: one unit (and what was divided from it), a lot, a chain, or a list
    of units (a recall across lots)."""

    scope: str
    unit: Unit | None = None
    collection: Collection | None = None
    chain: Chain | None = None
    units: tuple[int, ...] = ()

    @property
    def site_id(self) -> int:
        """The clinic of the held product."""
        found = self.unit or self.collection or self.chain
        if found is not None:
            return found.site_id
        return Unit.objects.values_list("site_id", flat=True).get(pk=self.units[0])

    def describe(self) -> tuple[str, object]:
        """The audit trail's object type and id for the target."""
        if self.unit is not None:
            return "unit", self.unit.identifier
        if self.collection is not None:
            return "collection", self.collection.pk
        if self.chain is not None:
            return "chain", self.chain.identifier
        return "units", len(self.units)


def units_in(target: Target) -> QuerySet[Unit]:
    """Every unit the target covers today."""
    if target.scope == "unit" and target.unit is not None:
        ids = {target.unit.pk}
        frontier = ids
        while frontier:  # a unit's divisions, and theirs
            frontier = (
                set(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
            )
            ids |= frontier
        return Unit.objects.filter(pk__in=ids)
    if target.scope == "lot" and target.collection is not None:
        return Unit.objects.filter(collection=target.collection)
    if target.scope == "chain" and target.chain is not None:
        return Unit.objects.filter(chain=target.chain)
    if target.scope == "units" and target.units:
        return Unit.objects.filter(pk__in=target.units)
    raise ValidationFailed("hold_target", "Say what to hold: a unit, a lot or a chain.", "scope")


def _covered(hold: Hold) -> QuerySet[Unit]:
    """The units a hold covers now: those it names, and its lot's or chain's."""
    where = Q(holds__hold=hold)
    if hold.scope == "lot":
        where |= Q(collection_id=hold.collection_id)
    elif hold.scope == "chain":
        where |= Q(chain_id=hold.chain_id)
    return Unit.objects.filter(where).distinct()


def _lock_courses(unit_ids: list[int]) -> list[Course]:
    """Lock the courses of these units first (docs/architecture.md): re-reserving follows."""
    course_ids = sorted(
        set(Unit.objects.filter(pk__in=unit_ids).values_list("chain__course_id", flat=True))
    )
    return list(for_update(Course.objects).filter(pk__in=course_ids).order_by("pk"))


def place_hold(
    target: Target, *, reason: str, by: User, now: datetime, source: str = "manual"
) -> Hold:
    """Put a unit, a lot, a chain or a recall's units on QA hold, with a reason.

    Usable units are quarantined at once and lose their reservations; every open unit is named.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason_required", "Say why the product is held.", "reason")
    with audited_transaction():
        ids = sorted(units_in(target).values_list("pk", flat=True))
        courses = _lock_courses(ids)
        if target.collection is not None:
            for_update(Collection.objects).get(pk=target.collection.pk)
        _refuse_twice(target)
        units = [locked(pk) for pk in ids]
        open_units = [u for u in units if is_open(u.status)]
        if target.scope in ("unit", "units") and not open_units:
            raise ValidationFailed(
                "nothing_to_hold",
                "Nothing is left to hold: every unit was given, discarded or has expired.",
                "scope",
            )
        hold = Hold.objects.create(
            site_id=target.site_id,
            scope=target.scope,
            unit=target.unit,
            collection=target.collection,
            chain=target.chain,
            source=source,
            reason=reason,
            placed_by=by,
            placed_at=now,
        )
        moved = []
        for unit in open_units:
            HeldUnit.objects.create(hold=hold, unit=unit, status_before=unit.status)
            if moves_to_quarantine(unit.status):
                change_state(
                    unit,
                    Move.QUARANTINE,
                    by=by,
                    now=now,
                    reason=f"QA hold {hold.pk}: {reason}"[:300],
                    detail={"hold": hold.pk},
                    fields={"reserved_for": None},
                )
                moved.append(unit.identifier)
        object_type, object_id = target.describe()
        record_event(
            actor=by,
            site=hold.site,
            action="hold.place",
            object_type=object_type,
            object_id=object_id,
            changes={
                "hold": hold.pk,
                "scope": target.scope,
                "source": source,
                "reason": reason,
                "quarantined": moved,
                "covered": [u.identifier for u in open_units],
            },
            now=now,
        )
        for course in courses:
            units_held.send(sender=Hold, course=course, by=by, now=now)
    return hold


def standing_hold(target: Target) -> Hold | None:
    """The active hold already placed on the same unit, lot or chain, if any."""
    if target.scope == "units":
        return None
    return Hold.objects.filter(
        lifted_at__isnull=True,
        scope=target.scope,
        unit=target.unit,
        collection=target.collection,
        chain=target.chain,
    ).first()


def _refuse_twice(target: Target) -> None:
    """One active hold per unit, lot or chain: a second would need lifting twice."""
    same = standing_hold(target)
    if same is not None:
        raise ConflictError(
            "already_held",
            f"This is already on QA hold (hold {same.pk}, placed {same.placed_at:%Y-%m-%d}).",
            "scope",
            {"hold": same.pk},
        )


@dataclass(frozen=True)
class Lifted:
    """What lifting a hold did to each unit it covered."""

    hold: Hold
    returned: list[str]
    kept: dict[str, str]  # identifier -> why it stays out of use
    disposed: list[str]


def lift_hold(
    hold: Hold,
    *,
    decision: str,
    justification: str,
    proof: SignerProof,
    now: datetime,
    disposing: Disposing | None = None,
    witness: SignerProof | None = None,
) -> Lifted:
    """Lift a hold with QA's signed disposition: return the units to use, or dispose of them."""
    if decision not in DECISIONS:
        raise ValidationFailed(
            "decision", "Return the units to use or dispose of them.", "decision"
        )
    if not justification.strip():
        raise ValidationFailed(
            "justification", "Give the reason for the decision.", "justification"
        )
    if decision == "discarded" and (disposing is None or witness is None):
        raise ValidationFailed(
            "witness", "Disposing of the units needs the method and a witness.", "witness"
        )
    with audited_transaction():
        ids = sorted(_covered(hold).values_list("pk", flat=True))
        courses = _lock_courses(ids)
        row = for_update(Hold.objects).select_related("site").get(pk=hold.pk)
        if row.lifted_at is not None:
            raise ConflictError(
                "hold_lifted", f"This hold was already lifted ({row.get_decision_display()})."
            )
        units = [locked(pk) for pk in ids]
        signature = apply_signature(
            proof,
            meaning=SignatureMeaning.RELEASED
            if decision == "released"
            else SignatureMeaning.REVIEWED,
            object_type="hold",
            object_id=row.pk,
            content={
                "hold": row.pk,
                "decision": decision,
                "why": justification.strip(),
                "units": [u.identifier for u in units],
            },
            now=now,
        )
        row.decision, row.justification = decision, justification.strip()
        row.lifted_by, row.lifted_at, row.signature = proof.user, now, signature
        row.save()
        if decision == "released":
            result = _return_to_use(row, units, signature, proof.user, now)
        else:
            assert disposing is not None and witness is not None
            disposed = []
            for unit in units:
                if is_open(unit.status):
                    dispose(unit, disposing, witness=witness, by=proof.user, now=now)
                    disposed.append(unit.identifier)
            result = Lifted(row, [], {}, disposed)
        record_event(
            actor=proof.user,
            site=row.site,
            action="hold.lift",
            object_type="hold",
            object_id=row.pk,
            changes={
                "decision": decision,
                "why": row.justification,
                "returned": result.returned,
                "kept": result.kept,
                "disposed": result.disposed,
                "signature": signature,
            },
            now=now,
        )
        returned = set(result.returned)
        for course in courses:
            if any(u.identifier in returned and u.chain.course_id == course.pk for u in units):
                units_released.send(sender=Hold, course=course, by=proof.user, now=now)
    return result


def _return_to_use(
    hold: Hold, units: list[Unit], signature: dict[str, object], by: User, now: datetime
) -> Lifted:
    before = dict(HeldUnit.objects.filter(hold=hold).values_list("unit_id", "status_before"))
    elsewhere = held_unit_ids([(u.pk, u.collection_id, u.chain_id) for u in units], besides=hold.pk)
    returned: list[str] = []
    kept: dict[str, str] = {}
    for unit in units:
        why = why_kept(
            HeldFacts(
                state=unit.status,
                status_before=before.get(unit.pk),
                thawed=unit.thawed_at is not None,
                held_elsewhere=unit.pk in elsewhere,
            )
        )
        if why is None:
            change_state(
                unit,
                Move.RELEASE,
                by=by,
                now=now,
                detail={"hold": hold.pk, "lifted": hold.justification, "signature": signature},
                fields={"reserved_for": None},
            )
            returned.append(unit.identifier)
        elif why != "not_quarantined":
            kept[unit.identifier] = why
    return Lifted(hold, returned, kept, [])
