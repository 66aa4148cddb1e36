"""Bedside pages: the day's sessions, one session (issue, thaw, scan, administer), wristbands."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autologic.accounts.models import User
from autologic.accounts.roles import CLINICIANS
from autologic.audit.actions import record_read, verify_signer
from autologic.care.models import Appointment, Course
from autologic.common import clock
from autologic.common.domain.calendars import DATE_EXAMPLE, Calendar, format_date
from autologic.common.domain.errors import DomainError, ValidationFailed
from autologic.common.forms import add_domain_error, date_from_query, int_or_none
from autologic.common.messages import message_for
from autologic.injections import actions, queries
from autologic.injections.domain import bedside
from autologic.injections.forms import AdministerForm, ScanForm
from autologic.injections.printing import wristband_pdf
from autologic.lab.models import Unit
from autologic.patients.models import Patient
from autologic.patients.queries import current_wristband


def today(request: HttpRequest) -> HttpResponse:
    """The injection sessions of a day, and courses whose units cannot cover what is left."""
    site = request.user.site
    now = clock.now()
    typed, refused = date_from_query(request.GET, "date", Calendar(site.calendar))
    if refused:
        messages.error(request, refused)
    on = typed or clock.local_today(site.time_zone)
    calendar = Calendar(site.calendar)
    return render(
        request,
        "injections/today.html",
        {
            "on": on,
            "day_text": request.GET.get("date", "")[:40] if refused else format_date(on, calendar),
            "day_example": DATE_EXAMPLE[calendar],
            "rows": queries.day(site, on),
            "alerts": queries.coverage_alerts(site, now),
            "now": now,
        },
    )


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.filter(
            pk=appointment_id, course__site=request.user.site, kind="injection"
        )
        .select_related("course__patient")
        .prefetch_related("course__protocol")
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def _verifiers(request: HttpRequest) -> Any:
    return (
        User.objects.filter(site=request.user.site, is_active=True, role__in=CLINICIANS)
        .exclude(pk=request.user.pk)
        .order_by("last_name", "first_name")
    )


def _page(
    request: HttpRequest,
    appointment_id: int,
    *,
    scan_form: ScanForm | None = None,
    verdict: bedside.Verdict | None = None,
    administer_form: AdministerForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    view = queries.session(appointment_id, request.user.site, now)
    if view is None:
        raise Http404
    record_read(request.user, "patient", view.course.patient_id, what="injection session")
    context = {
        "view": view,
        "patient": view.course.patient,
        "now": now,
        "scan_form": scan_form or _scan_form(view.appointment),
        "verdict": verdict,
        "administer_form": administer_form,
    }
    if request.htmx and verdict:
        # htmx swaps only 2xx answers; the panel itself says pass, override, fail or stop.
        return render(request, "injections/_verdict.html", context)
    return render(request, "injections/session.html", context, status=status)


def _scan_form(appointment: Appointment, data: Any = None, **initial: Any) -> ScanForm:
    """The bedside scan form: the route defaults to the protocol's, and the spinal level is
    asked when the course treats the spine."""
    spine = any(r.region in bedside.SPINE for r in appointment.course.regions.all())
    route = queries.route_of(appointment.course.protocol_id)
    return ScanForm(data, initial={"route": route, **initial}, spine=spine)


def session(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One injection session: its planned sites and units, the bedside scan, the record."""
    return _page(request, appointment_id)


@require_POST
def reserve(request: HttpRequest, course_id: int) -> HttpResponse:
    """Reserve released units for the course's remaining sessions now."""
    course = Course.objects.filter(pk=course_id, site=request.user.site).first()
    if course is None:
        raise Http404
    plan = actions.reserve_for_course(course, by=request.user, now=clock.now())
    if plan.warnings:
        messages.warning(request, _("Reserved what there is; some sessions are not covered."))
    else:
        messages.success(request, _("Every remaining session has its units reserved."))
    back = int_or_none(request.POST.get("next"))
    if back is not None:
        return redirect("injections:session", appointment_id=back)
    return redirect("injections:today")


def _unit_move(request: HttpRequest, appointment_id: int, unit_id: int, move: Any) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    if not Unit.objects.filter(pk=unit_id, site=request.user.site).exists():
        raise Http404
    try:
        unit = move(
            appointment,
            unit_id,
            by=request.user,
            now=clock.now(),
            expected_version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
    else:
        messages.success(
            request,
            _("%(unit)s: %(status)s.")
            % {"unit": unit.identifier, "status": unit.get_status_display()},
        )
    return redirect("injections:session", appointment_id=appointment.pk)


@require_POST
def issue(request: HttpRequest, appointment_id: int, unit_id: int) -> HttpResponse:
    """Take a reserved unit out of storage for this session."""
    return _unit_move(request, appointment_id, unit_id, actions.issue)


@require_POST
def thaw(request: HttpRequest, appointment_id: int, unit_id: int) -> HttpResponse:
    """Start thawing an issued unit; the thaw-to-injection timer starts."""
    return _unit_move(request, appointment_id, unit_id, actions.thaw)


@require_POST
def return_to_stock(request: HttpRequest, appointment_id: int, unit_id: int) -> HttpResponse:
    """Take an issued unit that was not used back to stock, within the time out of the
    freezer the protocol allows."""
    return _unit_move(request, appointment_id, unit_id, actions.return_to_stock)


def _administer_form(
    request: HttpRequest, appointment: Appointment, verdict: bedside.Verdict, data: Any = None
) -> AdministerForm:
    scan = data_from_scan(request)
    protocol_id = appointment.course.protocol_id
    return AdministerForm(
        data,
        initial={"reactions": [], **scan},
        verifiers=_verifiers(request),
        override=verdict.outcome == bedside.OVERRIDE,
        off_window=verdict.needs_timing_reason,
        route=scan["route"] or queries.route_of(protocol_id),
        anaesthesia=queries.anaesthesia_of(protocol_id),
    )


def data_from_scan(request: HttpRequest) -> dict[str, str]:
    """Carry what was scanned and confirmed into the administration form."""
    return {
        name: request.POST.get(name, "")
        for name in ("wristband", "unit", "region", "side", "level", "route")
    }


def _verdict(
    request: HttpRequest, appointment: Appointment, scan: dict[str, str]
) -> bedside.Verdict:
    """The bedside check of what was scanned and confirmed, with the session's timing."""
    now = clock.now()
    return queries.verify(
        request.user.site_id,
        queries.session_of(appointment),
        wristband=scan["wristband"],
        unit_scan=scan["unit"],
        region=scan["region"],
        side=scan["side"],
        level=scan.get("level", ""),
        route=scan.get("route", ""),
        now=now,
        timing=queries.timing_of(appointment, now),
    )


@require_POST
def verify(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The bedside scan: wristband, unit and confirmed site against the plan."""
    appointment = _appointment(request, appointment_id)
    form = _scan_form(appointment, request.POST)
    if not form.is_valid():
        return _page(request, appointment.pk, scan_form=form, status=400)
    data = form.cleaned_data
    now = clock.now()
    verdict = _verdict(request, appointment, data)
    if verdict.outcome == bedside.STOP:
        actions.record_refusal(
            appointment,
            verdict,
            wristband=data["wristband"],
            unit_scan=data["unit"],
            by=request.user,
            now=now,
        )
    administer_form = (
        _administer_form(request, appointment, verdict) if verdict.may_proceed else None
    )
    if administer_form is not None:
        administer_form.initial["guidance"] = appointment.course.guidance
        dose = appointment.course.plan.product.dose
        if dose and dose.volume_ml:
            administer_form.initial["volume_ml"] = dose.volume_ml
    return _page(
        request,
        appointment.pk,
        scan_form=_scan_form(appointment, **data) if verdict.may_proceed else form,
        verdict=verdict,
        administer_form=administer_form,
        status=200 if verdict.may_proceed else 409 if verdict.outcome == bedside.STOP else 400,
    )


@require_POST
def administer(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Record the injection, signed by the operator and the second verifier."""
    appointment = _appointment(request, appointment_id)
    now = clock.now()
    posted = data_from_scan(request)
    verdict = _verdict(request, appointment, posted)
    form = _administer_form(request, appointment, verdict, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            operator = verify_signer(
                request.user,
                password=data["password"],
                otp_token=data["otp_token"],
                session=request.session,
            )
            verifier = data["verifier"]
            if verifier is None:
                raise ValidationFailed("verifier", "Choose the second verifier.", "verifier")
            second = verify_signer(
                verifier,
                password=data["verifier_password"],
                otp_token=data["verifier_otp_token"],
            )
            record = actions.administer(
                appointment,
                actions.Given(
                    wristband=data["wristband"],
                    unit_scan=data["unit"],
                    region=data["region"],
                    side=data["side"],
                    guidance=data["guidance"],
                    volume_ml=data["volume_ml"],
                    reactions=tuple(data["reactions"]),
                    reaction_notes=data["reaction_notes"],
                    override_reason=data.get("override_reason", ""),
                    level=data["level"],
                    route=data["route"],
                    timing_reason=data.get("timing_reason", ""),
                    approach=data["approach"],
                    anaesthetic=data["anaesthetic"],
                    anaesthetic_dose_mg=data["anaesthetic_dose_mg"],
                ),
                operator=operator,
                verifier=second,
                now=now,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Injection recorded: %(unit)s, signed by %(a)s and %(b)s.")
                % {
                    "unit": record.unit.identifier,
                    "a": record.operator.printed_name,
                    "b": record.second_verifier.printed_name,
                },
            )
            return redirect("injections:session", appointment_id=appointment.pk)
    return _page(
        request,
        appointment.pk,
        scan_form=_scan_form(appointment, **posted),
        verdict=verdict,
        administer_form=form if verdict.may_proceed else None,
        status=400,
    )


def wristband(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's wristband insert (PDF) with the wristband code the bedside scan reads."""
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    band = current_wristband(patient) if patient is not None else None
    if patient is None or band is None:
        raise Http404
    record_read(request.user, "patient", patient.pk, what="wristband")
    body = wristband_pdf(
        name=f"{patient.family_name}, {patient.given_name}",
        date_of_birth=patient.date_of_birth,
        mrn=patient.mrn,
        code=band.code,
        clinic=request.user.site.name,
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="wristband-{patient.mrn}.pdf"'
    return response
