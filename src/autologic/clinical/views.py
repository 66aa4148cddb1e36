"""Clinical pages: the clinical record, assessments, recorded facts, eligibility."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from autologic.audit.actions import record_read, verify_signer
from autologic.audit.queries import signatures_for
from autologic.care.models import Course
from autologic.clinical import actions, queries
from autologic.clinical.domain.eligibility import Report, evaluate
from autologic.clinical.forms import (
    RECORD_FORMS,
    RECORD_TITLES,
    AssessmentForm,
    DecisionForm,
    GateExceptionForm,
    HoldConfirmationForm,
    RegionForm,
)
from autologic.clinical.models import AffectedRegion, Assessment, EligibilityDecision
from autologic.common import clock
from autologic.common.clock import local_today
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error, date_from_query, int_or_none
from autologic.patients.models import Patient
from autologic.protocols import queries as protocol_queries
from autologic.protocols.models import ProtocolVersion


def clinical_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's assessments, imaging, medications, studies, authorisations, decisions."""
    patient = _patient(request, patient_id)
    record_read(request.user, "patient", patient.pk, what="clinical record")
    record = queries.clinical_record(patient)
    context = {"patient": patient, "record": record, "protocols": protocol_queries.latest_active()}
    return render(request, "clinical/record.html", context)


def assessment_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Start a new assessment."""
    patient = _patient(request, patient_id)
    site = request.user.site
    today = local_today(site.time_zone)
    form = AssessmentForm(
        request.POST or None, site=site, today=today, initial={"assessed_on": today}
    )
    if request.method == "POST" and form.is_valid():
        assessment = actions.create_assessment(
            patient=patient, data=form.cleaned_data, by=request.user
        )
        messages.success(request, _("Assessment saved. Add the affected regions."))
        return redirect("clinical:region_add", patient_id=patient.pk, assessment_id=assessment.pk)
    context = {"patient": patient, "form": form, "title": _("New assessment")}
    return render(request, "clinical/form.html", context, status=_status(form))


def region_add(request: HttpRequest, patient_id: int, assessment_id: int) -> HttpResponse:
    """Add an affected region with its diagnosis and grade."""
    patient = _patient(request, patient_id)
    assessment = _assessment(patient, assessment_id)
    site = request.user.site
    form = RegionForm(
        request.POST or None,
        site=site,
        today=local_today(site.time_zone),
        initial={"grade_system": "KL"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_region(assessment=assessment, data=form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Region added."))
            if "another" in request.POST:
                return redirect(
                    "clinical:region_add", patient_id=patient.pk, assessment_id=assessment.pk
                )
            return redirect("clinical:record", patient_id=patient.pk)
    context = {
        "patient": patient,
        "form": form,
        "title": _("Affected region"),
        "assessment": assessment,
        "add_another": True,
    }
    return render(request, "clinical/form.html", context, status=_status(form))


def record_add(request: HttpRequest, patient_id: int, kind: str) -> HttpResponse:
    """Record imaging, a medication, a pre-operative study or an authorisation."""
    patient = _patient(request, patient_id)
    form_class = _form_class(kind)
    site = request.user.site
    form = form_class(request.POST or None, site=site, today=local_today(site.time_zone))
    if request.method == "POST" and form.is_valid():
        actions.add_record(kind=kind, patient=patient, data=form.cleaned_data, by=request.user)
        messages.success(request, _("Saved."))
        return redirect("clinical:record", patient_id=patient.pk)
    context = {"patient": patient, "form": form, "title": RECORD_TITLES[kind]}
    return render(request, "clinical/form.html", context, status=_status(form))


def record_edit(request: HttpRequest, patient_id: int, kind: str, record_id: int) -> HttpResponse:
    """Update a recorded fact, e.g. confirm a medication hold or record a grant."""
    patient = _patient(request, patient_id)
    form_class = _form_class(kind)
    model, fields = actions.RECORDS[kind]
    row = model.objects.filter(pk=record_id, patient=patient).first()
    if row is None:
        raise Http404
    site = request.user.site
    initial = {name: getattr(row, name) for name in fields}
    form = form_class(
        request.POST or None, site=site, today=local_today(site.time_zone), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_record(
                kind=kind,
                patient=patient,
                record_id=row.pk,
                data=form.cleaned_data,
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("clinical:record", patient_id=patient.pk)
    context = {"patient": patient, "form": form, "title": RECORD_TITLES[kind]}
    return render(request, "clinical/form.html", context, status=_status(form))


def eligibility(request: HttpRequest, patient_id: int, assessment_id: int) -> HttpResponse:
    """Show the eligibility report for a protocol; a physician signs a decision or override."""
    patient = _patient(request, patient_id)
    assessment = _assessment(patient, assessment_id)
    site = request.user.site
    today = local_today(site.time_zone)
    params = request.POST if request.method == "POST" else request.GET
    protocols = protocol_queries.latest_active()
    protocol = _chosen_protocol(params.get("protocol"), protocols)
    all_regions = list(assessment.regions.all())
    chosen_ids = {int_or_none(v) for v in params.getlist("regions")} - {None}
    regions = [r for r in all_regions if r.pk in chosen_ids] or all_regions
    planned, planned_error = date_from_query(params, "planned", Calendar(site.calendar))
    report: Report | None = None
    if protocol is not None:
        facts = queries.facts_for(assessment, regions, today=today, planned_collection=planned)
        report = evaluate(protocol.protocol, facts)
    verdict = report.verdict if report else ""
    form = DecisionForm(
        request.POST or None, initial={"verdict": verdict, "expected_verdict": verdict}
    )
    if request.method == "POST" and protocol is not None and report is not None:
        decision = _decide(request, form, assessment, protocol, report, regions)
        if decision is not None:
            return redirect("clinical:record", patient_id=patient.pk)
    context: dict[str, Any] = {
        "patient": patient,
        "assessment": assessment,
        "protocols": protocols,
        "protocol": protocol,
        "all_regions": all_regions,
        "regions": regions,
        "chosen_ids": {r.pk for r in regions},
        "planned": planned,
        "planned_text": params.get("planned", ""),
        "planned_error": planned_error,
        "report": report,
        "form": form,
        "evaluated_at": clock.now(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "clinical/eligibility.html", context, status=status)


def decision_detail(request: HttpRequest, patient_id: int, decision_id: int) -> HttpResponse:
    """A signed eligibility decision, printable, with its signatures."""
    patient = _patient(request, patient_id)
    decision = (
        EligibilityDecision.objects.select_related("protocol", "decided_by", "assessment")
        .filter(pk=decision_id, patient=patient)
        .first()
    )
    if decision is None:
        raise Http404
    record_read(request.user, "patient", patient.pk, what="eligibility decision")
    context = {
        "patient": patient,
        "decision": decision,
        "signatures": signatures_for("eligibility", decision.pk),
    }
    return render(request, "clinical/decision.html", context)


def hold_confirm(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Confirm with the patient, today, that they took none of the held drugs."""
    patient = _patient(request, patient_id)
    back = _next(request) or f"/clinical/{patient.pk}/"
    form = HoldConfirmationForm(
        request.POST or None, initial={"classes": ["anticoagulant", "antiplatelet", "nsaid"]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_medication_hold(
                patient=patient,
                classes=form.cleaned_data["classes"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Medication hold confirmed for today."))
            return redirect(back)
    record_read(request.user, "patient", patient.pk, what="medication hold")
    context = {
        "patient": patient,
        "form": form,
        "back": back,
        "medications": queries.clinical_record(patient).medications,
    }
    return render(request, "clinical/hold_confirm.html", context, status=_status(form))


def gate_exception(request: HttpRequest, course_id: int) -> HttpResponse:
    """A physician signs an exception to a gate before the course's collection, with a reason,
    where the protocol's preparation allows it."""
    course = (
        Course.objects.select_related("patient", "protocol", "site", "decision")
        .filter(pk=course_id, site=request.user.site)
        .first()
    )
    if course is None:
        raise Http404
    today = local_today(course.site.time_zone)
    allowed = queries.exceptable_gates(course)
    form = GateExceptionForm(
        request.POST or None, gates=allowed, initial={"gate": request.GET.get("gate")}
    )
    if request.method == "POST" and allowed and form.is_valid():
        try:
            proof = verify_signer(
                request.user,
                password=form.cleaned_data["password"],
                otp_token=form.cleaned_data["otp_token"],
                session=request.session,
            )
            actions.sign_gate_exception(
                course=course,
                gate=form.cleaned_data["gate"],
                reason=form.cleaned_data["reason"],
                proof=proof,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.warning(request, _("Exception signed and recorded in the audit trail."))
            return redirect("lab:collect", course_id=course.pk)
    record_read(request.user, "patient", course.patient_id, what="gate exception")
    exceptions = list(course.gate_exceptions.select_related("signed_by"))
    context = {
        "patient": course.patient,
        "course": course,
        "protocol": course.plan,
        "gate": queries.course_gate(course, today, today),
        "allowed": allowed,
        "exceptions": exceptions,
        "signatures": {e.pk: signatures_for("gate_exception", e.pk) for e in exceptions},
        "form": form,
    }
    return render(request, "clinical/gate_exception.html", context, status=_status(form))


def _next(request: HttpRequest) -> str:
    """A same-site page to return to (``next``), or an empty string."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target.startswith("/") else ""


def _decide(
    request: HttpRequest,
    form: DecisionForm,
    assessment: Assessment,
    protocol: ProtocolVersion,
    report: Report,
    regions: list[AffectedRegion],
) -> EligibilityDecision | None:
    if not form.is_valid():
        return None
    try:
        proof = verify_signer(
            request.user,
            password=form.cleaned_data["password"],
            otp_token=form.cleaned_data["otp_token"],
            session=request.session,
        )
        decision = actions.decide_eligibility(
            assessment=assessment,
            protocol=protocol,
            report=report,
            regions=[str(r) for r in regions],
            verdict=form.cleaned_data["verdict"],
            justification=form.cleaned_data["justification"],
            expected_verdict=form.cleaned_data["expected_verdict"],
            proof=proof,
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return None
    if decision.overridden:
        messages.warning(request, _("Override signed and recorded in the audit trail."))
    else:
        messages.success(request, _("Eligibility decision signed."))
    return decision


def _chosen_protocol(value: str | None, protocols: list[ProtocolVersion]) -> ProtocolVersion | None:
    wanted = int_or_none(value)
    if wanted is None:
        return None
    found = next((p for p in protocols if p.pk == wanted), None)
    return found or ProtocolVersion.objects.filter(pk=wanted, status="active").first()


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if patient is None:
        raise Http404
    return patient


def _assessment(patient: Patient, assessment_id: int) -> Assessment:
    assessment = Assessment.objects.filter(pk=assessment_id, patient=patient).first()
    if assessment is None:
        raise Http404
    return assessment


def _form_class(kind: str) -> Any:
    if kind not in RECORD_FORMS:
        raise Http404
    return RECORD_FORMS[kind]


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200
