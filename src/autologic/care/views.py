"""Care pages: start and schedule a course, its timeline, missed sessions, the resource calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from autologic.audit.actions import record_read
from autologic.care import actions, choices, queries
from autologic.care.domain.pathway import Pathway
from autologic.care.forms import ClosedDayForm, CourseForm, MissedForm, ResourceForm
from autologic.care.labels import event_label
from autologic.care.models import Appointment, Course, Resource
from autologic.clinical.models import EligibilityDecision
from autologic.common import clock
from autologic.common.clock import local_today
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error, date_from_query
from autologic.common.messages import message_for
from autologic.patients.models import Patient
from autologic.protocols.domain.schema import Protocol

DAY_FIRST_HOUR, DAY_LAST_HOUR = 7, 20  # the day view's time axis
SVG_WIDTH = 960
LABEL_WIDTH = 180
ROW_HEIGHT = 34


def course_new(request: HttpRequest, patient_id: int, decision_id: int) -> HttpResponse:
    """Start a course from a signed decision: injections, guidance, earliest start."""
    patient = _patient(request, patient_id)
    decision = (
        EligibilityDecision.objects.select_related("protocol", "assessment")
        .filter(pk=decision_id, patient=patient)
        .exclude(verdict="not_eligible")
        .first()
    )
    if decision is None:
        raise Http404
    site = request.user.site
    today = local_today(site.time_zone)
    protocol = decision.protocol.protocol
    form = CourseForm(
        request.POST or None,
        site=site,
        protocol=protocol,
        today=today,
        initial={
            "injections": protocol.injections.count.default,
            "guidance": protocol.injections.guidance[0],
            "earliest_start": today + timedelta(days=1),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            course = actions.create_course(
                decision=decision,
                injections=form.cleaned_data["injections"],
                guidance=form.cleaned_data["guidance"],
                earliest_start=form.cleaned_data["earliest_start"],
                notes=form.cleaned_data["notes"],
                by=request.user,
                variant=form.cleaned_data.get("variant", ""),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Course created. Schedule it when ready."))
            return redirect("care:course", course_id=course.pk)
    context = {
        "patient": patient,
        "decision": decision,
        "protocol": protocol,
        "form": form,
    }
    return render(request, "care/course_new.html", context, status=_status(form))


def course_list(request: HttpRequest) -> HttpResponse:
    """The site's courses: waiting, needing attention, scheduled."""
    status = request.GET.get("status", "")
    if status not in {s for s, _label in choices.COURSE_STATUSES}:
        status = ""
    courses = queries.course_list(request.user.site, status)
    context = {"courses": courses, "status": status, "statuses": choices.COURSE_STATUSES}
    return render(request, "care/course_list.html", context)


def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course's timeline: every event, its time or window, resources and kits."""
    course = _course(request, course_id)
    record_read(request.user, "patient", course.patient_id, what=f"course {course.pk}")
    pathway = queries.pathway_for(course)
    context = {
        "course": course,
        "patient": course.patient,
        "protocol": course.plan,
        "timeline": queries.timeline(course),
        "regions": list(course.regions.all()),
        "kits": pathway.kits,
        "kits_per_session": pathway.kits_per_session,
        "consumables": pathway.consumables,
        "labels": event_labels(pathway, course.plan),
        "instruments": {e.key: e.instruments for e in pathway.events},
        # Phases with a key are follow-up items on the outcomes page (started, done, problem).
        "tracked_rehab": any(p.key for p in course.plan.rehabilitation),
        "now": clock.now(),
        # A session can be reported missed from a day before it until it happens.
        "recent": clock.now() - timedelta(days=1),
    }
    return render(request, "care/course_detail.html", context)


@require_POST
def course_schedule(request: HttpRequest, course_id: int) -> HttpResponse:
    """Book the whole course at its earliest feasible place."""
    course = _course(request, course_id)
    version = _int(request.POST.get("version"))
    try:
        outcome = actions.schedule_course(course=course, by=request.user, expected_version=version)
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("care:course", course_id=course.pk)
    if outcome.ok:
        messages.success(
            request, _("Course scheduled: %(n)s events booked.") % {"n": len(outcome.moved)}
        )
    else:
        messages.error(request, _("The course does not fit; see why below."))
    return redirect("care:course", course_id=course.pk)


@require_POST
def appointment_missed(request: HttpRequest, course_id: int, appointment_id: int) -> HttpResponse:
    """Record a missed or cancelled session and re-plan the rest of the course."""
    course = _course(request, course_id)
    appointment = Appointment.objects.filter(pk=appointment_id, course=course).first()
    if appointment is None:
        raise Http404
    form = MissedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the appointment was missed or cancelled."))
        return redirect("care:course", course_id=course.pk)
    try:
        outcome = actions.report_missed(
            appointment=appointment,
            reason=form.cleaned_data["reason"],
            by=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("care:course", course_id=course.pk)
    if outcome.ok:
        messages.success(
            request,
            _("Re-planned: %(n)s events moved inside the protocol's windows.")
            % {"n": len(outcome.moved)},
        )
    else:
        messages.error(request, _("The rest of the course cannot be re-planned; see why below."))
    return redirect("care:course", course_id=course.pk)


def calendar(request: HttpRequest) -> HttpResponse:
    """Day or week calendar of the site's resources."""
    site = request.user.site
    today = local_today(site.time_zone)
    mode = "week" if request.GET.get("view") == "week" else "day"
    kind = request.GET.get("kind", "")
    if kind not in {k for k, _label in choices.RESOURCE_KINDS}:
        kind = ""
    typed, day_error = date_from_query(request.GET, "date", Calendar(site.calendar))
    day = typed or today
    first = day - timedelta(days=day.weekday()) if mode == "week" else day
    days = 7 if mode == "week" else 1
    rows = queries.calendar(site, first, days, kind)
    closed = queries.closed_days(site, first, days)
    record_read(request.user, "site", site.pk, what=f"resource calendar {first.isoformat()} {mode}")
    step = 7 if mode == "week" else 1
    context: dict[str, Any] = {
        "mode": mode,
        "kind": kind,
        "kinds": choices.RESOURCE_KINDS,
        "day": day,
        "day_error": day_error,
        "first": first,
        "dates": [first + timedelta(days=i) for i in range(days)],
        "previous": first - timedelta(days=step),
        "next": first + timedelta(days=step),
        "today": today,
        "rows": rows,
        # Keyed by ISO date: the template's getitem looks keys up as text.
        "closed": {d.isoformat(): reason for d, reason in closed.items()},
        "stranded": queries.stranded(site, first, days),
    }
    if mode == "day":
        context["svg"] = _day_svg(rows, day, ZoneInfo(site.time_zone))
    else:
        context["week"] = _week_cells(rows, days, [d in closed for d in context["dates"]])
    return render(request, "care/calendar.html", context)


def resources(request: HttpRequest) -> HttpResponse:
    """The site's resources and closing days; managers add and retire them."""
    site = request.user.site
    form = ResourceForm(request.POST or None, prefix="resource")
    closed_form = ClosedDayForm(None, site=site, prefix="closed")
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_resource(site=site, data=form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Resource added."))
            return redirect("care:resources")
    return _resources_page(request, form, closed_form)


@require_POST
def closed_day_add(request: HttpRequest) -> HttpResponse:
    """Close the site on a day."""
    site = request.user.site
    closed_form = ClosedDayForm(request.POST, site=site, prefix="closed")
    if closed_form.is_valid():
        try:
            closing = actions.add_closed_day(
                site=site,
                day=closed_form.cleaned_data["day"],
                reason=closed_form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(closed_form, exc)
        else:
            messages.success(request, _("Closing day added."))
            if closing.replanned:
                messages.info(
                    request,
                    ngettext(
                        "%(n)s course booked that day was re-planned inside its protocol's "
                        "windows: tell the patient.",
                        "%(n)s courses booked that day were re-planned inside their protocols' "
                        "windows: tell the patients.",
                        len(closing.replanned),
                    )
                    % {"n": len(closing.replanned)},
                )
            if closing.attention:
                messages.warning(
                    request,
                    ngettext(
                        "%(n)s course booked that day could not be re-planned and needs attention.",
                        "%(n)s courses booked that day could not be re-planned and need attention.",
                        len(closing.attention),
                    )
                    % {"n": len(closing.attention)},
                )
            return redirect("care:resources")
    return _resources_page(request, ResourceForm(prefix="resource"), closed_form)


@require_POST
def resource_active(request: HttpRequest, resource_id: int) -> HttpResponse:
    """Take a resource out of use or back into use."""
    resource = Resource.objects.filter(pk=resource_id, site=request.user.site).first()
    if resource is None:
        raise Http404
    actions.set_resource_active(
        resource=resource, active=request.POST.get("active") == "1", by=request.user
    )
    return redirect("care:resources")


def _resources_page(
    request: HttpRequest, form: ResourceForm, closed_form: ClosedDayForm
) -> HttpResponse:
    site = request.user.site
    today = local_today(site.time_zone)
    context = {
        "resources": Resource.objects.filter(site=site).select_related("staff"),
        "units": choices.CAPACITY_UNITS,
        "closed": queries.closed_days(site, today - timedelta(days=30), 400),
        "form": form,
        "closed_form": closed_form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "care/resources.html", context, status=status)


def event_labels(pathway: Pathway, protocol: Protocol) -> dict[str, str]:
    """A name for each event of a course in the user's language, from the protocol's data."""
    return {event.key: event_label(event.kind, event.key, protocol) for event in pathway.events}


def _day_svg(rows: list[queries.CalendarRow], day: date, zone: ZoneInfo) -> dict[str, Any]:
    """Geometry of the day view: one lane per resource, a block per booking."""
    origin = datetime.combine(day, time(DAY_FIRST_HOUR), zone)
    span = (DAY_LAST_HOUR - DAY_FIRST_HOUR) * 60
    scale = (SVG_WIDTH - LABEL_WIDTH) / span
    lanes = []
    for index, row in enumerate(rows):
        y = 30 + index * ROW_HEIGHT
        blocks = []
        for item in row.per_day[0]:
            start = max(0.0, (item["start"] - origin).total_seconds() / 60)
            end = min(float(span), (item["end"] - origin).total_seconds() / 60)
            if end <= start:
                continue
            blocks.append(
                {
                    **item,
                    "x": round(LABEL_WIDTH + start * scale, 1),
                    "w": round(max(2.0, (end - start) * scale), 1),
                    "y": y + 3,
                    "h": ROW_HEIGHT - 8,
                    "kind": item["appointment"].kind if item["appointment"] else "hold",
                    "text_x": round(LABEL_WIDTH + start * scale + 3, 1),
                    "wide": (end - start) * scale > 40,
                    "text": _fit(f"{item['name']} · {item['label']}", (end - start) * scale - 6),
                }
            )
        _label_beside(blocks)
        lanes.append(
            {
                "row": row,
                "y": y,
                "text_y": y + ROW_HEIGHT / 2 + 4,
                "blocks": blocks,
                "peak": _peak(row.per_day[0]) if row.resource.capacity > 1 else None,
            }
        )
    hours = [
        {"x": round(LABEL_WIDTH + (h - DAY_FIRST_HOUR) * 60 * scale, 1), "label": f"{h:02d}:00"}
        for h in range(DAY_FIRST_HOUR, DAY_LAST_HOUR)
    ]
    return {
        "width": SVG_WIDTH,
        "height": 40 + len(rows) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "hours": hours,
        "lanes": lanes,
        "bottom": 30 + len(rows) * ROW_HEIGHT,
    }


def _label_beside(blocks: list[dict[str, Any]]) -> None:
    """A booking too short for its label (a 30-minute injection) is labelled beside it, in
    the free time before the lane's next booking."""
    shown = sorted((b for b in blocks if not b["hold"]), key=lambda b: b["x"])
    for index, block in enumerate(shown):
        full = f"{block['name']} · {block['label']}"
        if block["wide"] and block["text"] == full:
            continue
        end = block["x"] + block["w"]
        following = [b["x"] for b in shown[index + 1 :] if b["x"] >= end]
        room = min(following, default=SVG_WIDTH) - end - 6
        if room > block["w"] and room > 40:
            block.update(text_x=round(end + 3, 1), text=_fit(full, room), wide=True, beside=True)


# Average advance of a character of the day view's 10 px block labels, in SVG units.
CHAR_WIDTH = 5.6


def _fit(text: str, width: float) -> str:
    """The text cut to what a block of this width shows, with an ellipsis when cut."""
    room = int(width / CHAR_WIDTH)
    return text if len(text) <= room else text[: max(1, room - 1)].rstrip() + "…"


def _peak(items: list[dict[str, Any]]) -> int:
    """Highest amount held at once during the day (tubes, freezer positions)."""
    events = []
    for item in items:
        events.append((item["start"], item["booking"].amount))
        events.append((item["end"], -item["booking"].amount))
    level = peak = 0
    for _when, delta in sorted(events, key=lambda e: (e[0], e[1])):
        level += delta
        peak = max(peak, level)
    return peak


def _week_cells(
    rows: list[queries.CalendarRow], days: int, closed: list[bool]
) -> list[dict[str, Any]]:
    """Per resource and day: the bookings that start then, the day's load, and whether the
    clinic is closed that day."""
    week = []
    for row in rows:
        cells = []
        for index in range(days):
            items = sorted(row.per_day[index], key=lambda i: i["start"])
            cells.append(
                {
                    "items": [i for i in items if not i["hold"]][:8],
                    "more": max(0, len([i for i in items if not i["hold"]]) - 8),
                    "holds": _peak(items) if row.resource.capacity > 1 else None,
                    "load": row.load[index],
                    "bar": round(row.load[index] * 100),
                    "closed": closed[index],
                }
            )
        week.append({"row": row, "cells": cells})
    return week


def _course(request: HttpRequest, course_id: int) -> Course:
    course = (
        Course.objects.select_related("patient", "protocol", "decision", "site")
        .filter(pk=course_id, site=request.user.site)
        .first()
    )
    if course is None:
        raise Http404
    return course


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if patient is None:
        raise Http404
    return patient


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200
