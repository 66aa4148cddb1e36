"""The staff side of the portal: send and withdraw links, see reminders, record licences."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autologic.audit.actions import record_read
from autologic.care.models import Appointment
from autologic.common import clock
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error
from autologic.outcomes.domain import registry
from autologic.patients.models import Patient
from autologic.portal import actions, queries, texts
from autologic.portal.forms import ClearanceForm, RevokeForm, SendForm
from autologic.portal.models import LicenceClearance, Link


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    found = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if found is None:
        raise Http404
    return found


def patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's owed questionnaires: what can be sent, what the gate holds, links, reminders."""
    found = _patient(request, patient_id)
    record_read(request.user, "patient", found.pk, what="questionnaire links")
    language = request.GET.get("language") or found.preferred_language or "en"
    today = clock.local_today(found.site.time_zone)
    return render(
        request,
        "portal/staff_patient.html",
        {
            "patient": found,
            "owed": queries.owed(found, today, language),
            "language": language,
            "send_form": SendForm(initial={"channel": "email", "language": language}),
            "revoke_form": RevokeForm(),
            "now": clock.now(),
        },
    )


@require_POST
def send(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Send (or hand over) a link to the questionnaires of one follow-up."""
    appointment = (
        Appointment.objects.select_related("course__patient", "course__site", "course__protocol")
        .filter(pk=appointment_id, course__site=request.user.site, key__startswith="fu-")
        .first()
    )
    if appointment is None:
        raise Http404
    found = appointment.course.patient
    form = SendForm(request.POST)
    if form.is_valid():
        channel, language = form.cleaned_data["channel"], form.cleaned_data["language"]
        try:
            if channel == "hand":
                issued = actions.issue_link(
                    appointment, language=language, by=request.user, now=clock.now()
                )
                qr = segno.make(issued.url, error="m").svg_inline(scale=5, title=_("Link"))
                response = render(
                    request,
                    "portal/staff_handover.html",
                    {"patient": found, "issued": issued, "qr": qr},
                )
                response["Cache-Control"] = "no-store"
                return response
            actions.send_link(
                appointment, channel=channel, language=language, by=request.user, now=clock.now()
            )
        except DomainError as refused:
            add_domain_error(form, refused)
        else:
            messages.success(request, _("The link is on its way to the patient."))
            return redirect("portal:patient", patient_id=found.pk)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{form[field].label if field in form.fields else ''} {error}")
    return redirect("portal:patient", patient_id=found.pk)


@require_POST
def revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    """Withdraw a link at once."""
    link = Link.objects.filter(pk=link_id, site=request.user.site).first()
    if link is None:
        raise Http404
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            actions.revoke_link(
                link, by=request.user, reason=form.cleaned_data["reason"], now=clock.now()
            )
        except DomainError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The link was withdrawn."))
    else:
        messages.error(request, _("Reason: say why the link is withdrawn."))
    return redirect("portal:patient", patient_id=link.patient_id)


def licences(request: HttpRequest) -> HttpResponse:
    """Each instrument's licence, the clinic's clearances, and the languages it can be sent in."""
    site = request.user.site
    form = ClearanceForm(request.POST or None, calendar=Calendar(site.calendar))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.record_clearance(
                    site,
                    form.cleaned_data["instrument"],
                    reference=form.cleaned_data["reference"],
                    valid_until=form.cleaned_data["valid_until"],
                    by=request.user,
                    now=clock.now(),
                )
            except DomainError as refused:
                add_domain_error(form, refused)
            else:
                messages.success(request, _("Licence recorded."))
                return redirect("portal:licences")
        status = 400
    today = clock.local_today(site.time_zone)
    cleared = texts.cleared(site, today)
    available = texts.languages(site)
    rows = [
        {
            "instrument": instrument,
            "cleared": instrument.id in cleared,
            "languages": sorted(available.get(instrument.id, set())),
        }
        for instrument in registry.INSTRUMENTS.values()
    ]
    return render(
        request,
        "portal/licences.html",
        {
            "rows": rows,
            "clearances": LicenceClearance.objects.filter(site=site).select_related("recorded_by"),
            "form": form,
        },
        status=status,
    )
