"""Bedside state changes: reserve a course's aliquots, issue, thaw, refuse a scan, administer.

Each runs in one transaction and writes its audit event there; units move only through
``lab.actions.units.change_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from autologic.accounts.models import User
from autologic.accounts.roles import CLINICIANS, Role
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning
from autologic.audit.journal import audited_transaction
from autologic.care import actions as care
from autologic.care.models import Appointment, Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.domain.identifiers import Identifier
from autologic.common.locks import for_update
from autologic.injections import queries
from autologic.injections.choices import REACTIONS
from autologic.injections.domain import bedside, cold_chain, procedure
from autologic.injections.domain.coverage import Allocation
from autologic.injections.models import Administration, Reservation
from autologic.lab.actions.storage import check_in, check_out
from autologic.lab.actions.units import change_state, locked
from autologic.lab.domain.states import Move, State
from autologic.lab.models import Box, Chain, StorageEvent, Unit

REACTION_CODES = {code for code, _label in REACTIONS}


class BedsideStop(ValidationFailed):
    """A hard stop at the bedside: the product belongs to another patient."""


def reserve_for_course(course: Course, *, by: User | None, now: datetime) -> Allocation:
    """Reserve released units for the course's remaining sessions (FEFO), one per region each;
    end reservations that no longer fit.  Returns what changed and what stays uncovered."""
    with audited_transaction():
        course = for_update(Course.objects).get(pk=course.pk)
        if not Chain.objects.filter(course=course).exists():
            return Allocation()
        # Lock the course's units in a fixed order so two reservers never deadlock.
        units = {
            u.pk: u
            for u in for_update(Unit.objects)
            .filter(chain__course=course, parent__isnull=False)
            .order_by("pk")
        }
        plan = queries.plan_for(course, now)
        active = {
            r.unit_id: r
            for r in for_update(Reservation.objects).filter(
                unit_id__in=list(units), ended_at__isnull=True
            )
        }
        for unit_id in plan.drop:
            unit = units[unit_id]
            reservation = active.get(unit_id)
            if reservation is not None:
                reservation.ended_at = now
                reservation.ended_why = (
                    "replanned" if unit.status == State.RESERVED.value else "unusable"
                )
                reservation.save(update_fields=["ended_at", "ended_why"])
            if unit.status == State.RESERVED.value:
                change_state(
                    unit,
                    Move.UNRESERVE,
                    by=by,
                    now=now,
                    detail={"why": "re-planned"},
                    fields={"reserved_for": None},
                )
        appointments = {
            a.pk: a for a in Appointment.objects.filter(course=course, kind="injection")
        }
        for (appointment_id, region_id), unit_id in sorted(plan.reserve.items()):
            unit = units[unit_id]
            appointment = appointments[appointment_id]
            change_state(
                unit,
                Move.RESERVE,
                by=by,
                now=now,
                patient=course.patient_id,
                detail={"session": appointment.key, "region_id": region_id},
                fields={"reserved_for_id": appointment_id},
            )
            Reservation.objects.create(
                site_id=course.site_id,
                unit=unit,
                appointment_id=appointment_id,
                region_id=region_id,
                patient_id=course.patient_id,
                reserved_at=now,
                reserved_by=by,
            )
        if plan.reserve or plan.drop or plan.warnings:
            record_event(
                actor=by,
                site=course.site,
                action="course.reserve",
                object_type="patient",
                object_id=course.patient_id,
                changes={
                    "course_id": course.pk,
                    "reserved": len(plan.reserve),
                    "released": len(plan.drop),
                    "uncovered": len(plan.uncovered),
                    "warnings": [w.code for w in plan.warnings],
                },
                now=now,
            )
    return plan


def _session_unit(unit_id: int, appointment: Appointment, expected_version: int | None) -> Unit:
    unit = locked(unit_id, expected_version)
    if not Reservation.objects.filter(
        unit=unit, appointment=appointment, ended_at__isnull=True
    ).exists():
        raise ValidationFailed(
            "not_reserved",
            f"Unit {unit.identifier} is not reserved for this session.",
            "unit",
        )
    return unit


def issue(
    appointment: Appointment,
    unit_id: int,
    *,
    by: User,
    now: datetime,
    expected_version: int | None = None,
) -> Unit:
    """Hand a reserved unit out for its session: out of its freezer position, state issued."""
    with audited_transaction():
        unit = _session_unit(unit_id, appointment, expected_version)
        change_state(unit, Move.ISSUE, by=by, now=now, detail={"session": appointment.key})
        check_out(unit, by=by, now=now)
    return unit


def thaw(
    appointment: Appointment,
    unit_id: int,
    *,
    by: User,
    now: datetime,
    expected_version: int | None = None,
) -> Unit:
    """Start thawing an issued frozen unit; the protocol's thaw-to-injection timer starts."""
    window = queries.thaw_window(appointment.course.protocol_id)
    with audited_transaction():
        unit = _session_unit(unit_id, appointment, expected_version)
        _refuse(cold_chain.thaw_refusal, unit, appointment, now)
        change_state(
            unit,
            Move.THAW,
            by=by,
            now=now,
            detail={"session": appointment.key, "window_min": window},
            fields={"thawed_at": now},
        )
    return unit


def _refuse(
    rule: Callable[[cold_chain.OutOfFreezer, datetime], bedside.Finding | None],
    unit: Unit,
    appointment: Appointment,
    now: datetime,
) -> None:
    """Apply a cold-chain rule to an issued unit; raise its finding."""
    out = queries.out_of_freezer(unit, appointment.course.protocol_id)
    refusal = rule(out, now) if out is not None else None
    if refusal is not None:
        raise ValidationFailed(refusal.code, refusal.message, refusal.field)


def return_to_stock(
    appointment: Appointment,
    unit_id: int,
    *,
    by: User,
    now: datetime,
    expected_version: int | None = None,
) -> Unit:
    """Take an issued unit that was not used back to stock: a frozen one into its freezer, only
    within the protocol's time out of the freezer.  It stays reserved for its session."""
    with audited_transaction():
        box = _return_box(unit_id)  # the box is locked before the unit (docs/architecture.md)
        unit = _session_unit(unit_id, appointment, expected_version)
        _refuse(cold_chain.return_refusal, unit, appointment, now)
        change_state(unit, Move.RETURN, by=by, now=now, detail={"session": appointment.key})
        if unit.frozen:
            if box is None:
                raise ValidationFailed(
                    "no_box", f"No freezer box has room for unit {unit.identifier}.", "unit"
                )
            check_in([unit], box, by=by, now=now)
        unit.refresh_from_db()
    return unit


def _return_box(unit_id: int) -> Box | None:
    """The box an issued frozen unit came from, or another box of that freezer with room;
    locked."""
    out = (
        StorageEvent.objects.filter(unit_id=unit_id, direction="out")
        .select_related("box")
        .order_by("-at", "-pk")
        .first()
    )
    if out is None:
        return None
    boxes = [out.box, *Box.objects.filter(rack__freezer_id=out.freezer_id).order_by("pk")]
    for box in boxes:
        if Unit.objects.filter(box=box).count() < box.rows * box.cols:
            return for_update(Box.objects).get(pk=box.pk)
    return None


def record_refusal(
    appointment: Appointment,
    verdict: bedside.Verdict,
    *,
    wristband: str,
    unit_scan: str,
    by: User,
    now: datetime,
) -> None:
    """Put a hard stop on the record, in its own transaction: it must outlive any rollback."""
    with audited_transaction():
        record_event(
            actor=by,
            site=by.site,
            action="bedside.refused",
            object_type="patient",
            object_id=appointment.course.patient_id,
            changes={
                "session": appointment.key,
                "course_id": appointment.course_id,
                "wristband": wristband.strip()[:40],
                "unit": unit_scan.strip()[:40],
                "unit_patient": verdict.unit.mrn if verdict.unit else None,
                "findings": [f.code for f in verdict.findings],
                "message": verdict.message,
            },
            now=now,
        )


@dataclass(frozen=True)
class Given:
    """What the operator records about the injection."""

    wristband: str
    unit_scan: str
    region: str
    side: str
    guidance: str
    volume_ml: Decimal | None
    reactions: tuple[str, ...]
    reaction_notes: str = ""
    override_reason: str = ""
    level: str = ""  # the spinal level given (spine regions)
    route: str = ""  # the route given; empty: the protocol's
    timing_reason: str = ""  # why it is given outside the protocol's window
    approach: str = ""
    anaesthetic: str = ""  # "none": none given; empty: not recorded (refused when required)
    anaesthetic_dose_mg: Decimal | None = None


def administer(
    appointment: Appointment,
    given: Given,
    *,
    operator: SignerProof,
    verifier: SignerProof,
    now: datetime,
) -> Administration:
    """Re-check the scans under lock, then record the injection signed by two people."""
    _two_people(operator, verifier)
    _reactions(given)
    stop: bedside.Verdict | None = None
    try:
        with audited_transaction():
            record, moved = _administer(appointment, given, operator, verifier, now)
    except BedsideStop as refused:
        stop = refused.data["verdict"]
        raise
    finally:
        if stop is not None:
            record_refusal(
                appointment,
                stop,
                wristband=given.wristband,
                unit_scan=given.unit_scan,
                by=operator.user,
                now=now,
            )
    if moved:
        # Given on another day than planned: the rest of the course counts from today.  In a
        # transaction of its own, since re-planning locks the clinic and the course first.
        care.reanchor_course(
            record.appointment.course, key=record.appointment.key, by=operator.user, now=now
        )
    return record


def _two_people(operator: SignerProof, verifier: SignerProof) -> None:
    if operator.user.pk == verifier.user.pk:
        raise ValidationFailed(
            "same_person", "The second verifier must be another person.", "verifier"
        )
    for proof, name in ((operator, "operator"), (verifier, "verifier")):
        if proof.user.role not in CLINICIANS:
            raise ValidationFailed(
                "not_clinician",
                f"{proof.user.printed_name} is not a physician or nurse.",
                name,
            )


def _override_signers(operator: SignerProof, verifier: SignerProof) -> None:
    """An override of the planned site is signed by a physician, as operator or verifier."""
    if Role.PHYSICIAN not in {operator.user.role, verifier.user.role}:
        raise ValidationFailed(
            "override_needs_physician",
            "Giving it at another region, side or level needs a physician as one of the two "
            "signers; neither signer is a physician.",
            "verifier",
        )


def _reactions(given: Given) -> None:
    unknown = set(given.reactions) - REACTION_CODES
    if unknown:
        raise ValidationFailed("reactions", "Choose reactions from the list.", "reactions")
    if not given.reactions:
        raise ValidationFailed("reactions", "Record immediate reactions, or 'None'.", "reactions")
    if "none" in given.reactions and len(given.reactions) > 1:
        raise ValidationFailed("reactions", "'None' cannot go with a reaction.", "reactions")
    if "other" in given.reactions and not given.reaction_notes.strip():
        raise ValidationFailed("reaction_notes", "Describe the other reaction.", "reaction_notes")
    if given.volume_ml is not None and given.volume_ml <= 0:
        raise ValidationFailed("volume_ml", "The volume must be more than 0 mL.", "volume_ml")


def _administer(
    appointment: Appointment,
    given: Given,
    operator: SignerProof,
    verifier: SignerProof,
    now: datetime,
) -> tuple[Administration, bool]:
    appointment = (
        for_update(Appointment.objects)
        .select_related("course__patient", "course__site")
        .get(pk=appointment.pk)
    )
    course = appointment.course
    identifier = bedside.read_unit(given.unit_scan)
    unit = None
    if isinstance(identifier, Identifier):
        row = (
            for_update(Unit.objects)
            .filter(site_id=course.site_id, identifier=identifier.data)
            .first()
        )
        unit = row
    session = queries.session_of(appointment)
    facts = queries.scanned(course.site_id, unit.identifier) if unit else None
    verdict = bedside.check(
        session,
        wristband=given.wristband,
        band=queries.band(course.site_id, given.wristband),
        identifier=identifier,
        unit=facts,
        region=given.region,
        side=given.side,
        now=now,
        level=given.level,
        route=given.route,
        timing=queries.timing_of(appointment, now),
    )
    first = verdict.findings[0] if verdict.findings else None
    if verdict.outcome == bedside.STOP:  # first: a wrong-patient attempt is always on record
        assert first is not None
        raise BedsideStop(first.code, verdict.message, first.field, {"verdict": verdict})
    if appointment.kind != "injection" or appointment.status not in queries.OPEN_SESSION:
        raise ConflictError(
            "session_closed", f"This session is {appointment.status}; nothing can be given."
        )
    if verdict.outcome == bedside.FAIL:
        assert first is not None
        raise ValidationFailed(first.code, verdict.message, first.field)
    assert unit is not None and facts is not None and facts.planned is not None
    override = verdict.outcome == bedside.OVERRIDE
    if override and not given.override_reason.strip():
        raise ValidationFailed(
            "override_reason",
            f"{verdict.message} Giving it elsewhere needs a reason and your signature.",
            "override_reason",
        )
    if override:
        _override_signers(operator, verifier)
    timing_reason = given.timing_reason.strip() if verdict.needs_timing_reason else ""
    if verdict.needs_timing_reason and not timing_reason:
        raise ValidationFailed(
            "timing_reason",
            " ".join(f.message for f in verdict.timing),
            "timing_reason",
        )
    route = given.route or session.route
    _procedure(given, course, route)
    level = bedside.spinal_level(given.level) if given.level.strip() else ""
    content = {
        "unit": unit.identifier,
        "patient": course.patient.mrn,
        "session": appointment.key,
        "region": given.region,
        "side": given.side,
        "level": level,
        "route": route,
        "planned": [facts.planned.region, facts.planned.side],
        "override": given.override_reason.strip(),
        "timing": timing_reason,
        "guidance": given.guidance,
        "approach": given.approach,
        "anaesthetic": given.anaesthetic,
        "anaesthetic_dose_mg": _decimal(given.anaesthetic_dose_mg),
        "volume_ml": _decimal(given.volume_ml),
    }
    signatures = [
        apply_signature(
            operator,
            meaning=SignatureMeaning.ADMINISTERED,
            object_type="unit",
            object_id=unit.identifier,
            content=content,
            now=now,
        ),
        apply_signature(
            verifier,
            meaning=SignatureMeaning.VERIFIED,
            object_type="unit",
            object_id=unit.identifier,
            content=content,
            now=now,
        ),
    ]
    change_state(
        unit,
        Move.ADMINISTER,
        by=operator.user,
        now=now,
        patient=session.patient_id,
        thaw_window_min=facts.thaw_window_min,
        detail={
            "session": appointment.key,
            "region": given.region,
            "side": given.side,
            "verifier": verifier.user.printed_name,
            "signatures": signatures,
            **({"override": given.override_reason.strip()} if override else {}),
        },
        fields={"reserved_for": None},
    )
    Reservation.objects.filter(unit=unit, ended_at__isnull=True).update(
        ended_at=now, ended_why="administered"
    )
    record = Administration.objects.create(
        site_id=course.site_id,
        unit=unit,
        patient_id=course.patient_id,
        appointment=appointment,
        planned_region_id=facts.planned.region_id,
        region=given.region,
        side=given.side,
        level=level,
        route=route,
        override_reason=given.override_reason.strip() if override else "",
        timing_reason=timing_reason,
        guidance=given.guidance,
        approach=given.approach,
        anaesthetic=given.anaesthetic,
        anaesthetic_dose_mg=given.anaesthetic_dose_mg,
        volume_ml=given.volume_ml,
        operator=operator.user,
        second_verifier=verifier.user,
        signatures=signatures,
        reactions=list(given.reactions),
        reaction_notes=given.reaction_notes.strip(),
        wristband_scan=given.wristband.strip()[:40],
        unit_scan=given.unit_scan.strip()[:40],
        given_at=now,
        recorded_at=now,
    )
    record_event(
        actor=operator.user,
        site=course.site,
        action="injection.override" if override else "injection.given",
        object_type="patient",
        object_id=course.patient_id,
        changes={
            "unit": unit.identifier,
            "session": appointment.key,
            "region": [given.region, given.side],
            "planned": [facts.planned.region, facts.planned.side],
            "reactions": list(given.reactions),
            **({"level": level} if level else {}),
            "guidance": given.guidance,
            "approach": given.approach,
            "anaesthetic": given.anaesthetic,
            **(
                {"anaesthetic_dose_mg": _decimal(given.anaesthetic_dose_mg)}
                if given.anaesthetic_dose_mg is not None
                else {}
            ),
            **({"override": given.override_reason.strip()} if override else {}),
            **({"timing": [f.code for f in verdict.timing]} if verdict.timing else {}),
            **({"timing_reason": timing_reason} if timing_reason else {}),
        },
        now=now,
    )
    moved = _close_session(appointment, course, operator.user, now)
    return record, moved


def _procedure(given: Given, course: Course, route: str) -> None:
    """The procedure record (anaesthetic, dose, approach) as the protocol needs it."""
    found = procedure.problems(
        anaesthesia=queries.anaesthesia_of(course.protocol_id),
        route=route,
        anaesthetic=given.anaesthetic,
        dose_mg=given.anaesthetic_dose_mg,
        approach=given.approach,
    )
    if found:
        first = found[0]
        raise ValidationFailed(first.code, first.message, first.field, first.data)


def _decimal(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _close_session(appointment: Appointment, course: Course, by: User, now: datetime) -> bool:
    """A session is done once every region planned for it has been given; True when it was
    given on another day than planned (the rest of the course is then re-anchored)."""
    given = Administration.objects.filter(appointment=appointment)
    if given.count() < course.regions.count():
        return False
    first = given.order_by("given_at").values_list("given_at", flat=True).first()
    assert first is not None
    return care.complete_appointment(appointment, at=first, by=by, now=now)
