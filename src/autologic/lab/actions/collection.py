"""Collection and processing: the specimen, the protocol's steps, and dividing into units."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from autologic.accounts.models import User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.care import actions as care
from autologic.care.models import Appointment, Course
from autologic.clinical import queries as clinical_queries
from autologic.clinical.domain.markers import SEVERITY, MarkerStatus
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.domain.identifiers import SPECIMEN_DIVISION, division_code
from autologic.common.locks import for_update
from autologic.lab.actions.units import change_state, create_unit, locked, open_chain
from autologic.lab.domain.collection import (
    Harvest,
    HarvestNeeds,
    Problem,
    entry_problems,
    harvest_problems,
)
from autologic.lab.domain.processing import (
    Finding,
    Recorded,
    StepValues,
    check_step,
    missing_values,
    passage_refusal,
    unfinished,
)
from autologic.lab.domain.states import Move, State
from autologic.lab.models import Collection, Deviation, Run, StepRecord, Unit
from autologic.protocols.domain.schema import Protocol, Step

OPEN_COURSE = ("scheduled", "attention", "waiting")
SPECIMEN_CODES = {
    "blood_draw": "SPEC-BLOOD",
    "marrow_aspirate": "SPEC-MARROW",
    "lipoaspirate": "SPEC-FAT",
}


def harvest_needs(protocol: Protocol) -> HarvestNeeds:
    """What the protocol asks of the harvest record: fasting before collection, the anaesthesia
    of the collection, and its recovery time."""
    fasting = protocol.preparation.fasting
    return HarvestNeeds(
        fasting_h=fasting.hours if fasting and "collection" in fasting.before else None,
        anaesthesia=protocol.collection.anaesthesia,
        recovery_min=protocol.collection.recovery_min,
    )


def collection_problems(
    course: Course,
    *,
    collected_at: datetime | None,
    volume_ml: Decimal | None,
    containers: int | None,
    now: datetime,
    harvest: Harvest | None = None,
) -> list[Problem]:
    """Every reason a collection cannot be recorded: its fields, its time, the harvest record the
    protocol asks for, and the gate before collection on its day (``clinical.queries.course_gate``,
    the one the page shows)."""
    problems = entry_problems(
        collected_at=collected_at,
        volume_ml=volume_ml,
        containers=containers,
        course_created_at=course.created_at,
        now=now,
    )
    problems.extend(
        harvest_problems(
            harvest_needs(course.plan),
            harvest or Harvest(),
            collected_at=collected_at,
            now=now,
        )
    )
    if collected_at is not None:
        zone = ZoneInfo(course.site.time_zone)
        gate = clinical_queries.course_gate(
            course, collected_at.astimezone(zone).date(), now.astimezone(zone).date()
        )
        problems.extend(Problem("", c.code, c.message, c.params) for c in gate.blocked)
    return problems


def record_collection(
    *,
    course: Course,
    collected_at: datetime,
    collected_by: User,
    volume_ml: Decimal,
    containers: int,
    container_type: str,
    notes: str,
    by: User,
    now: datetime,
    harvest: Harvest | None = None,
) -> Collection:
    """Record a specimen taken from the course's patient; it becomes the lineage's root unit.

    Refused, with every problem listed at once, when a field or the time is wrong or the gate
    before collection is not met on the collection day.  The donation's infectious-disease
    status is set from the markers on file.
    """
    protocol = course.plan
    with audited_transaction():
        course = (
            for_update(Course.objects)
            .select_related("site", "protocol", "decision", "patient")
            .get(pk=course.pk)
        )
        if course.status not in OPEN_COURSE:
            raise ConflictError(
                "course_closed", f"This course is {course.status}; nothing can be collected."
            )
        harvest = harvest or Harvest()
        problems = collection_problems(
            course,
            collected_at=collected_at,
            volume_ml=volume_ml,
            containers=containers,
            now=now,
            harvest=harvest,
        )
        if problems:
            raise ValidationFailed(
                "collection_refused",
                "The collection cannot be recorded: "
                + " ".join(problem.message for problem in problems),
                problems[0].field or None,
                {"problems": problems},
            )
        day = collected_at.astimezone(ZoneInfo(course.site.time_zone)).date()
        markers = clinical_queries.course_markers(course, day)
        chain = open_chain(course, by=by, now=now)
        collection = Collection.objects.create(
            site=course.site,
            chain=chain,
            course=course,
            patient_id=course.patient_id,
            protocol=course.protocol,
            kind=protocol.collection.kind,
            collected_at=collected_at,
            collected_by=collected_by,
            volume_ml=volume_ml,
            containers=containers,
            container_type=container_type,
            notes=notes,
            last_intake_at=harvest.last_intake_at,
            anaesthesia=harvest.anaesthesia,
            sedation_agent=harvest.sedation_agent.strip(),
            discharged_at=harvest.discharged_at,
            recorded_by=by,
            recorded_at=now,
            infectious=markers.status,
        )
        record_event(
            actor=by,
            site=course.site,
            action="collection.record",
            object_type="patient",
            object_id=course.patient_id,
            changes={
                "collection_id": collection.pk,
                "chain": chain.identifier,
                "kind": collection.kind,
                "collected_at": collected_at,
                "collected_by": collected_by.printed_name,
                "volume_ml": volume_ml,
                "containers": containers,
                "infectious": markers.status,
                "markers_missing": list(markers.missing),
                "markers_reactive": list(markers.reactive),
                "exceptions": sorted(set(course.gate_exceptions.values_list("gate", flat=True))),
                **{
                    name: value
                    for name, value in asdict(harvest).items()
                    if value not in (None, "")
                },
            },
            now=now,
        )
        create_unit(
            chain=chain,
            collection_id=collection.pk,
            parent=None,
            division=SPECIMEN_DIVISION,
            kind="specimen",
            product_code=SPECIMEN_CODES[collection.kind],
            status=State.COLLECTED,
            made_at=now,
            by=by,
            fields={"volume_ml": volume_ml, "of": containers},
        )
        _mark_collection_done(course, at=collected_at, by=by, now=now)
    return collection


def _mark_collection_done(course: Course, *, at: datetime, by: User, now: datetime) -> None:
    appointment = Appointment.objects.filter(
        course=course, kind="collection", status__in=("planned", "due")
    ).first()
    if appointment is not None:
        care.complete_appointment(appointment, at=at, by=by, now=now)


def specimen(collection: Collection) -> Unit:
    """The root unit of a collection."""
    return collection.units.get(parent__isnull=True)


def refresh_markers(collection: Collection, *, by: User, now: datetime) -> Collection:
    """Re-read the donor's markers for a lot that is not processed yet (a sample taken at the
    collection may be resulted after it).  The status only moves towards *reactive*: untested
    becomes negative or reactive, negative becomes reactive, reactive stays."""
    with audited_transaction():
        lot = for_update(Collection.objects).select_related("course__site").get(pk=collection.pk)
        if Run.objects.filter(collection=lot).exists():
            return lot
        day = lot.collected_at.astimezone(ZoneInfo(lot.course.site.time_zone)).date()
        found = clinical_queries.course_markers(lot.course, day).status
        if found == lot.infectious or not _moves_on(lot.infectious, found):
            return lot
        before, lot.infectious = lot.infectious, found
        lot.save(update_fields=["infectious"])
        record_event(
            actor=by,
            site=lot.site,
            action="collection.infectious",
            object_type="collection",
            object_id=lot.pk,
            changes={"infectious": [before, found]},
            now=now,
        )
    return lot


def _moves_on(before: str, after: str) -> bool:
    if before == "not_evaluated":
        return after in ("negative", "reactive")
    return before == "negative" and after == "reactive"


def start_run(collection: Collection, *, by: User, now: datetime) -> Run:
    """Start processing a collection's specimen, unless the protocol stops processing for a
    reactive or missing infectious-disease marker."""
    collection = refresh_markers(collection, by=by, now=now)
    spec = collection.course.plan.preparation.markers
    day = collection.collected_at.astimezone(ZoneInfo(collection.site.time_zone)).date()
    with audited_transaction():
        status = clinical_queries.course_markers(collection.course, day)
        if SEVERITY[collection.infectious] > SEVERITY[status.status]:
            status = MarkerStatus(collection.infectious, status.missing, status.reactive)
        blocked = status.blocks_processing(spec)
        if blocked:
            markers = ", ".join(
                status.reactive if blocked == "markers_reactive" else status.missing
            )
            raise ValidationFailed(
                blocked,
                "The protocol stops processing: "
                + (
                    f"reactive infectious-disease marker(s) {markers}."
                    if blocked == "markers_reactive"
                    else f"no negative result for {markers}."
                ),
                "markers",
                {"markers": markers},
            )
        root = locked(specimen(collection).pk)
        if Run.objects.filter(collection=collection).exists():
            raise ConflictError("run_started", "Processing of this collection has started.")
        change_state(root, Move.START_PROCESSING, by=by, now=now)
        run = Run.objects.create(collection=collection, started_at=now, started_by=by)
        record_event(
            actor=by,
            site=collection.site,
            action="run.start",
            object_type="collection",
            object_id=collection.pk,
            changes={"unit": root.identifier},
            now=now,
        )
    return run


def protocol_step(protocol: Protocol, key: str) -> Step:
    """The protocol's step with this key, or a refusal naming the field."""
    for step in protocol.processing:
        if step.key == key:
            return step
    raise ValidationFailed("unknown_step", f"The protocol has no step {key!r}.", "key")


def _recorded(run: Run) -> dict[str, list[Recorded]]:
    """The run's step records by step key: passage and whether each has ended."""
    records: dict[str, list[Recorded]] = {}
    for record in run.steps.all():
        records.setdefault(record.key, []).append(
            Recorded(record.passage, record.ended_at is not None)
        )
    return records


def _earlier_steps_done(run: Run, protocol: Protocol, key: str) -> None:
    """Every step before ``key`` is finished (its passage 0 ended); else say what is missing."""
    records = _recorded(run)
    for step in protocol.processing:
        if step.key == key:
            return
        missing = unfinished(step, records.get(step.key, []))
        if missing is not None:
            raise ValidationFailed(
                "step_order",
                f"Finish step {step.key!r} before {key!r} ({missing}); the protocol fixes "
                "the order.",
                "key",
            )


def record_step(
    run: Run,
    *,
    key: str,
    values: StepValues,
    passage: int = 0,
    equipment_id: int | None = None,
    notes: str = "",
    by: User,
    now: datetime,
) -> StepRecord:
    """Record a processing step (or a culture passage); deviations from the window are raised."""
    protocol = run.collection.course.plan
    step = protocol_step(protocol, key)
    _check_values(step, values, now)
    with audited_transaction():
        run = for_update(Run.objects).select_related("collection").get(pk=run.pk)
        _earlier_steps_done(run, protocol, key)
        refusal = passage_refusal(step, passage, _recorded(run).get(key, []))
        if refusal is not None:
            raise ValidationFailed(refusal.code, refusal.message, refusal.field)
        if run.steps.filter(key=key, passage=passage).exists():
            raise ConflictError("step_recorded", f"Step {key} is already recorded.")
        record = StepRecord.objects.create(
            run=run,
            key=key,
            kind=step.kind,
            passage=passage,
            equipment_id=equipment_id,
            by=by,
            notes=notes,
            **_columns(values),
        )
        _settle(run, record, step, values, action="run.step", by=by, now=now)
    return record


def finish_step(record: StepRecord, *, values: StepValues, by: User, now: datetime) -> StepRecord:
    """Finish a running step with its end time and readings; deviations are raised."""
    if values.ended_at is None:
        raise ValidationFailed("step_incomplete", "Enter the end time.", "ended_at")
    with audited_transaction():
        record = for_update(StepRecord.objects).select_related("run__collection").get(pk=record.pk)
        if record.ended_at is not None:
            raise ConflictError("step_recorded", f"Step {record.key} is already finished.")
        run = record.run
        protocol = run.collection.course.plan
        step = protocol_step(protocol, record.key)
        values = StepValues(**{**asdict(values), "started_at": record.started_at})
        _check_values(step, values, now)
        for name, value in _columns(values).items():
            setattr(record, name, value)
        record.save()
        _settle(run, record, step, values, action="run.step_finish", by=by, now=now)
    return record


def _check_values(step: Step, values: StepValues, now: datetime) -> None:
    """Refuse a step record with missing readings or impossible times, naming the field."""
    missing = missing_values(step, values)
    if missing:
        raise ValidationFailed(
            "step_incomplete", f"Enter {', '.join(missing)} for {step.key}.", missing[0]
        )
    if values.ended_at is not None and values.ended_at > now + timedelta(minutes=5):
        raise ValidationFailed("ended_in_future", "The end time is in the future.", "ended_at")
    if values.ended_at is not None and values.ended_at < values.started_at:
        raise ValidationFailed("ends_before_start", "The step ends before it starts.", "ended_at")


def _settle(
    run: Run,
    record: StepRecord,
    step: Step,
    values: StepValues,
    *,
    action: str,
    by: User,
    now: datetime,
) -> None:
    """Raise the step's deviations, close the run when every step is done, and audit."""
    findings = _findings(step, values, record.passage)
    for finding in findings:
        Deviation.objects.create(
            run=run,
            step=record,
            code=finding.code,
            field=finding.field,
            message=finding.message,
            created_at=now,
        )
    protocol = run.collection.course.plan
    if run.finished_at is None and _all_steps(run, protocol):
        run.finished_at = now
        run.save(update_fields=["finished_at"])
    record_event(
        actor=by,
        site=run.collection.site,
        action=action,
        object_type="collection",
        object_id=run.collection_id,
        changes={
            "step": record.key,
            "passage": record.passage,
            **{k: v for k, v in asdict(values).items() if v is not None},
            "deviations": [f.message for f in findings],
        },
        now=now,
    )


def _findings(step: Step, values: StepValues, passage: int) -> list[Finding]:
    """Deviations of a finished step; a culture passage is an interim count, not the window."""
    if values.ended_at is None:
        return []
    found = check_step(step, values)
    return [f for f in found if f.code != "duration"] if passage else found


def _columns(values: StepValues) -> dict[str, Any]:
    def dec(value: float | None) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return {
        "started_at": values.started_at,
        "ended_at": values.ended_at,
        "temperature_c": dec(values.temperature_c),
        "g_force": values.g_force,
        "spin_min": values.spin_min,
        "cell_count_million": dec(values.cell_count_million),
        "viability_pct": dec(values.viability_pct),
    }


def planned_units(course: Course) -> int:
    """Units the course needs: one per region per injection session."""
    return course.injections * course.regions.count()


def divide(
    run: Run,
    *,
    count: int,
    volume_ml: Decimal | None,
    cells_million: Decimal | None,
    by: User,
    now: datetime,
) -> list[Unit]:
    """Divide the processed specimen into final units, quarantined until release."""
    collection = run.collection
    protocol = collection.course.plan
    if not 1 <= count <= 48:
        raise ValidationFailed("count", "Between 1 and 48 units.", "count")
    if volume_ml is not None and volume_ml <= 0:
        raise ValidationFailed("volume", "The volume must be more than 0 mL.", "volume_ml")
    with audited_transaction():
        run = for_update(Run.objects).get(pk=run.pk)
        split_at = _division_step(protocol)
        _earlier_steps_done(run, protocol, split_at)
        step = protocol_step(protocol, split_at)
        missing = unfinished(step, _recorded(run).get(split_at, []))
        if missing is not None:
            raise ValidationFailed(
                "step_order",
                f"Finish step {split_at!r} before dividing into units ({missing}).",
                "key",
            )
        root = locked(specimen(collection).pk)
        change_state(root, Move.DIVIDE, by=by, now=now, detail={"units": count})
        storage = protocol.product.storage
        expires = now + timedelta(days=storage.shelf_life_days)
        kind = "syringe" if storage.condition == "frozen" else "vial"
        units = [
            create_unit(
                chain=root.chain,
                collection_id=collection.pk,
                parent=root,
                division=division_code(index, count),
                kind=kind,
                product_code=protocol.product.code,
                status=State.QUARANTINED,
                made_at=now,
                by=by,
                fields={
                    "volume_ml": volume_ml,
                    "cells_million": cells_million,
                    "index": index,
                    "of": count,
                    "frozen": storage.condition == "frozen",
                    "expires_at": expires,
                },
            )
            for index in range(1, count + 1)
        ]
        if _all_steps(run, protocol):
            run.finished_at = now
            run.save(update_fields=["finished_at"])
    return units


def _division_step(protocol: Protocol) -> str:
    """The step at which the product is divided: aliquoting if any, else the last step."""
    for step in protocol.processing:
        if step.kind == "aliquoting":
            return step.key
    return protocol.processing[-1].key


def _all_steps(run: Run, protocol: Protocol) -> bool:
    done = set(run.steps.filter(ended_at__isnull=False, passage=0).values_list("key", flat=True))
    return all(step.key in done for step in protocol.processing)
