"""Outcome pages: the coordinators' follow-up lists, a patient's outcome charts, paper entry."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from autologic.audit.actions import record_read
from autologic.care.models import Appointment, Course
from autologic.clinical.models import AffectedRegion
from autologic.common import clock
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error, int_or_none
from autologic.outcomes import actions, charts, queries
from autologic.outcomes.domain import registry, thresholds
from autologic.outcomes.domain.schedule import State
from autologic.outcomes.forms import (
    LaterTreatmentForm,
    PaperEntryForm,
    RehabForm,
    SurgeryReportCheckForm,
    ThresholdForm,
)
from autologic.patients.models import Patient
from autologic.portal.actions import region_label
from autologic.portal.texts import wording

TABS = (State.DUE, State.OVERDUE, State.MISSED)


def follow_ups(request: HttpRequest) -> HttpResponse:
    """Follow-ups that are due, overdue or missed at this site."""
    site = request.user.site
    today = clock.local_today(site.time_zone)
    lists = queries.follow_ups(site, today)
    tab = request.GET.get("state", State.DUE)
    chosen = State(tab) if tab in {t.value for t in TABS} else State.DUE
    return render(
        request,
        "outcomes/follow_ups.html",
        {
            "today": today,
            "tabs": [(t, len(lists[t])) for t in TABS],
            "chosen": chosen,
            "rows": lists[chosen],
        },
    )


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if patient is None:
        raise Http404
    return patient


def patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's outcomes: each score over time per region, baseline, MCID band, gaps."""
    found = _patient(request, patient_id)
    record_read(request.user, "patient", found.pk, what="outcomes")
    today = clock.local_today(found.site.time_zone)
    lists = queries.follow_ups(found.site, today, patient=found)
    regions = queries.patient_outcomes(found, lists)
    panels = [
        {
            "region": r.region,
            "series": [(s, charts.chart(s)) for s in r.series],
            "responders": r.responders,
            "missing": r.missing,
        }
        for r in regions
    ]
    open_rows = [row for t in TABS for row in lists[t] if row.missing]
    return render(
        request,
        "outcomes/patient.html",
        {
            "patient": found,
            "panels": panels,
            "open_rows": open_rows,
            "today": today,
            "rehab": queries.rehab_courses(found, today),
            "joints": queries.treated_joints(found),
            "later": queries.later_treatments(found),
            "reported": queries.reported_surgeries(found),
        },
    )


def _target(request: HttpRequest, found: Patient) -> tuple[Appointment, AffectedRegion, str]:
    """The follow-up, region and instrument named in the query string, checked."""
    params = request.GET if request.method == "GET" else request.POST
    appointment = (
        Appointment.objects.filter(
            pk=int_or_none(params.get("appointment")), course__patient=found, key__startswith="fu-"
        )
        .select_related("course__patient")
        .prefetch_related("course__protocol")
        .first()
    )
    region = AffectedRegion.objects.filter(
        pk=int_or_none(params.get("region")), assessment__patient=found
    ).first()
    instrument = params.get("instrument", "")
    if appointment is None or region is None or not registry.known(instrument):
        raise Http404
    return appointment, region, registry.get(instrument).id


def enter(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Type in a paper questionnaire on the patient's behalf; it is marked staff-entered."""
    found = _patient(request, patient_id)
    appointment, region, instrument_id = _target(request, found)
    instrument = registry.get(instrument_id)
    calendar = Calendar(found.site.calendar)
    # The items as the patient's paper form words them, in the user's language where the
    # clinic has that wording (a licensed wording is shown by item number only).
    shown = wording(found.site, instrument.id, request.LANGUAGE_CODE)
    if shown is not None:
        shown = shown.with_region(region_label(region, request.LANGUAGE_CODE))
    form = PaperEntryForm(
        request.POST or None,
        instrument=instrument,
        wording=shown,
        calendar=calendar,
        initial={"completed_on": clock.local_today(found.site.time_zone)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            entry = actions.Entry(
                instrument=instrument.id,
                answers=form.answers(),
                completed_on=form.cleaned_data["completed_on"],
                language=request.LANGUAGE_CODE,
                mode="paper",
                region=region,
                appointment=appointment,
            )
            try:
                actions.submit_response(
                    found, entry, by=request.user, staff_entered=True, now=clock.now()
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(instrument)s saved and scored.")
                    % {"instrument": shown.title if shown is not None else instrument.id},
                )
                return redirect("outcomes:patient", patient_id=found.pk)
        status = 400
    record_read(request.user, "patient", found.pk, what="questionnaire entry")
    return render(
        request,
        "outcomes/enter.html",
        {
            "patient": found,
            "appointment": appointment,
            "region": region,
            "instrument": instrument,
            "title": shown.title if shown is not None else instrument.title,
            "form": form,
        },
        status=status,
    )


def thresholds_page(request: HttpRequest) -> HttpResponse:
    """The important-change and acceptable-state thresholds the clinic applies, and choosing."""
    site = request.user.site
    status = 200
    if request.method == "POST":
        form = ThresholdForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.choose_threshold(
                    site=site,
                    instrument=data["instrument"],
                    score=data["score"],
                    use=data["use"],
                    reference=data["reference"],
                    value=data["value"],
                    relative=data["relative"],
                    source=data["source"],
                    by=request.user,
                    now=clock.now(),
                )
            except DomainError as refused:
                messages.error(request, f"{refused.field or ''}: {refused.message}")
                status = 400
            else:
                messages.success(request, _("Threshold saved."))
                return redirect("outcomes:thresholds")
        else:
            for field, errors in form.errors.items():
                messages.error(request, f"{field}: {' '.join(errors)}")
            status = 400
    applied = queries.site_thresholds(site)
    rows = []
    for (instrument, score, use), threshold in sorted(applied.items()):
        options = [
            t
            for t in thresholds.REFERENCE
            if (t.instrument, t.score) == (instrument, score)
            and t.kind.is_change == (use == "change")
        ]
        rows.append(
            {
                "instrument": instrument,
                "score": score,
                "use": use,
                "applied": threshold,
                "options": options,
            }
        )
    return render(request, "outcomes/thresholds.html", {"rows": rows}, status=status)


def rehab_phase(request: HttpRequest, patient_id: int, course_id: int, phase: str) -> HttpResponse:
    """Record that a rehabilitation phase has started, is done, or has a problem."""
    found = _patient(request, patient_id)
    course = Course.objects.filter(pk=course_id, patient=found).select_related("protocol").first()
    if course is None:
        raise Http404
    today = clock.local_today(found.site.time_zone)
    item = next(
        (
            i
            for c in queries.rehab_courses(found, today)
            if c.course.pk == course.pk
            for i in c.items
            if i.phase.key == phase
        ),
        None,
    )
    if item is None:
        raise Http404
    initial = {"status": item.progress.status, "note": item.progress.note} if item.progress else {}
    form = RehabForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_rehab(
                course=course,
                phase=phase,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"] or "",
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("outcomes:patient", patient_id=found.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {"patient": found, "course": course, "item": item, "form": form}
    return render(request, "outcomes/rehab.html", context, status=status)


def later_treatment(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a replacement, repeat treatment or other surgery of a treated joint."""
    found = _patient(request, patient_id)
    joints = queries.treated_joints(found)
    if not joints:
        raise Http404
    record_read(request.user, "patient", found.pk, what="later treatments")
    labels = [region_label(t.region, request.LANGUAGE_CODE) for t in joints]
    choices = [
        (t.region.pk, label[:1].upper() + label[1:])
        for t, label in zip(joints, labels, strict=True)
    ]
    form = LaterTreatmentForm(
        request.POST or None, joints=choices, calendar=Calendar(found.site.calendar)
    )
    if request.method == "POST" and form.is_valid():
        region = next(t.region for t in joints if t.region.pk == form.cleaned_data["region"])
        try:
            actions.record_later_treatment(
                patient=found,
                region=region,
                kind=form.cleaned_data["kind"],
                performed_on=form.cleaned_data["performed_on"],
                source=form.cleaned_data["source"],
                note=form.cleaned_data["note"] or "",
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("outcomes:patient", patient_id=found.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {"patient": found, "joints": joints, "form": form}
    return render(request, "outcomes/later_treatment.html", context, status=status)


def surgery_report(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record that a patient's reported surgery was checked and no operation of the joint was
    done (an operation found is recorded as a later treatment instead)."""
    found = _patient(request, patient_id)
    response_id = int_or_none(request.GET.get("response") or request.POST.get("response"))
    report = next((r for r in queries.reported_surgeries(found) if r.response == response_id), None)
    if report is None:
        raise Http404
    record_read(request.user, "patient", found.pk, what="reported surgery")
    form = SurgeryReportCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.dismiss_surgery_report(
                patient=found,
                response_id=report.response,
                note=form.cleaned_data["note"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("outcomes:patient", patient_id=found.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = {"patient": found, "report": report, "form": form}
    return render(request, "outcomes/surgery_report.html", context, status=status)
