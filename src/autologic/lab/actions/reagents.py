"""Reagent and kit lots: record which manufacturer's lot a collection or a step used, so a
recall can start from a lot found faulty (a glass-bead syringe kit, a culture medium)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from autologic.accounts.models import User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab import choices
from autologic.lab.models import Collection, ReagentLot, ReagentUse, StepRecord

KINDS = {code for code, _label in choices.REAGENT_KINDS}


@dataclass(frozen=True)
class Used:
    """A reagent or kit lot as the technician reads it from the package."""

    kind: str
    name: str
    lot_number: str
    manufacturer: str = ""
    expires_on: date | None = None


def record_reagent_use(
    collection: Collection,
    used: Used,
    *,
    step: StepRecord | None = None,
    by: User,
    now: datetime,
) -> ReagentUse:
    """Record that a collection (or one of its steps) used a reagent or kit lot; an expired
    lot is refused, and the same lot is recorded once per collection or step."""
    name, number = used.name.strip(), used.lot_number.strip().upper()
    if used.kind not in KINDS:
        raise ValidationFailed("kind", "Choose a kit or a reagent.", "kind")
    if not name:
        raise ValidationFailed("name", "Name the product.", "name")
    if not number:
        raise ValidationFailed("lot_number", "Type the lot number from the package.", "lot_number")
    if used.expires_on is not None and used.expires_on < collection.collected_at.date():
        raise ValidationFailed(
            "reagent_expired",
            f"Lot {number} expired on {used.expires_on:%Y-%m-%d}, before the collection.",
            "expires_on",
        )
    with audited_transaction():
        lot = for_update(Collection.objects).select_related("site").get(pk=collection.pk)
        if step is not None and step.run.collection_id != lot.pk:
            raise ValidationFailed("step", "That step belongs to another lot.", "step")
        reagent, created = ReagentLot.objects.get_or_create(
            site=lot.site,
            kind=used.kind,
            name=name,
            lot_number=number,
            defaults={
                "manufacturer": used.manufacturer.strip(),
                "expires_on": used.expires_on,
                "created_at": now,
            },
        )
        if ReagentUse.objects.filter(reagent_lot=reagent, collection=lot, step=step).exists():
            raise ConflictError(
                "reagent_recorded", f"{reagent} is already recorded for this lot.", "lot_number"
            )
        use = ReagentUse.objects.create(
            reagent_lot=reagent, collection=lot, step=step, recorded_by=by, recorded_at=now
        )
        record_event(
            actor=by,
            site=lot.site,
            action="reagent.use",
            object_type="collection",
            object_id=lot.pk,
            changes={
                "kind": used.kind,
                "product": name,
                "lot_number": number,
                "step": step.key if step is not None else None,
                "new_lot": created,
            },
            now=now,
        )
    return use
