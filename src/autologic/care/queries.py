"""Read side of care: the scheduler's view of a site, course timelines, resource calendars."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from autologic.accounts.models import Site
from autologic.audit.models import AuditEvent
from autologic.care.domain import scheduling as engine
from autologic.care.domain.pathway import Pathway, expand
from autologic.care.labels import event_label, key_label
from autologic.care.models import Appointment, Booking, ClosedDay, Course, Resource
from autologic.lab.models import StepRecord
from autologic.protocols.domain.schema import Protocol

SLOT = 15  # minutes; every booking starts and ends on this grid
HORIZON_AFTER_START_DAYS = 250  # long enough for a course and its booked follow-up visits


def resource_id(resource: Resource) -> str:
    """A resource's id in the scheduler."""
    return f"r{resource.pk}"


def pathway_for(course: Course) -> Pathway:
    """The course's events, expanded from the protocol version it started with."""
    return expand(
        course.plan,
        regions=max(1, course.regions.count()),
        injections=course.injections,
        guidance=course.guidance,
        slot=SLOT,
    )


@dataclass
class SiteView:
    """A site as the scheduler sees it over a horizon, and the conversions to and from it."""

    site: Site
    start: date
    days: int
    resources: dict[str, Resource]
    closed: frozenset[date]
    facts: list[engine.CourseRequest] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.site.time_zone)

    def minute(self, when: datetime) -> int:
        """Minutes from the horizon start to an aware datetime."""
        local = when.astimezone(self.zone).replace(tzinfo=None)
        return engine.to_minute(self.start, local)

    def when(self, minute: int) -> datetime:
        """The aware UTC datetime of a minute of the horizon (wall-clock time at the site)."""
        local = engine.to_datetime(self.start, minute).replace(tzinfo=self.zone)
        return local.astimezone(UTC)

    def problem(self, courses: tuple[engine.CourseRequest, ...]) -> engine.Problem:
        """The scheduling problem: the site's resources, what is booked, and ``courses``."""
        resources = tuple(
            engine.Resource(
                rid,
                r.kind,
                r.capacity,
                frozenset(r.capabilities),
                engine.weekly_hours(r.hours) if r.hours else None,
            )
            for rid, r in self.resources.items()
        )
        return engine.Problem(
            self.start,
            self.days,
            resources,
            (*self.facts, *courses),
            self.closed,
            slot_minutes=SLOT,
        )


def site_view(site: Site, start: date, days: int, *, without: Course | None = None) -> SiteView:
    """The site's resources and closing days, and every booking still running at ``start``
    (except those of ``without``) as fixed facts the scheduler must respect."""
    view = SiteView(
        site=site,
        start=start,
        days=days,
        resources={resource_id(r): r for r in Resource.objects.filter(site=site, active=True)},
        closed=frozenset(
            ClosedDay.objects.filter(
                site=site, day__gte=start, day__lt=start + timedelta(days=days)
            ).values_list("day", flat=True)
        ),
    )
    begin = view.when(0)
    bookings = (
        Booking.objects.filter(site=site, ends_at__gt=begin, resource__active=True)
        .exclude(course__status="cancelled")
        .select_related("resource")
        .order_by("course_id", "id")
    )
    if without is not None:
        bookings = bookings.exclude(course=without)
    by_course: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_course[booking.course_id].append(booking)
    for course_id, rows in by_course.items():
        steps, placements = [], []
        for booking in rows:
            start_minute = max(0, view.minute(booking.starts_at))
            end_minute = view.minute(booking.ends_at)
            if end_minute <= start_minute:
                continue
            key = f"b{booking.pk}"
            demand = engine.Demand(booking.resource.kind, booking.amount)
            steps.append(
                engine.Step(key, end_minute - start_minute, (demand,), in_clinic_hours=False)
            )
            placements.append(
                engine.Placement(key, start_minute, end_minute, (resource_id(booking.resource),))
            )
        if steps:
            view.facts.append(
                engine.CourseRequest(f"booked-{course_id}", tuple(steps), fixed=tuple(placements))
            )
    return view


def current_plan(course: Course, view: SiteView, pathway: Pathway) -> engine.CoursePlan:
    """The course's placements and hold assignments as booked."""
    appointments = {a.key: a for a in course.appointments.all()}
    by_step: dict[str, dict[int, str]] = defaultdict(dict)
    holds: list[engine.HoldAssignment] = []
    for booking in course.bookings.select_related("resource", "appointment"):
        rid = resource_id(booking.resource)
        if booking.hold_index is not None:
            holds.append(engine.HoldAssignment(booking.hold_index, rid))
        elif booking.appointment is not None and booking.demand_index is not None:
            by_step[booking.appointment.key][booking.demand_index] = rid
    placements = []
    for step in pathway.steps:
        appointment = appointments.get(step.key)
        if appointment is None or appointment.starts_at is None or appointment.ends_at is None:
            continue
        chosen = by_step.get(step.key, {})
        placements.append(
            engine.Placement(
                step.key,
                view.minute(appointment.starts_at),
                view.minute(appointment.ends_at),
                tuple(chosen.get(i, "") for i in range(len(step.demands))),
            )
        )
    return engine.CoursePlan(course.scheduling_id, tuple(placements), tuple(holds))


# --- pages ------------------------------------------------------------------------------------


def course_list(site: Site, status: str = "") -> list[Course]:
    """The site's courses, those waiting or needing attention first."""
    rows = Course.objects.filter(site=site).select_related("patient").prefetch_related("protocol")
    if status:
        rows = rows.filter(status=status)
    order = {"attention": 0, "waiting": 1, "scheduled": 2, "completed": 3, "cancelled": 4}
    return sorted(rows, key=lambda c: (order.get(c.status, 9), -c.pk))


@dataclass(frozen=True)
class Happened:
    """What was recorded for a planned event: when it happened, by whom, when it was recorded."""

    at: datetime
    by: str
    recorded_at: datetime | None  # a step record keeps no time of its own entry
    until: datetime | None = None  # a lab step's end
    what: str = ""  # a lab step's key (culture passages repeat it)


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a course's timeline."""

    appointment: Appointment
    resources: list[str]
    day: int | None  # days from collection
    holds: list[str]
    history: list[dict[str, Any]]  # earlier times given up: {start (datetime), status, by}
    happened: list[Happened] = field(default_factory=list)
    # An event over several days (a culture, an incubation overnight): (days, first, last) in
    # the clinic's dates; None when it starts and ends on one day.
    span: tuple[int, date, date] | None = None

    @property
    def planned_shown(self) -> bool:
        """True when the time shown is the plan beside a record of what happened (an event
        done on another day shows when it happened; its plan is in the history)."""
        return bool(self.happened) and not any(h["status"] == "moved" for h in self.history)


def timeline(course: Course) -> list[TimelineEntry]:
    """The course's events in order, with their resources and day numbers."""
    appointments = list(course.appointments.all())
    names: dict[int, list[str]] = defaultdict(list)
    holds: dict[str, list[str]] = defaultdict(list)
    lab_windows = {
        a.starts_at: a.key for a in appointments if a.kind == "processing" and a.starts_at
    }
    for booking in course.bookings.select_related("resource"):
        if booking.appointment_id is not None:
            names[booking.appointment_id].append(booking.resource.name)
            continue
        # Incubator tubes and culture slots belong to their lab window; frozen syringes to
        # the session that thaws them.
        key = booking.hold_to
        if booking.resource.kind in {"incubator", "culture"}:
            key = lab_windows.get(booking.starts_at, key)
        holds[key].append(f"{booking.resource.name} × {booking.amount}")
    zone = ZoneInfo(course.site.time_zone)
    first = next((a for a in appointments if a.key == "collection" and a.starts_at), None)
    origin = first.starts_at.astimezone(zone).date() if first and first.starts_at else None

    def day_of(a: Appointment) -> int | None:
        if origin is None:
            return None
        when = a.starts_at.astimezone(zone).date() if a.starts_at else a.due_on
        return None if when is None else (when - origin).days

    happened = _happened(course)

    def span_of(a: Appointment) -> tuple[int, date, date] | None:
        if a.starts_at is None or a.ends_at is None:
            return None
        first_day = a.starts_at.astimezone(zone).date()
        last_day = a.ends_at.astimezone(zone).date()
        return ((last_day - first_day).days, first_day, last_day) if last_day > first_day else None

    entries = [
        TimelineEntry(
            a,
            names.get(a.pk, []),
            day_of(a),
            holds.get(a.key, []),
            [{**h, "start": datetime.fromisoformat(h["start"])} for h in a.history],
            happened.get(a.key, []),
            span_of(a),
        )
        for a in appointments
    ]
    return sorted(entries, key=_timeline_order)


def _happened(course: Course) -> dict[str, list[Happened]]:
    """What was recorded for the course's events, by event key: each appointment marked done
    (its audit event: the time it happened, who, when recorded) and each lab step record."""
    found: dict[str, list[Happened]] = defaultdict(list)
    done = AuditEvent.objects.filter(
        action="appointment.done",
        object_type="patient",
        object_id=str(course.patient_id),
        changes__course_id=course.pk,
    ).order_by("seq")
    for event in done:
        at = event.changes.get("done_at")
        found[event.changes["appointment"]].append(
            Happened(
                datetime.fromisoformat(at) if at else event.occurred_at,
                event.actor_name,
                event.occurred_at,
            )
        )
    steps = StepRecord.objects.filter(run__collection__course=course).select_related("by")
    for step in steps.order_by("started_at", "pk"):
        found[step.key].append(
            Happened(step.started_at, step.by.printed_name, None, step.ended_at, step.key)
        )
    return found


def _timeline_order(entry: TimelineEntry) -> tuple[int, int]:
    return (entry.day if entry.day is not None else 10**6, entry.appointment.sequence)


@dataclass
class CalendarRow:
    """One resource over the calendar's days: its bookings and open hours per day."""

    resource: Resource
    bookings: list[dict[str, Any]]
    per_day: list[list[dict[str, Any]]]
    load: list[float]  # booked share of the open time (or of the capacity) per day


def calendar(site: Site, first: date, days: int, kind: str = "") -> list[CalendarRow]:
    """Bookings per resource over ``days`` days from ``first`` (site-local dates)."""
    zone = ZoneInfo(site.time_zone)
    begin = datetime.combine(first, time(), zone)
    end = datetime.combine(first + timedelta(days=days), time(), zone)
    resources = Resource.objects.filter(site=site, active=True)
    if kind:
        resources = resources.filter(kind=kind)
    rows = {r.pk: CalendarRow(r, [], [[] for _ in range(days)], [0.0] * days) for r in resources}
    bookings = (
        Booking.objects.filter(
            site=site, resource__in=list(rows), starts_at__lt=end, ends_at__gt=begin
        )
        .exclude(course__status="cancelled")
        .select_related("course__patient", "appointment")
        .prefetch_related("course__protocol")
    )
    protocols: dict[tuple[int, str], Protocol] = {}
    bookings = list(bookings)
    rooms = _rooms({b.appointment_id for b in bookings if b.appointment_id is not None})
    for booking in bookings:
        row = rows[booking.resource_id]
        local_start = booking.starts_at.astimezone(zone)
        local_end = booking.ends_at.astimezone(zone)
        appointment = booking.appointment
        item = {
            "booking": booking,
            "course": booking.course,
            "patient": booking.course.patient,
            "appointment": appointment,
            "label": _booking_label(booking, protocols),
            "name": f"{booking.course.patient.family_name}, {booking.course.patient.given_name}",
            # Where it happens, when the row is not the room itself (a clinician, a centrifuge).
            "room": ""
            if row.resource.kind == "room" or appointment is None
            else ", ".join(rooms.get(appointment.pk, [])),
            "start": local_start,
            "end": local_end,
            "from": local_start.strftime("%H:%M"),
            "to": local_end.strftime("%H:%M"),
            "hold": appointment is None,
        }
        row.bookings.append(item)
        for index in range(days):
            day_begin = datetime.combine(first + timedelta(days=index), time(), zone)
            day_end = day_begin + timedelta(days=1)
            overlap = min(local_end, day_end) - max(local_start, day_begin)
            if overlap.total_seconds() > 0:
                row.per_day[index].append(item)
                row.load[index] += overlap.total_seconds() / 60 * booking.amount
    for row in rows.values():
        hours = engine.weekly_hours(row.resource.hours) if row.resource.hours else None
        for index in range(days):
            weekday = (first + timedelta(days=index)).weekday()
            open_min = sum(hi - lo for lo, hi in hours[weekday]) if hours is not None else 24 * 60
            capacity = open_min * row.resource.capacity
            row.load[index] = round(min(1.0, row.load[index] / capacity), 3) if capacity else 0.0
    return sorted(
        rows.values(), key=lambda r: (_KIND_ORDER.get(r.resource.kind, 9), r.resource.code)
    )


def _plan(course: Course, plans: dict[tuple[int, str], Protocol]) -> Protocol:
    """A course's plan, resolved once per page however many rows name its version and variant."""
    key = (course.protocol_id, course.variant)
    if key not in plans:
        plans[key] = course.plan
    return plans[key]


def _rooms(appointment_ids: set[int]) -> dict[int, list[str]]:
    """The rooms booked for each of these appointments, by name."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = Booking.objects.filter(appointment_id__in=appointment_ids, resource__kind="room")
    for appointment_id, name in rows.values_list("appointment_id", "resource__name"):
        found[appointment_id].append(name)
    return found


def _booking_label(booking: Booking, protocols: dict[tuple[int, str], Protocol]) -> str:
    """What a booking is for, in words ("Injection 2"; a hold: "Freezing → Injection 1")."""
    protocol = _plan(booking.course, protocols)
    if booking.appointment is not None:
        return event_label(booking.appointment.kind, booking.appointment.key, protocol)
    return f"{key_label(booking.hold_from, protocol)} → {key_label(booking.hold_to, protocol)}"


_KIND_ORDER = {
    "room": 0,
    "clinician": 1,
    "centrifuge": 2,
    "incubator": 3,
    "freezer": 4,
    "culture": 5,
}


def closed_days(site: Site, first: date, days: int) -> dict[date, str]:
    """Closing days in a range, with their reasons."""
    rows = ClosedDay.objects.filter(site=site, day__gte=first, day__lt=first + timedelta(days=days))
    return {row.day: row.reason for row in rows}


# Events held in the clinic: a closing day moves them (lab work may go on when it is closed).
IN_CLINIC = ("collection", "injection", "visit")


def booked_on(site: Site, day: date, *, after: datetime) -> dict[int, list[str]]:
    """In-clinic appointments planned on a site-local day and still to come, by course
    (courses that are scheduled or need attention)."""
    zone = ZoneInfo(site.time_zone)
    begin = max(datetime.combine(day, time(), zone), after)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    rows = Appointment.objects.filter(
        course__site=site,
        course__status__in=("scheduled", "attention"),
        kind__in=IN_CLINIC,
        status="planned",
        starts_at__gte=begin,
        starts_at__lt=end,
    ).order_by("course_id", "starts_at")
    booked: dict[int, list[str]] = defaultdict(list)
    for course_id, key in rows.values_list("course_id", "key"):
        booked[course_id].append(key)
    return dict(booked)


def stranded(site: Site, first: date, days: int) -> dict[date, list[Appointment]]:
    """Appointments still planned on the closing days of a range: a person must move them."""
    closed = closed_days(site, first, days)
    zone = ZoneInfo(site.time_zone)
    out: dict[date, list[Appointment]] = {}
    for day in sorted(closed):
        begin = datetime.combine(day, time(), zone)
        rows = list(
            Appointment.objects.filter(
                course__site=site,
                course__status__in=("scheduled", "attention"),
                kind__in=IN_CLINIC,
                status="planned",
                starts_at__gte=begin,
                starts_at__lt=begin + timedelta(days=1),
            )
            .select_related("course__patient")
            .order_by("starts_at")
        )
        if rows:
            out[day] = rows
    return out


@dataclass
class AgendaRow:
    """An in-clinic appointment on the day list: what, for whom, where, in plain words."""

    appointment: Appointment
    day: date  # site-local
    label: str
    rooms: list[str]


def agenda(site: Site, first: date, days: int) -> list[AgendaRow]:
    """In-clinic appointments (harvests, injections, visits) over site-local days, by time,
    with their rooms and clinicians (two queries)."""
    zone = ZoneInfo(site.time_zone)
    begin = datetime.combine(first, time(), zone)
    end = datetime.combine(first + timedelta(days=days), time(), zone)
    appointments = list(
        Appointment.objects.filter(
            course__site=site, kind__in=IN_CLINIC, starts_at__gte=begin, starts_at__lt=end
        )
        .exclude(status__in=("cancelled", "unscheduled"))
        .exclude(course__status="cancelled")
        .select_related("course__patient")
        .prefetch_related("course__protocol")
        .order_by("starts_at", "pk")
    )
    rooms: dict[int, list[str]] = defaultdict(list)
    for appointment_id, name in (
        Booking.objects.filter(appointment__in=appointments)
        .order_by("resource__kind", "resource__name")
        .values_list("appointment_id", "resource__name")
    ):
        rooms[appointment_id].append(name)
    protocols: dict[tuple[int, str], Protocol] = {}
    rows = []
    for a in appointments:
        if a.starts_at is None:
            continue
        label = event_label(a.kind, a.key, _plan(a.course, protocols))
        rows.append(AgendaRow(a, a.starts_at.astimezone(zone).date(), label, rooms[a.pk]))
    return rows


def needing_attention(site: Site, limit: int = 20) -> list[Course]:
    """Courses that a person must look at (a session missed, a plan broken), oldest first."""
    return list(
        Course.objects.filter(site=site, status="attention")
        .select_related("patient")
        .prefetch_related("protocol")
        .order_by("pk")[:limit]
    )


def waiting_count(site: Site) -> int:
    """How many courses wait to be scheduled."""
    return Course.objects.filter(site=site, status="waiting").count()
