"""Adverse-event pages: the site's list, record, the event with its history, follow-up, alerts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autologic.adverse_events import actions, choices, queries
from autologic.adverse_events.domain import ctcae, rules
from autologic.adverse_events.forms import RecordForm, UpdateForm
from autologic.adverse_events.messages import add_error, message_for
from autologic.adverse_events.models import AdverseEvent
from autologic.audit.actions import record_read
from autologic.common import clock
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import ConflictError, DomainError
from autologic.common.forms import int_or_none
from autologic.patients.models import Patient
from autologic.recalls.queries import lot_offer


def event_list(request: HttpRequest) -> HttpResponse:
    """The site's adverse events, filtered to serious and/or open ones."""
    site = request.user.site
    serious = request.GET.get("serious") == "1"
    open_only = request.GET.get("open") == "1"
    rows = queries.site_events(site, serious_only=serious, open_only=open_only)
    if rows:
        actions.record_list_read(by=request.user, patient_ids={r.patient_id for r in rows})
    return render(
        request,
        "adverse_events/list.html",
        {"rows": rows, "serious": serious, "open": open_only, "limit": queries.LIST_LIMIT},
    )


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    patient = (
        Patient.objects.select_related("site").filter(pk=patient_id, site=request.user.site).first()
    )
    if patient is None:
        raise Http404
    return patient


def record(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a new adverse event of a patient (from the chart or an injection session)."""
    patient = _patient(request, patient_id)
    now = clock.now()
    initial: dict[str, Any] = {"onset_at": now}
    administration = int_or_none(request.GET.get("administration"))
    if administration is not None:
        initial["administration"] = administration
    form = RecordForm(request.POST or None, patient=patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.record_adverse_event(
                patient, form.report(), by=request.user, now=clock.now()
            )
        except DomainError as exc:
            add_error(form, exc)
        else:
            if event.serious:
                messages.warning(
                    request,
                    _("Serious adverse event recorded; %(n)s people were alerted.")
                    % {"n": event.notifications.count()},
                )
            else:
                messages.success(request, _("Adverse event recorded."))
            return redirect("adverse_events:detail", record_id=event.pk)
    record_read(request.user, "patient", patient.pk, what="adverse event form")
    return render(
        request,
        "adverse_events/record.html",
        {"patient": patient, "form": form},
        status=400 if form.errors else 200,
    )


def detail(request: HttpRequest, record_id: int) -> HttpResponse:
    """One event: the report, its follow-ups, who was told and how, and the user's alert."""
    page = queries.event_page(request.user.site, record_id, request.user)
    if page is None:
        raise Http404
    event = page.event
    labels = dict(choices.CRITERIA)
    record_read(request.user, "patient", event.patient_id, what="adverse event")
    return render(
        request,
        "adverse_events/detail.html",
        {
            "page": page,
            "event": event,
            "patient": event.patient,
            "grade_text": _term(event).grades.get(event.grade, ""),
            "criteria": [labels.get(c, c) for c in event.criteria],
            "reporting": rules.reportability(_assessment(event), known_since=event.recorded_at),
            # An event linked to a unit offers to hold the rest of its lot (a recall).
            "lot_offer": lot_offer(event),
        },
    )


def _term(event: AdverseEvent) -> ctcae.Term:
    return rules.term_of(event.term, event.soc, event.term_other or "-")


def _assessment(event: AdverseEvent) -> rules.Assessment:
    return rules.Assessment(
        grade=event.grade,
        serious=event.serious,
        criteria=tuple(event.criteria),
        related_product=event.related_product,
        related_procedure=event.related_procedure,
        outcome=event.outcome,
        resolved_on=event.resolved_on,
        resolved_time=event.resolved_time,
    )


def update(request: HttpRequest, record_id: int) -> HttpResponse:
    """Record a follow-up; a stale form is refused without losing what was typed."""
    event = (
        AdverseEvent.objects.select_related("patient", "site")
        .filter(pk=record_id, site=request.user.site)
        .first()
    )
    if event is None:
        raise Http404
    initial = {name: getattr(event, name) for name in (*actions.JUDGEMENT, "version")}
    form = UpdateForm(
        request.POST or None,
        initial=initial,
        term=_term(event),
        calendar=Calendar(event.site.calendar),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.update_adverse_event(
                    event.pk,
                    form.follow_up(note=form.cleaned_data["note"]),
                    by=request.user,
                    # A form without its version cannot prove it saw the latest data: stale.
                    expected_version=form.cleaned_data.get("version") or 0,
                    now=clock.now(),
                )
            except DomainError as exc:
                add_error(form, exc)
                status = 409 if isinstance(exc, ConflictError) else 400
            else:
                messages.success(request, _("Follow-up recorded."))
                return redirect("adverse_events:detail", record_id=event.pk)
    record_read(request.user, "patient", event.patient_id, what="adverse event follow-up")
    return render(
        request,
        "adverse_events/update.html",
        {"event": event, "patient": event.patient, "form": form},
        status=status,
    )


@require_POST
def acknowledge(request: HttpRequest, record_id: int) -> HttpResponse:
    """Acknowledge the user's alert about a serious event."""
    event = AdverseEvent.objects.filter(pk=record_id, site=request.user.site).first()
    if event is None:
        raise Http404
    try:
        actions.acknowledge_alert(event, by=request.user, now=clock.now())
    except DomainError as exc:
        messages.error(request, message_for(exc))
    else:
        messages.success(request, _("Alert acknowledged."))
    if request.POST.get("next") == "dashboard":
        return redirect("dashboard:home")
    return redirect("adverse_events:detail", record_id=event.pk)


def term_grades(request: HttpRequest) -> HttpResponse:
    """The CTCAE v5.0 grade definitions of a term (the record form loads them with htmx)."""
    code = request.GET.get("term", "")[:40]
    soc = request.GET.get("soc", "")[:20]
    term = None
    if code == ctcae.OTHER and soc in ctcae.SOCS:
        term = ctcae.other_term(soc, "…")
    elif code in ctcae.BY_CODE:
        term = ctcae.BY_CODE[code]
    return render(request, "adverse_events/_grades.html", {"term": term})
