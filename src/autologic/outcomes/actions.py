"""Outcome state changes: submit a questionnaire (scored and audited), choose a clinic threshold.

Each runs in one transaction and writes its audit event there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError

from autologic.accounts.models import Site, User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.care import actions as care
from autologic.care.models import Appointment, Course
from autologic.clinical.models import AffectedRegion
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.outcomes import queries
from autologic.outcomes.domain import registry, rehab, thresholds, womac
from autologic.outcomes.domain.follow_up import FOLLOWUP, YES
from autologic.outcomes.domain.later import check_later
from autologic.outcomes.domain.types import Scored
from autologic.outcomes.models import (
    LaterTreatment,
    RehabProgress,
    Response,
    Score,
    SurgeryReportCheck,
    ThresholdChoice,
)
from autologic.patients.models import Patient

MODES = {"web", "paper", "tablet", "interview", "import"}


@dataclass(frozen=True)
class Entry:
    """One questionnaire to submit: what was answered, where, when and how."""

    instrument: str
    answers: dict[str, int | None]
    completed_on: date
    language: str
    mode: str
    region: AffectedRegion | None = None
    appointment: Appointment | None = None
    extra: dict[str, str] = field(default_factory=dict)


def submit_response(
    patient: Patient,
    entry: Entry,
    *,
    by: User | None,
    staff_entered: bool,
    now: datetime,
) -> Response:
    """Score and store one questionnaire; close the timepoint once everything due is in."""
    instrument = registry.get(entry.instrument)
    scored = instrument.score(entry.answers)  # refuses unknown items and bad values first
    _check_entry(patient, entry, instrument.id, by=by, staff_entered=staff_entered, now=now)
    with audited_transaction():
        appointment = entry.appointment
        if appointment is not None:
            # One submitter at a time per timepoint: the second waits, then sees the first.
            appointment = for_update(Appointment.objects).get(pk=appointment.pk)
            if Response.objects.filter(
                appointment=appointment,
                region=entry.region,
                instrument=instrument.id,
                status="submitted",
            ).exists():
                raise ConflictError(
                    "already_submitted",
                    f"{instrument.id} for this timepoint and region has already been submitted.",
                    field="instrument",
                )
        fields = {
            "site": patient.site,
            "patient": patient,
            "course": appointment.course if appointment else None,
            "timepoint": queries.timepoint_key(appointment),
            "instrument_version": instrument.version,
            "recall": instrument.recall,
            "language": entry.language,
            "mode": entry.mode,
            "answers": instrument.clean(entry.answers),
            "missing": scored.missing,
            "status": "submitted",
            "staff_entered": staff_entered,
            "entered_by": by if staff_entered else None,
            "completed_on": entry.completed_on,
            "updated_at": now,
            "submitted_at": now,
        }
        draft = (
            Response.objects.filter(
                appointment=appointment,
                region=entry.region,
                instrument=instrument.id,
                status="in_progress",
            ).first()
            if appointment is not None
            else None
        )
        if draft is not None:  # the patient's saved progress becomes the submitted response
            Response.objects.filter(pk=draft.pk).update(**fields, version=draft.version + 1)
            response = Response.objects.get(pk=draft.pk)
        else:
            response = _create(appointment, entry.region, instrument.id, fields, now)
        results = [scored]
        if instrument.id in ("KOOS", "HOOS"):
            results.append(womac.derive(instrument, entry.answers))
        _store_scores(response, results)
        record_event(
            actor=by,
            site=patient.site,
            action="prom.submitted",
            object_type="patient",
            object_id=patient.pk,
            changes={
                "response_id": response.pk,
                "instrument": instrument.id,
                "timepoint": response.timepoint,
                "region_id": entry.region.pk if entry.region else None,
                "mode": entry.mode,
                "staff_entered": staff_entered,
                "missing": scored.missing,
            },
            now=now,
        )
        if appointment is not None:
            _close_timepoint(appointment, by=by, now=now)
    return response


def _create(
    appointment: Appointment | None,
    region: AffectedRegion | None,
    instrument_id: str,
    fields: dict[str, object],
    now: datetime,
) -> Response:
    """A new submitted response; the unique constraint turns a lost race into a conflict."""
    try:
        with audited_transaction():
            return Response.objects.create(
                appointment=appointment,
                region=region,
                instrument=instrument_id,
                started_at=now,
                **fields,
            )
    except IntegrityError as exc:
        raise ConflictError(
            "already_submitted",
            f"{instrument_id} for this timepoint and region has already been submitted.",
            field="instrument",
        ) from exc


def _check_entry(
    patient: Patient,
    entry: Entry,
    instrument_id: str,
    *,
    by: User | None,
    staff_entered: bool,
    now: datetime,
) -> None:
    """Refuse an entry that does not belong to this patient or is not due where it claims."""
    if entry.mode not in MODES:
        raise ValidationFailed("bad_mode", f"unknown mode {entry.mode!r}.", field="mode")
    if staff_entered and by is None:
        raise ValidationFailed(
            "staff_unknown", "a staff entry must name who entered it.", field="entered_by"
        )
    if entry.completed_on > now.astimezone(ZoneInfo(patient.site.time_zone)).date():
        raise ValidationFailed(
            "future_date", "the form cannot be completed in the future.", field="completed_on"
        )
    region = entry.region
    if region is not None and region.assessment.patient_id != patient.pk:
        raise ValidationFailed(
            "wrong_patient", "that region belongs to another patient.", field="region"
        )
    appointment = entry.appointment
    if appointment is None:
        return
    if appointment.course.patient_id != patient.pk:
        raise ValidationFailed(
            "wrong_patient", "that timepoint belongs to another patient.", field="appointment"
        )
    due = queries.due_at(appointment)
    if not due:
        raise ValidationFailed(
            "not_a_follow_up", "that appointment is not a follow-up timepoint.", field="appointment"
        )
    if region is None or region.pk not in due:
        raise ValidationFailed(
            "region_not_treated", "choose a region treated in this course.", field="region"
        )
    if instrument_id not in due[region.pk]:
        raise ValidationFailed(
            "not_due",
            f"{instrument_id} is not due for this region at this timepoint "
            f"(due: {', '.join(due[region.pk]) or 'nothing'}).",
            field="instrument",
        )


def _store_scores(response: Response, results: list[Scored]) -> None:
    """One Score row per subscale of each result (the instrument's own and any derived)."""
    rows = []
    for scored in results:
        instrument = registry.get(scored.instrument)
        for name, score in scored.scores.items():
            rows.append(
                Score(
                    response=response,
                    patient_id=response.patient_id,
                    region=response.region,
                    timepoint=response.timepoint,
                    measured_on=response.completed_on,
                    instrument=scored.instrument,
                    instrument_version=scored.instrument_version,
                    algorithm=scored.algorithm,
                    derived_from=scored.derived_from or "",
                    name=name,
                    value=score.value,
                    reason=score.reason or "",
                    answered=score.answered,
                    missing=score.missing,
                    higher_is_better=instrument.subscale(name).higher_is_better,
                )
            )
    Score.objects.bulk_create(rows)


def _close_timepoint(appointment: Appointment, *, by: User | None, now: datetime) -> None:
    """A questionnaire timepoint is done once every region has answered everything due."""
    if appointment.kind != "prom" or appointment.status not in care.OPEN_APPOINTMENT:
        return
    if queries.outstanding(appointment):
        return
    care.complete_appointment(appointment, at=now, by=by, now=now)


def choose_threshold(
    *,
    site: Site,
    instrument: str,
    score: str,
    use: str,
    reference: str = "",
    value: float | None = None,
    relative: bool = False,
    source: str = "",
    by: User,
    now: datetime,
) -> ThresholdChoice:
    """Set the clinic's MCID or PASS for one score: a cited reference id, or its own value."""
    found = registry.get(instrument)
    if score not in {s.name for s in found.subscales}:
        raise ValidationFailed(
            "unknown_score", f"{found.id} has no score {score!r}.", field="score"
        )
    if use not in ("change", "pass"):
        raise ValidationFailed("bad_use", "use must be 'change' or 'pass'.", field="use")
    if reference:
        ref = thresholds.BY_ID.get(reference)
        if ref is None or (ref.instrument, ref.score) != (found.id, score):
            raise ValidationFailed(
                "unknown_reference",
                f"{reference!r} is not a reference value for {found.id} {score}.",
                field="reference",
            )
        if ref.kind.is_change != (use == "change"):
            raise ValidationFailed(
                "wrong_kind", f"{reference} is a {ref.kind} value.", field="reference"
            )
    elif value is None or value < 0:
        raise ValidationFailed(
            "value_required", "give a reference or a non-negative value.", field="value"
        )
    elif not source.strip():
        raise ValidationFailed(
            "source_required", "a clinic's own value needs its source.", field="source"
        )
    with audited_transaction():
        row, _created = ThresholdChoice.objects.update_or_create(
            site=site,
            instrument=found.id,
            score=score,
            use=use,
            defaults={
                "reference": reference,
                "value": None if reference else value,
                "relative": False if reference else relative,
                "source": "" if reference else source.strip(),
                "chosen_by": by,
                "chosen_at": now,
            },
        )
        record_event(
            actor=by,
            site=site,
            action="outcomes.threshold_chosen",
            object_type="site",
            object_id=site.pk,
            changes={
                "instrument": found.id,
                "score": score,
                "use": use,
                "reference": reference,
                "value": value,
                "relative": relative,
            },
            now=now,
        )
    return row


def save_progress(
    patient: Patient,
    entry: Entry,
    *,
    now: datetime,
) -> Response:
    """Keep the answers given so far (each one checked) without scoring; submit scores later.

    Audited once per change of the answers: an autosave that resends what is kept writes
    nothing, so a burst of them cannot flood the chain."""
    instrument = registry.get(entry.instrument)
    given = {k: v for k, v in instrument.clean(entry.answers).items() if k in entry.answers}
    _check_entry(patient, entry, instrument.id, by=None, staff_entered=False, now=now)
    if entry.appointment is None:
        raise ValidationFailed("no_timepoint", "progress is kept per timepoint.", "appointment")
    with audited_transaction():
        appointment = for_update(Appointment.objects).get(pk=entry.appointment.pk)
        row = Response.objects.filter(
            appointment=appointment, region=entry.region, instrument=instrument.id
        ).first()
        if row is not None and row.status == "submitted":
            raise ConflictError(
                "already_submitted",
                f"{instrument.id} for this timepoint has already been sent; it cannot change.",
                field="instrument",
            )
        kept = row.answers if row is not None else {}
        # An item left unanswered is the same whether it is missing or None.
        changed = sorted(k for k, v in given.items() if kept.get(k) != v)
        if row is None:
            row = Response.objects.create(
                site=patient.site,
                patient=patient,
                course=appointment.course,
                appointment=appointment,
                timepoint=queries.timepoint_key(appointment),
                region=entry.region,
                instrument=instrument.id,
                instrument_version=instrument.version,
                recall=instrument.recall,
                language=entry.language,
                mode=entry.mode,
                answers=given,
                status="in_progress",
                started_at=now,
                updated_at=now,
            )
        elif changed:
            row.answers = {**row.answers, **{k: given[k] for k in changed}}
            row.language, row.updated_at, row.version = entry.language, now, row.version + 1
            row.save(update_fields=["answers", "language", "updated_at", "version"])
        else:
            return row
        # Which items changed, never their values: the answers are the patient's health data.
        record_event(
            actor=None,
            site=patient.site,
            action="prom.progress_saved",
            object_type="patient",
            object_id=patient.pk,
            changes={
                "response_id": row.pk,
                "instrument": instrument.id,
                "timepoint": row.timepoint,
                "region_id": entry.region.pk if entry.region else None,
                "items": changed,
            },
            now=now,
        )
        return row


def record_rehab(
    *,
    course: Course,
    phase: str,
    status: str,
    note: str,
    by: User,
    now: datetime,
) -> RehabProgress:
    """Record that a rehabilitation phase has started, is done or has a problem; audited.

    Resending what is recorded writes nothing.  The course is locked (lock order: course first)."""
    on = now.astimezone(ZoneInfo(course.site.time_zone)).date()
    note = note.strip()
    with audited_transaction():
        locked = for_update(Course.objects).select_related("protocol", "site").get(pk=course.pk)
        phases = rehab.trackable(locked.plan.rehabilitation)
        found = next((p for p in phases if p.key == phase), None)
        chosen = rehab.check_change(
            found, phase, status, note, anchor=queries.rehab_anchor(locked), on=on
        )
        row = RehabProgress.objects.filter(course=locked, phase=phase).first()
        before = (
            {"status": None, "note": ""}
            if row is None
            else {"status": row.status, "note": row.note}
        )
        if before == {"status": chosen.value, "note": note}:
            assert row is not None
            return row
        if row is None:
            row = RehabProgress(
                site=locked.site, patient_id=locked.patient_id, course=locked, phase=phase
            )
        row.status, row.note, row.on = chosen.value, note, on
        row.recorded_by, row.recorded_at = by, now
        row.save()
        changes: dict[str, object] = {"phase": phase, "status": [before["status"], chosen.value]}
        if before["note"] != note:
            changes["note"] = [before["note"], note]
        record_event(
            actor=by,
            site=locked.site,
            action="rehab.record",
            object_type="course",
            object_id=locked.pk,
            changes=changes,
            now=now,
        )
    return row


def record_later_treatment(
    *,
    patient: Patient,
    region: AffectedRegion,
    kind: str,
    performed_on: date,
    source: str,
    note: str,
    by: User | None,
    now: datetime,
) -> LaterTreatment:
    """Record a replacement, repeat treatment or other surgery of a treated joint; audited.

    ``by`` is None when the patient reported it through the portal.  The same kind on the same
    joint and day is one event: a second report of it is refused."""
    note = note.strip()
    today = now.astimezone(ZoneInfo(patient.site.time_zone)).date()
    treated = {t.region.pk: t.treated_on for t in queries.treated_joints(patient)}
    if region.assessment.patient_id != patient.pk:
        raise ValidationFailed("not_treated", "No such treated joint.", field="region")
    chosen, origin = check_later(kind, source, performed_on, treated.get(region.pk), today, note)
    with audited_transaction():
        if LaterTreatment.objects.filter(
            region=region, kind=chosen.value, performed_on=performed_on
        ).exists():
            raise ConflictError(
                "already_recorded",
                "This treatment of this joint on this day is already recorded.",
                field="performed_on",
            )
        try:
            row = LaterTreatment.objects.create(
                site=patient.site,
                patient=patient,
                region=region,
                kind=chosen.value,
                performed_on=performed_on,
                source=origin.value,
                note=note,
                recorded_by=by,
                recorded_at=now,
            )
        except IntegrityError:
            raise ConflictError(
                "already_recorded",
                "This treatment of this joint on this day is already recorded.",
                field="performed_on",
            ) from None
        record_event(
            actor=by,
            site=patient.site,
            action="later_treatment.record",
            object_type="patient",
            object_id=patient.pk,
            changes={
                "region": str(region),
                "kind": chosen.value,
                "performed_on": performed_on.isoformat(),
                "source": origin.value,
                **({"note": note} if note else {}),
            },
            now=now,
        )
    return row


MIN_CHECK_NOTE = 10  # characters: say how it was checked ("phoned the patient: ...")


def dismiss_surgery_report(
    *, patient: Patient, response_id: int, note: str, by: User, now: datetime
) -> SurgeryReportCheck:
    """Record that staff checked a patient's yes to the surgery question and found no operation
    of the joint; audited.  A report already accounted for by a recorded later treatment, or
    already checked, is refused."""
    note = note.strip()
    if len(note) < MIN_CHECK_NOTE:
        raise ValidationFailed(
            "check_note_short",
            f"Say how it was checked, in at least {MIN_CHECK_NOTE} characters.",
            field="note",
        )
    with audited_transaction():
        response = (
            for_update(Response.objects)
            .filter(pk=response_id, patient=patient, instrument=FOLLOWUP.id, status="submitted")
            .select_related("region")
            .first()
        )
        if response is None or response.answers.get("SURGERY") != YES:
            raise ValidationFailed(
                "no_surgery_report", "No such report of surgery.", field="response"
            )
        if SurgeryReportCheck.objects.filter(response=response).exists():
            raise ConflictError(
                "report_checked", "This report has already been checked.", field="response"
            )
        answered_on = response.completed_on
        if (
            answered_on is not None
            and LaterTreatment.objects.filter(
                region=response.region, performed_on__lte=answered_on
            ).exists()
        ):
            raise ConflictError(
                "report_recorded",
                "An operation of this joint is recorded for this report.",
                field="response",
            )
        row = SurgeryReportCheck.objects.create(
            site=patient.site,
            patient=patient,
            response=response,
            note=note,
            checked_by=by,
            checked_at=now,
        )
        record_event(
            actor=by,
            site=patient.site,
            action="surgery_report.dismiss",
            object_type="patient",
            object_id=patient.pk,
            changes={
                "region": str(response.region),
                "answered_on": answered_on.isoformat() if answered_on else None,
                "note": note,
            },
            now=now,
        )
    return row
