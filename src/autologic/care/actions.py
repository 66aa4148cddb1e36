"""State changes of courses: create from a signed decision, schedule, re-plan after a miss.

Scheduling holds a lock on the site row for the whole solve-and-book, so two coordinators
booking at once cannot both take the last slot; the course row's ``version`` refuses a change
made against a page that is out of date.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from autologic.accounts.models import Site, User
from autologic.audit.actions import record_event
from autologic.audit.domain import diff
from autologic.audit.journal import audited_transaction
from autologic.care import queries
from autologic.care.domain import scheduling as engine
from autologic.care.domain.pathway import (
    LATEST_START_DAYS,
    Pathway,
    PathwayError,
    due_window,
    expand,
)
from autologic.care.models import Appointment, Booking, ClosedDay, Course, Resource
from autologic.care.signals import course_planned
from autologic.clinical import queries as clinical_queries
from autologic.clinical.models import AffectedRegion, EligibilityDecision
from autologic.common import clock
from autologic.common.clock import local_today
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update

SOLVE_SECONDS = 5.0
MISS_REASONS = ("missed", "cancelled")


@dataclass(frozen=True)
class Outcome:
    """What scheduling or re-planning did: moved steps, or why nothing could be placed."""

    ok: bool
    moved: tuple[str, ...] = ()
    explanation: dict[str, Any] | None = None


def create_course(
    *,
    decision: EligibilityDecision,
    injections: int,
    guidance: str,
    earliest_start: date,
    notes: str,
    by: User,
    variant: str = "",
    now: datetime | None = None,
) -> Course:
    """Start a course from a signed, final eligibility decision, pinned to its protocol
    version and to one of the version's variants ("" is the protocol itself); its events are
    listed at once and booked by ``schedule_course``.

    A conditional decision ("eligible with conditions") is not final: its conditions are met
    first, and a physician signs a new decision (or overrides to eligible, with a reason)."""
    now = now or clock.now()
    if decision.verdict == "not_eligible":
        raise ValidationFailed(
            "decision_not_eligible",
            "A course can only start from an eligible decision.",
            "decision",
        )
    if decision.verdict != "eligible":
        raise ValidationFailed(
            "decision_not_final",
            "A course starts only from a final decision; this one is conditional. Meet its "
            "conditions and have a physician sign an eligible decision.",
            "decision",
        )
    site = decision.site
    if earliest_start < local_today(site.time_zone):
        raise ValidationFailed(
            "earliest_start_past", "The earliest start cannot be in the past.", "earliest_start"
        )
    regions = _decision_regions(decision)
    offered = [v.key for v in decision.protocol.protocol.variants]
    if variant and variant not in offered:
        raise ValidationFailed(
            "variant_not_offered",
            f"This protocol offers the variants {', '.join(offered) or 'none'}.",
            "variant",
            {"allowed": ", ".join(offered) or "-"},
        )
    course = Course(
        site=site,
        patient_id=decision.patient_id,
        protocol=decision.protocol,
        variant=variant,
        decision=decision,
        injections=injections,
        guidance=guidance,
        earliest_start=earliest_start,
        notes=notes.strip(),
        created_by=by,
        created_at=now,
    )
    spec = course.plan.injections
    if not spec.count.min <= injections <= spec.count.max:
        raise ValidationFailed(
            "injections_out_of_range",
            f"This protocol gives {spec.count.min} to {spec.count.max} injections.",
            "injections",
            {"min": spec.count.min, "max": spec.count.max},
        )
    if guidance not in spec.guidance:
        allowed = ", ".join(spec.guidance)
        raise ValidationFailed(
            "guidance_not_offered",
            f"This protocol is guided by {allowed}.",
            "guidance",
            {"allowed": allowed},
        )
    try:
        pathway = expand(
            course.plan,
            regions=len(regions),
            injections=injections,
            guidance=guidance,
            slot=queries.SLOT,
        )
    except PathwayError as exc:
        raise ValidationFailed("protocol_mismatch", str(exc), "injections") from exc
    with audited_transaction():
        course.save()
        course.regions.set(regions)
        Appointment.objects.bulk_create(
            Appointment(
                course=course,
                key=event.key,
                kind=event.kind,
                sequence=event.sequence,
                kits=event.kits,
                status="unscheduled",
            )
            for event in pathway.events
        )
        record_event(
            actor=by,
            site=site,
            action="course.create",
            object_type="patient",
            object_id=decision.patient_id,
            changes={
                "course_id": [None, course.pk],
                "protocol": str(decision.protocol),
                "variant": variant,
                "decision_id": decision.pk,
                "regions": [str(r) for r in regions],
                "injections": injections,
                "guidance": guidance,
                "earliest_start": earliest_start.isoformat(),
                "kits": pathway.kits,
            },
            now=now,
        )
    return course


def _decision_regions(decision: EligibilityDecision) -> list[AffectedRegion]:
    """The assessment's regions the decision was signed for (by their recorded labels)."""
    regions = list(decision.assessment.regions.all())
    chosen = [r for r in regions if str(r) in set(decision.regions)]
    return chosen or regions


def schedule_course(
    *, course: Course, by: User, expected_version: int, now: datetime | None = None
) -> Outcome:
    """Book the whole course at its earliest feasible place, or say why it does not fit."""
    now = now or clock.now()
    with audited_transaction():
        site = for_update(Site.objects).get(pk=course.site_id)
        course = _locked(course, expected_version)
        if course.status not in {"waiting", "attention"} or course.bookings.exists():
            raise ConflictError("course_already_scheduled", "This course is already scheduled.")
        today = now.astimezone(ZoneInfo(site.time_zone)).date()
        first_day = max(course.earliest_start, _hold_end(course) or course.earliest_start)
        start = min(today, first_day)
        offset = (first_day - start).days
        view = queries.site_view(
            site, start, offset + queries.HORIZON_AFTER_START_DAYS, without=course
        )
        pathway = queries.pathway_for(course)
        earliest = max(offset * engine.DAY, _align(view.minute(now)))
        request = pathway.request(
            course.scheduling_id,
            earliest=earliest,
            latest=(offset + LATEST_START_DAYS) * engine.DAY,
        )
        problem = view.problem((request,))
        plan = engine.plan(problem, method="greedy")
        if course.scheduling_id not in plan.placed:
            # First fit only pushes steps later; the exact model may still find a place.
            exact = engine.plan(problem, method="cpsat", time_limit_s=SOLVE_SECONDS)
            if course.scheduling_id in exact.placed:
                plan = exact
        cplan = plan.placed.get(course.scheduling_id)
        if cplan is None:
            explanation = plan.unplaced.get(course.scheduling_id) or engine.Explanation(
                "no_slot", "no place found", course.scheduling_id
            )
            return _fail(course, view, explanation, by, now, "course.schedule_failed")
        _book(course, view, pathway, cplan, now)
        old_status = _set_status(course, "scheduled", {})
        course_planned.send(sender=Course, course=course, by=by, now=now)
        first = view.when(cplan.placements[0].start)
        record_event(
            actor=by,
            site=site,
            action="course.schedule",
            object_type="patient",
            object_id=course.patient_id,
            changes={
                "course_id": course.pk,
                "status": [old_status, "scheduled"],
                "first": first.isoformat(),
                "steps": len(cplan.placements),
                "method": plan.method,
            },
            now=now,
        )
    return Outcome(True, tuple(p.step for p in cplan.placements))


def report_missed(
    *,
    appointment: Appointment,
    reason: str,
    by: User,
    expected_version: int,
    now: datetime | None = None,
) -> Outcome:
    """Record a missed or cancelled session and re-plan the rest of the course inside the
    protocol's windows; when that is impossible the miss stays recorded, nothing else moves,
    and the course shows which constraint blocks it."""
    now = now or clock.now()
    if reason not in MISS_REASONS:
        raise ValidationFailed("bad_reason", "Say whether it was missed or cancelled.", "reason")
    with audited_transaction():
        site = for_update(Site.objects).get(pk=appointment.course.site_id)
        course = _locked(appointment.course, expected_version)
        appointment = for_update(Appointment.objects).get(pk=appointment.pk)
        if appointment.status != "planned" or appointment.starts_at is None:
            raise ConflictError(
                "appointment_not_planned", "Only a planned appointment can be missed or cancelled."
            )
        pathway = queries.pathway_for(course)
        view = _replan_view(site, course, now)
        current = queries.current_plan(course, view, pathway)
        request = pathway.request(
            course.scheduling_id, earliest=_hold_minute(course, view), latest=None
        )
        problem = view.problem((request,))
        base = engine.Plan("booked", {course.scheduling_id: current}, {})
        missed_at = appointment.starts_at
        appointment.history = [
            *appointment.history,
            {
                "start": missed_at.isoformat(),
                "status": reason,
                "at": now.isoformat(),
                "by": by.printed_name,
            },
        ]
        # A patient who did not come is offered the next day at the earliest; a session
        # cancelled ahead of time may move to any free slot from now on.
        replan_from = view.minute(now)
        if reason == "missed":
            replan_from = max(replan_from, (replan_from // engine.DAY + 1) * engine.DAY)
        result = engine.replan(
            problem,
            base,
            course.scheduling_id,
            appointment.key,
            replan_from,
            time_limit_s=SOLVE_SECONDS,
        )
        record_event(
            actor=by,
            site=site,
            action=f"appointment.{reason}",
            object_type="patient",
            object_id=course.patient_id,
            changes={
                "course_id": course.pk,
                "appointment": appointment.key,
                "was": missed_at.isoformat(),
            },
            now=now,
        )
        if not result.ok:
            appointment.status = reason
            appointment.save(update_fields=["status", "history"])
            explanation = result.explanation or engine.Explanation(
                "no_slot", "no place found", course.scheduling_id
            )
            return _fail(course, view, explanation, by, now, "course.replan_failed")
        appointment.save(update_fields=["history"])
        cplan = result.plan.placed[course.scheduling_id]
        before = {a.key: a.starts_at for a in course.appointments.all()}
        _book(course, view, pathway, cplan, now)
        _set_status(course, "scheduled", {})
        course_planned.send(sender=Course, course=course, by=by, now=now)
        record_event(
            actor=by,
            site=site,
            action="course.replan",
            object_type="patient",
            object_id=course.patient_id,
            changes={
                "course_id": course.pk,
                "moved": {
                    key: [
                        _iso(before.get(key)),
                        view.when(cplan.placement(key).start).isoformat(),
                    ]
                    for key in result.moved
                },
            },
            now=now,
        )
    return Outcome(True, result.moved)


def _hold_end(course: Course) -> date | None:
    """The first day the medication hold allows the collection; refused while a held drug has
    not been stopped, since then nobody knows when collection may take place."""
    end = clinical_queries.course_hold_end(course)
    if end.not_started:
        names = ", ".join(m.name for m in end.not_started)
        raise ValidationFailed(
            "schedule_hold_not_started",
            f"{names} is not on hold; record when it was stopped before scheduling.",
            "course",
            {"medication": names},
        )
    return end.earliest


def _hold_minute(course: Course, view: queries.SiteView) -> int:
    """The scheduler's earliest minute for a course whose collection is still to come: midnight
    of the day the medication hold ends; 0 once the collection is done, or without a hold."""
    collected = course.appointments.filter(kind="collection", status="done").exists()
    end = None if collected else _hold_end(course)
    if end is None:
        return 0
    return max(0, (end - view.start).days * engine.DAY)


OPEN_APPOINTMENT = ("unscheduled", "planned", "due")


def complete_appointment(
    appointment: Appointment, *, at: datetime, by: User | None, now: datetime
) -> bool:
    """Mark a course's event done: the one way any app (the lab's collection, the bedside's
    session, a questionnaire timepoint) closes an appointment.

    Guard: only an open appointment (not yet scheduled, planned or due) of a course that is
    not cancelled is done, and not at a time still to come.  Done on another day than
    planned, the planned time goes to the appointment's history and the appointment takes
    the time it happened; the answer is then True, and the rest of the course is re-anchored
    on it (``reanchor_course``, after the caller's transaction: it takes earlier locks).
    Runs inside the caller's transaction, locking the appointment."""
    with audited_transaction():
        appointment = (
            for_update(Appointment.objects).select_related("course__site").get(pk=appointment.pk)
        )
        course = appointment.course
        if appointment.status not in OPEN_APPOINTMENT:
            raise ConflictError(
                "appointment_closed",
                f"This appointment is {appointment.status}; it cannot be marked done.",
            )
        if course.status == "cancelled":
            raise ConflictError("course_cancelled", "This course is cancelled.")
        if at > now + timedelta(minutes=5):
            raise ValidationFailed(
                "done_in_future", "An appointment cannot be done at a time still to come.", "at"
            )
        zone = ZoneInfo(course.site.time_zone)
        planned = appointment.starts_at
        moved = (
            planned is not None and planned.astimezone(zone).date() != at.astimezone(zone).date()
        )
        fields = ["status"]
        changes: dict[str, Any] = {"course_id": course.pk, "appointment": appointment.key}
        if moved:
            assert planned is not None and appointment.ends_at is not None
            appointment.history = [
                *appointment.history,
                {
                    "start": planned.isoformat(),
                    "status": "moved",
                    "at": now.isoformat(),
                    "by": by.printed_name if by else "system",
                },
            ]
            appointment.ends_at = at + (appointment.ends_at - planned)
            appointment.starts_at = at
            fields += ["history", "starts_at", "ends_at"]
            changes["planned"] = planned.isoformat()
        changes["done_at"] = at.isoformat()  # the course timeline shows when it happened
        appointment.status = "done"
        appointment.done_at = at
        appointment.save(update_fields=[*fields, "done_at"])
        record_event(
            actor=by,
            site=course.site,
            action="appointment.done",
            object_type="patient",
            object_id=course.patient_id,
            changes=changes,
            now=now,
        )
    return moved


def _replan_view(site: Site, course: Course, now: datetime) -> queries.SiteView:
    """The site as the scheduler sees it from the course's first event (or today) on."""
    zone = ZoneInfo(site.time_zone)
    starts = [a.starts_at for a in course.appointments.all() if a.starts_at is not None]
    today = now.astimezone(zone).date()
    start = min([today, *(s.astimezone(zone).date() for s in starts)])
    return queries.site_view(
        site, start, (today - start).days + queries.HORIZON_AFTER_START_DAYS, without=course
    )


def reanchor_course(course: Course, *, key: str, by: User | None, now: datetime) -> Outcome:
    """Re-anchor the rest of a course on an event done on another day than planned
    (``complete_appointment`` moved it to when it happened): the follow-up windows count from
    that day, and later sessions whose protocol window no longer holds are re-planned inside
    it.  When they cannot be, the course needs attention and says why; nothing else moves."""
    with audited_transaction():
        site = for_update(Site.objects).get(pk=course.site_id)
        course = for_update(Course.objects).select_related("site").get(pk=course.pk)
        if course.status not in {"scheduled", "attention"} or not course.bookings.exists():
            return Outcome(True)
        pathway = queries.pathway_for(course)
        view = _replan_view(site, course, now)
        current = queries.current_plan(course, view, pathway)
        if key not in {p.step for p in current.placements}:
            return Outcome(True)
        problem = view.problem((pathway.request(course.scheduling_id, earliest=0, latest=None),))
        base = engine.Plan("booked", {course.scheduling_id: current}, {})
        result = engine.reanchor(
            problem,
            base,
            course.scheduling_id,
            key,
            view.minute(now),
            time_limit_s=SOLVE_SECONDS,
        )
        if not result.ok:
            explanation = result.explanation or engine.Explanation(
                "no_slot", "no place found", course.scheduling_id
            )
            return _fail(course, view, explanation, by, now, "course.reanchor_failed")
        cplan = result.plan.placed[course.scheduling_id]
        before = {a.key: a.starts_at for a in course.appointments.all()}
        _book(course, view, pathway, cplan, now)
        if result.moved:
            _set_status(course, "scheduled", {})
            course_planned.send(sender=Course, course=course, by=by, now=now)
        else:  # only the follow-up windows moved with the anchor
            _set_status(course, course.status, course.problem)
        record_event(
            actor=by,
            site=site,
            action="course.reanchor",
            object_type="patient",
            object_id=course.patient_id,
            changes={
                "course_id": course.pk,
                "anchor": key,
                "moved": {
                    step: [
                        _iso(before.get(step)),
                        view.when(cplan.placement(step).start).isoformat(),
                    ]
                    for step in result.moved
                },
            },
            now=now,
        )
    return Outcome(True, result.moved)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _align(minute: int) -> int:
    return -(-minute // queries.SLOT) * queries.SLOT


def _locked(course: Course, expected_version: int) -> Course:
    locked = for_update(Course.objects).get(pk=course.pk)
    if locked.version != expected_version:
        raise ConflictError(
            "course_changed", "Someone else changed this course meanwhile; reload and try again."
        )
    if locked.status == "cancelled":
        raise ConflictError("course_cancelled", "This course is cancelled.")
    return locked


def _set_status(course: Course, status: str, problem: dict[str, Any]) -> str:
    """Set the course's status and problem, bump its version; returns the old status."""
    old = course.status
    course.status, course.problem = status, problem
    course.version += 1
    course.save(update_fields=["status", "problem", "version"])
    return old


def _fail(
    course: Course,
    view: queries.SiteView,
    explanation: engine.Explanation,
    by: User,
    now: datetime,
    action: str,
) -> Outcome:
    data = {
        "code": explanation.code,
        "message": explanation.message,
        "step": explanation.step or "",
        "constraint": explanation.constraint or "",
        "window_start": (
            view.when(explanation.window_start).isoformat()
            if explanation.window_start is not None
            else ""
        ),
        "window_end": (
            view.when(explanation.window_end).isoformat()
            if explanation.window_end is not None
            else ""
        ),
        "at": now.isoformat(),
    }
    old_status = _set_status(course, "attention", data)
    record_event(
        actor=by,
        site=course.site,
        action=action,
        object_type="patient",
        object_id=course.patient_id,
        changes={"course_id": course.pk, "status": [old_status, "attention"], **data},
        now=now,
    )
    return Outcome(False, (), data)


def _book(
    course: Course,
    view: queries.SiteView,
    pathway: Pathway,
    cplan: engine.CoursePlan,
    now: datetime,
) -> None:
    """Replace the course's bookings with ``cplan`` and update its events' times and windows."""
    appointments = {a.key: a for a in for_update(course.appointments)}
    Booking.objects.filter(course=course).delete()
    steps = {s.key: s for s in pathway.steps}
    rows: list[Booking] = []
    for placement in cplan.placements:
        appointment = appointments[placement.step]
        appointment.starts_at = view.when(placement.start)
        appointment.ends_at = view.when(placement.end)
        if appointment.status != "done":
            appointment.status = "planned"
        for index, (demand, rid) in enumerate(
            zip(steps[placement.step].demands, placement.resources, strict=True)
        ):
            rows.append(
                Booking(
                    site_id=course.site_id,
                    course=course,
                    appointment=appointment,
                    resource=view.resources[rid],
                    starts_at=appointment.starts_at,
                    ends_at=appointment.ends_at,
                    amount=demand.amount,
                    demand_index=index,
                )
            )
    for assignment in cplan.holds:
        hold = pathway.holds[assignment.index]
        begin = cplan.placement(hold.from_step).end
        end = cplan.placement(hold.to_step).start
        if end <= begin:
            continue  # used at once: nothing is kept
        rows.append(
            Booking(
                site_id=course.site_id,
                course=course,
                resource=view.resources[assignment.resource],
                starts_at=view.when(begin),
                ends_at=view.when(end),
                amount=hold.amount,
                hold_index=assignment.index,
                hold_from=hold.from_step,
                hold_to=hold.to_step,
            )
        )
    Booking.objects.bulk_create(rows)
    # Windows of the follow-up events from the dates of their anchors.
    for event in pathway.events:
        if not event.anchor:
            continue
        anchor = appointments.get(event.anchor)
        if anchor is None or anchor.starts_at is None:
            continue
        anchor_day = anchor.starts_at.astimezone(view.zone).date()
        appointment = appointments[event.key]
        appointment.due_on, appointment.due_from, appointment.due_to = due_window(event, anchor_day)
        if not event.booked and appointment.status in {"unscheduled", "due"}:
            appointment.status = "due"
    # Lab windows held on equipment (incubation, culture) last as long as their hold.
    for event in pathway.events:
        if not event.holds:
            continue
        for hold in pathway.holds:
            if hold.kind == event.holds:
                appointment = appointments[event.key]
                appointment.starts_at = view.when(cplan.placement(hold.from_step).end)
                appointment.ends_at = view.when(cplan.placement(hold.to_step).start)
                if appointment.status != "done":
                    appointment.status = "planned"
                break
    Appointment.objects.bulk_update(
        list(appointments.values()),
        ["starts_at", "ends_at", "status", "due_on", "due_from", "due_to", "history"],
    )


RESOURCE_FIELDS = ("kind", "code", "name", "capacity", "capabilities", "hours")


def add_resource(
    *, site: Site, data: dict[str, Any], by: User, now: datetime | None = None
) -> Resource:
    """Add a room, clinician, incubator, centrifuge, freezer or culture bank to the site."""
    now = now or clock.now()
    values = {name: data[name] for name in RESOURCE_FIELDS}
    values["capabilities"] = sorted(values["capabilities"] or [])
    if Resource.objects.filter(site=site, code=values["code"]).exists():
        raise ValidationFailed(
            "duplicate_resource", "This code is already used at this site.", "code"
        )
    engine.weekly_hours(values["hours"] or {})  # the form checked it; refuse bad data anyway
    with audited_transaction():
        resource = Resource.objects.create(site=site, **values)
        record_event(
            actor=by,
            site=site,
            action="resource.create",
            object_type="resource",
            object_id=resource.pk,
            changes=diff({}, values),
            now=now,
        )
    return resource


def set_resource_active(
    *, resource: Resource, active: bool, by: User, now: datetime | None = None
) -> Resource:
    """Take a resource out of use (bookings stay) or back into use."""
    now = now or clock.now()
    with audited_transaction():
        resource = for_update(Resource.objects).get(pk=resource.pk)
        if resource.active == active:
            return resource
        resource.active = active
        resource.save(update_fields=["active"])
        record_event(
            actor=by,
            site=resource.site,
            action="resource.update",
            object_type="resource",
            object_id=resource.pk,
            changes={"active": [not active, active]},
            now=now,
        )
    return resource


@dataclass(frozen=True)
class Closing:
    """A closing day, and what happened to the courses booked on it."""

    day: ClosedDay
    replanned: tuple[Course, ...] = ()  # moved off the day inside the protocol's windows
    attention: tuple[Course, ...] = ()  # could not be moved: listed for a person


def add_closed_day(
    *, site: Site, day: date, reason: str, by: User, now: datetime | None = None
) -> Closing:
    """Close the site on a day.  The appointments still to come on it (collections,
    injections, visits) are re-planned with the rest of their course inside the protocol's
    windows; a course that cannot be re-planned needs attention and says why, its
    appointments staying on the closed day for a person to move."""
    now = now or clock.now()
    reason = reason.strip()
    if ClosedDay.objects.filter(site=site, day=day).exists():
        raise ValidationFailed("duplicate_closed_day", "This day is already closed.", "day")
    replanned: list[Course] = []
    attention: list[Course] = []
    with audited_transaction():
        # The clinic's lock first, as the scheduler takes it: no booking lands on the day now.
        site = for_update(Site.objects).get(pk=site.pk)
        row = ClosedDay.objects.create(site=site, day=day, reason=reason)
        booked = queries.booked_on(site, day, after=now)
        record_event(
            actor=by,
            site=site,
            action="closed_day.create",
            object_type="site",
            object_id=site.pk,
            changes={
                "day": [None, day.isoformat()],
                "reason": reason,
                "appointments": sum(len(keys) for keys in booked.values()),
            },
            now=now,
        )
        for course_id in sorted(booked):
            course = for_update(Course.objects).select_related("site").get(pk=course_id)
            outcome = _move_off_closed_day(site, course, row, booked[course_id], by, now)
            (replanned if outcome.ok else attention).append(course)
    return Closing(row, tuple(replanned), tuple(attention))


def _move_off_closed_day(
    site: Site, course: Course, closed: ClosedDay, keys: list[str], by: User, now: datetime
) -> Outcome:
    """Re-plan a course's appointments on a closed day, and everything after them."""
    appointments = {a.key: a for a in for_update(course.appointments).filter(key__in=keys)}
    for appointment in appointments.values():
        assert appointment.starts_at is not None
        appointment.history = [
            *appointment.history,
            {
                "start": appointment.starts_at.isoformat(),
                "status": "closed",
                "at": now.isoformat(),
                "by": by.printed_name,
                "reason": closed.reason,
            },
        ]
        appointment.save(update_fields=["history"])
    pathway = queries.pathway_for(course)
    view = _replan_view(site, course, now)
    current = queries.current_plan(course, view, pathway)
    problem = view.problem((pathway.request(course.scheduling_id, earliest=0, latest=None),))
    base = engine.Plan("booked", {course.scheduling_id: current}, {})
    first = min(appointments.values(), key=lambda a: (a.starts_at, a.sequence))
    day_start = view.minute(datetime.combine(closed.day, time(), view.zone))
    result = engine.replan(
        problem,
        base,
        course.scheduling_id,
        first.key,
        max(view.minute(now), day_start),
        time_limit_s=SOLVE_SECONDS,
    )
    if not result.ok:
        explanation = result.explanation or engine.Explanation(
            "no_slot", "no place found", course.scheduling_id
        )
        explanation = dataclasses.replace(
            explanation,
            message=f"The clinic is closed on {closed.day.isoformat()} ({closed.reason}): "
            f"{explanation.message}",
        )
        return _fail(course, view, explanation, by, now, "course.replan_failed")
    cplan = result.plan.placed[course.scheduling_id]
    before = {a.key: a.starts_at for a in course.appointments.all()}
    _book(course, view, pathway, cplan, now)
    _set_status(course, "scheduled", {})
    course_planned.send(sender=Course, course=course, by=by, now=now)
    record_event(
        actor=by,
        site=site,
        action="course.replan",
        object_type="patient",
        object_id=course.patient_id,
        changes={
            "course_id": course.pk,
            "closed_day": closed.day.isoformat(),
            "moved": {
                key: [_iso(before.get(key)), view.when(cplan.placement(key).start).isoformat()]
                for key in result.moved
            },
        },
        now=now,
    )
    return Outcome(True, result.moved)
