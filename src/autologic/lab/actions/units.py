"""Identifiers, chains of identity, and ``change_state``: the only code that moves a unit."""

from __future__ import annotations

import secrets
import string
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import IntegrityError

from autologic.accounts.models import Site, User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, DomainError
from autologic.common.domain.identifiers import (
    Identifier,
    donation_of,
    make_coi,
    make_din,
    make_unit,
    parse,
)
from autologic.common.locks import for_update
from autologic.lab.domain.states import Move, Refused, State, UnitFacts, move
from autologic.lab.models import Chain, Counter, Unit, UnitEvent
from autologic.lab.queries import holds_covering

_SERIAL = string.ascii_uppercase + string.digits


class UnitRefused(DomainError):
    """A guard refused a unit's state change; the message says why."""


def next_din(site: Site, now: datetime) -> Identifier:
    """Take the next donation-style identifier of the site's facility for this year."""
    facility = site.facility_code
    counter, _created = for_update(Counter.objects).get_or_create(facility=facility, year=now.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return make_din(facility, now.year, counter.last)


def open_chain(course: Course, *, by: User, now: datetime) -> Chain:
    """Return the course's chain of identity, giving it a CoI identifier the first time."""
    existing = Chain.objects.filter(course=course).first()
    if existing is not None:
        return existing
    # A random serial keeps the identifier pseudonymous: it tells nothing about the patient
    # or how many courses the clinic runs.
    for _attempt in range(8):
        serial = "".join(secrets.choice(_SERIAL) for _ in range(6))
        identifier = make_coi(course.site.facility_code, now.year, serial)
        try:
            with audited_transaction():
                chain = Chain.objects.create(
                    site=course.site,
                    course=course,
                    patient_id=course.patient_id,
                    identifier=identifier.data,
                    created_at=now,
                )
        except IntegrityError:
            continue
        record_event(
            actor=by,
            site=course.site,
            action="chain.open",
            object_type="chain",
            object_id=chain.identifier,
            changes={"course_id": course.pk, "patient_id": course.patient_id},
            now=now,
        )
        return chain
    raise ConflictError("chain_identifier", "Could not assign a unique chain identifier.")


def facts(unit: Unit, *, thaw_window_min: int | None = None) -> UnitFacts:
    """The guard's view of a unit."""
    return UnitFacts(
        state=State(unit.status),
        source_patient=unit.patient_id,
        frozen=unit.frozen,
        expires_at=unit.expires_at,
        thawed_at=unit.thawed_at,
        thaw_window_min=thaw_window_min,
    )


def locked(unit_id: int, expected_version: int | None = None) -> Unit:
    """Lock a unit row for a state change; refuse when a page was out of date."""
    unit = for_update(Unit.objects).select_related("chain").get(pk=unit_id)
    if expected_version is not None and unit.version != expected_version:
        raise ConflictError(
            "unit_changed",
            f"Unit {unit.identifier} changed meanwhile (now {unit.status}); reload and try again.",
        )
    return unit


def change_state(
    unit: Unit,
    step: Move,
    *,
    by: User | None,
    now: datetime,
    patient: int | None = None,
    reason: str = "",
    thaw_window_min: int | None = None,
    detail: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> Unit:
    """Move a locked unit through the state machine, writing its custody event and audit row.

    ``fields`` are other columns the same move sets (thawed_at, reserved_for...).
    A release is refused while a QA hold covers the unit, whoever asks (lot release, review).
    """
    seen = facts(unit, thaw_window_min=thaw_window_min)
    if step is Move.RELEASE:
        seen = replace(seen, on_hold=holds_covering(unit).exists())
    try:
        target = move(
            seen,
            step,
            now=now,
            patient=patient,
            reason=reason,
        )
    except Refused as refused:
        raise UnitRefused(refused.code, refused.message, refused.field) from None
    before = unit.status
    unit.status = target.value
    unit.status_reason = reason[:300] if reason else ""
    unit.version += 1
    for name, value in (fields or {}).items():
        setattr(unit, name, value)
    unit.save()
    extra = {**(detail or {}), **({"reason": reason} if reason else {})}
    record_event(
        actor=by,
        site=unit.site,
        action=f"unit.{step.value}",
        object_type="unit",
        object_id=unit.identifier,
        changes={"status": [before, target.value], **extra},
        now=now,
        then=lambda event: UnitEvent.objects.create(
            unit=unit,
            at=now,
            by=by,
            move=step.value,
            from_status=before,
            to_status=target.value,
            detail=extra,
            audit_seq=event.seq,
        ),
    )
    return unit


def unit_identifier(
    site: Site, parent: Unit | None, division: str, made_at: datetime
) -> Identifier:
    """A new unit's identifier: the collection's one DIN and the unit's division code.

    The specimen (no parent) takes the next DIN of the facility; every unit divided from it
    carries the same DIN, also when the specimen was collected before divisions existed.
    """
    if parent is None:
        return make_unit(next_din(site, made_at), division)
    return make_unit(donation_of(parse(parent.identifier + parent.flags)), division)


def create_unit(
    *,
    chain: Chain,
    collection_id: int,
    parent: Unit | None,
    division: str,
    kind: str,
    product_code: str,
    status: State,
    made_at: datetime,
    by: User,
    fields: dict[str, Any],
) -> Unit:
    """Create a unit with its identifier (DIN + division), and its first custody event."""
    identifier = unit_identifier(chain.site, parent, division, made_at)
    unit = Unit.objects.create(
        site=chain.site,
        chain=chain,
        collection_id=collection_id,
        patient_id=chain.patient_id,
        parent=parent,
        identifier=identifier.data,
        flags=identifier.flags,
        kind=kind,
        product_code=product_code,
        status=status.value,
        made_at=made_at,
        **fields,
    )
    detail = {"parent": parent.identifier if parent else None, "chain": chain.identifier}
    record_event(
        actor=by,
        site=chain.site,
        action="unit.create",
        object_type="unit",
        object_id=unit.identifier,
        changes={"status": [None, status.value], "kind": kind, **detail},
        now=made_at,
        then=lambda event: UnitEvent.objects.create(
            unit=unit,
            at=made_at,
            by=by,
            move="create",
            from_status="",
            to_status=status.value,
            detail=detail,
            audit_seq=event.seq,
        ),
    )
    return unit
