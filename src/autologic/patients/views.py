"""Patient pages: search, register, chart, edit, consents."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autologic.audit.actions import record_read, verify_signer
from autologic.common.clock import local_today
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error
from autologic.patients import actions, queries
from autologic.patients.domain import DuplicateCandidate, possible_duplicate
from autologic.patients.forms import (
    ConsentForm,
    ConsentWithdrawalForm,
    PatientForm,
    RenumberForm,
)
from autologic.patients.models import Consent, Patient
from autologic.protocols import queries as protocol_queries


def patient_list(request: HttpRequest) -> HttpResponse:
    """Search the site's patients; htmx requests get only the result rows."""
    text = request.GET.get("q", "")[:100]
    query, rows = queries.search(request.user.site, text)
    context = {"q": text, "query": query, "rows": rows, "limit": settings.PATIENT_SEARCH_LIMIT}
    if request.htmx:
        return render(request, "patients/_results.html", context)
    return render(request, "patients/list.html", context)


def patient_create(request: HttpRequest) -> HttpResponse:
    """Register a new patient."""
    site = request.user.site
    form = PatientForm(request.POST or None, site=site, today=local_today(site.time_zone))
    duplicates: list[DuplicateCandidate] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["different_person"]:
            duplicates = queries.likely_duplicates(
                site, data["family_name"], data["given_name"], data["date_of_birth"]
            )
        try:
            if duplicates:
                raise possible_duplicate(duplicates, Calendar(site.calendar), get_language())
            patient = actions.create_patient(site=site, data=data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Patient %(name)s registered.") % {"name": patient.full_name}
            )
            return redirect("patients:detail", patient_id=patient.pk)
    context = {"form": form, "creating": True, "duplicates": duplicates}
    return render(request, "patients/form.html", context, status=_status(form))


def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show a patient's chart and log the read."""
    try:
        chart = queries.chart(request.user.site, patient_id)
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    record_read(request.user, "patient", chart.patient.pk)
    return render(request, "patients/detail.html", {"chart": chart, "patient": chart.patient})


def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Edit demographics; a stale form is refused without losing what was typed."""
    site = request.user.site
    patient = _patient_or_404(request, patient_id)
    if request.method == "GET":
        record_read(request.user, "patient", patient.pk, what="edit form")
    initial = {name: getattr(patient, name) for name in actions.PATIENT_FIELDS}
    form = PatientForm(
        request.POST or None,
        initial={**initial, "version": patient.version},
        site=site,
        today=local_today(site.time_zone),
    )
    # The MRN changes only by a signed renumbering, which voids the old wristbands.
    form.fields["mrn"].disabled = True
    del form.fields["different_person"]  # asked only when registering
    form.fields["mrn"].help_text = _("Change it with “Renumber”, which is signed.")
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_patient(
                patient_id=patient.pk,
                site=site,
                data={**form.cleaned_data, "mrn": patient.mrn},
                # A form without its version cannot prove it saw the latest data: stale.
                expected_version=form.cleaned_data.get("version") or 0,
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("patients:detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient, "creating": False}
    return render(request, "patients/form.html", context, status=_status(form))


def consent_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a signed paper consent, e-signed by the staff member who records it."""
    site = request.user.site
    patient = _patient_or_404(request, patient_id)
    form = ConsentForm(
        request.POST or None,
        site=site,
        today=local_today(site.time_zone),
        born=patient.date_of_birth,
        procedures=[
            (p.code, p.protocol.title.get(get_language() or "en"))
            for p in protocol_queries.latest_active()
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            proof = verify_signer(
                request.user,
                password=form.cleaned_data["password"],
                otp_token=form.cleaned_data["otp_token"],
                session=request.session,
            )
            actions.add_consent(patient=patient, data=form.cleaned_data, proof=proof)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Consent recorded and signed."))
            return redirect("patients:detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient}
    return render(request, "patients/consent_form.html", context, status=_status(form))


def patient_renumber(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Give a patient a new MRN under signature; the old wristbands are voided."""
    site = request.user.site
    patient = _patient_or_404(request, patient_id)
    form = RenumberForm(request.POST or None, initial={"version": patient.version})
    if request.method == "POST" and form.is_valid():
        try:
            proof = verify_signer(
                request.user,
                password=form.cleaned_data["password"],
                otp_token=form.cleaned_data["otp_token"],
                session=request.session,
            )
            actions.renumber_patient(
                patient_id=patient.pk,
                site=site,
                new_mrn=form.cleaned_data["new_mrn"],
                reason=form.cleaned_data["reason"],
                proof=proof,
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Renumbered. The old wristbands are void: print the new wristband now."),
            )
            return redirect("patients:detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient}
    return render(request, "patients/renumber_form.html", context, status=_status(form))


def _patient_or_404(request: HttpRequest, patient_id: int) -> Patient:
    try:
        return Patient.objects.get(pk=patient_id, site=request.user.site)
    except Patient.DoesNotExist as exc:
        raise Http404 from exc


def _status(form: PatientForm | ConsentForm | RenumberForm) -> int:
    """Answer 400 to a submitted form with errors, so clients and tests can tell."""
    return 400 if form.is_bound and form.errors else 200


def consent_withdraw(request: HttpRequest, patient_id: int, consent_id: int) -> HttpResponse:
    """Record that the patient withdrew a consent, e-signed by the staff member."""
    site = request.user.site
    patient = _patient_or_404(request, patient_id)
    consent = Consent.objects.filter(pk=consent_id, patient=patient).first()
    if consent is None or consent.withdrawn is not None:
        raise Http404
    form = ConsentWithdrawalForm(
        request.POST or None,
        calendar=Calendar(site.calendar),
        initial={"withdrawn_on": local_today(site.time_zone)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            proof = verify_signer(
                request.user,
                password=form.cleaned_data["password"],
                otp_token=form.cleaned_data["otp_token"],
                session=request.session,
            )
            actions.withdraw_consent(
                consent=consent,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                note=form.cleaned_data["note"] or "",
                proof=proof,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Withdrawal recorded and signed."))
            return redirect("patients:detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient, "consent": consent}
    return render(request, "patients/consent_withdraw.html", context, status=_status(form))
