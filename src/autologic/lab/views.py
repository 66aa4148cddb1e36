"""Lab pages: work queue, collection, a lot's processing, labels, QC and release, storage."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autologic.accounts.models import User
from autologic.accounts.roles import Role
from autologic.audit.actions import SignerProof, record_read, verify_signer
from autologic.care.models import Course
from autologic.clinical import queries as clinical_queries
from autologic.clinical.messages import TEXTS, finding_text
from autologic.common import clock
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError, ValidationFailed
from autologic.common.forms import add_domain_error
from autologic.common.messages import message_for
from autologic.lab import queries
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels as labelling
from autologic.lab.actions import reagents, storage
from autologic.lab.actions import release as qa
from autologic.lab.choices import INFECTIOUS_STATUSES
from autologic.lab.domain.collection import Harvest, Problem
from autologic.lab.domain.holds import Disposing
from autologic.lab.domain.processing import StepValues
from autologic.lab.domain.storage import LoggerFileError, parse_logger_csv
from autologic.lab.forms import (
    BoxInfectiousForm,
    CheckInForm,
    CollectionForm,
    DeviationForm,
    DiscardForm,
    DivideForm,
    ExceptionForm,
    LoggerFileForm,
    ReadingForm,
    ReagentUseForm,
    RequalifyForm,
    ResultDispositionForm,
    ResultForm,
    SignForm,
    StepForm,
)
from autologic.lab.models import (
    Box,
    Collection,
    Deviation,
    Excursion,
    Freezer,
    Label,
    QCResult,
    Run,
    StepRecord,
    Unit,
)
from autologic.lab.printing import content_for, pdf
from autologic.protocols.domain.schema import Protocol

COLLECTORS = (Role.PHYSICIAN, Role.NURSE, Role.LAB_TECHNICIAN)


def queue(request: HttpRequest) -> HttpResponse:
    """The lab's work queue: collections due, running steps with countdowns, QC, releases."""
    site = request.user.site
    now = clock.now()
    return render(request, "lab/queue.html", {"queue": queries.work_queue(site, now), "now": now})


def _course(request: HttpRequest, course_id: int) -> Course:
    course = (
        Course.objects.select_related("patient")
        .prefetch_related("protocol")
        .filter(pk=course_id, site=request.user.site)
        .first()
    )
    if course is None:
        raise Http404
    return course


def collect(request: HttpRequest, course_id: int) -> HttpResponse:
    """Record a collection for a course; the page shows the gate before collection (what is
    missing and where to fix it) from the same function the action enforces."""
    course = _course(request, course_id)
    site = request.user.site
    now = clock.now()
    today = now.astimezone(ZoneInfo(site.time_zone)).date()
    calendar = Calendar(site.calendar)
    staff = User.objects.filter(site=site, is_active=True, role__in=COLLECTORS).order_by(
        "last_name"
    )
    protocol = course.plan
    volume = protocol.collection.volume_ml or (
        (protocol.collection.volume_ml_per_injection or 0) * lab.planned_units(course)
    )

    needs = lab.harvest_needs(protocol)

    def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
        found = lab.collection_problems(
            course,
            collected_at=data.get("collected_at"),
            volume_ml=data.get("volume_ml"),
            containers=data.get("containers"),
            now=now,
            harvest=Harvest(
                last_intake_at=data.get("last_intake_at"),
                anaesthesia=data.get("anaesthesia") or "",
                sedation_agent=data.get("sedation_agent") or "",
                discharged_at=data.get("discharged_at"),
            ),
        )
        return [(p.field, problem_text(p, calendar)) for p in found]

    form = CollectionForm(
        request.POST or None,
        zone=site.time_zone,
        calendar=site.calendar,
        staff=staff,
        problems=problems,
        needs=needs,
        initial={
            "collected_at": now,
            "collected_by": request.user if request.user.role in COLLECTORS else None,
            "volume_ml": volume,
            "containers": lab.planned_units(course) if protocol.therapy == "acs" else 1,
            "container_type": _container(protocol.collection.kind),
            "anaesthesia": protocol.collection.anaesthesia,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            collection = lab.record_collection(
                course=course,
                collected_at=data["collected_at"],
                collected_by=data["collected_by"],
                volume_ml=data["volume_ml"],
                containers=data["containers"],
                container_type=data["container_type"],
                notes=data["notes"],
                by=request.user,
                now=now,
                harvest=form.harvest(),
            )
        except DomainError as exc:
            add_problems(form, exc, calendar)
        else:
            messages.success(request, _("Collection recorded; the specimen has its identifier."))
            return redirect("lab:lot", collection_id=collection.pk)
    record_read(request.user, "patient", course.patient_id, what="lab collection")
    context = {
        "course": course,
        "patient": course.patient,
        "protocol": protocol,
        "form": form,
        "gate": clinical_queries.course_gate(course, today, today),
        "markers": clinical_queries.course_markers(course, today),
    }
    return render(request, "lab/collect.html", context, status=400 if form.errors else 200)


def problem_text(problem: Problem, calendar: Calendar) -> str:
    """A collection problem in the user's language: a gate check's sentence, or the error's."""
    if problem.code in TEXTS:
        return finding_text(problem, calendar)
    error = ValidationFailed(problem.code, problem.message, problem.field, problem.params)
    return message_for(error)


def add_problems(form: CollectionForm, error: DomainError, calendar: Calendar) -> None:
    """Attach every problem of a refused collection to its field (or the whole form)."""
    found = error.data.get("problems") if isinstance(error.data, dict) else None
    if not found:
        add_domain_error(form, error)
        return
    for problem in found:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, problem_text(problem, calendar))


def _step_names(protocol: Protocol) -> dict[str, str]:
    """The protocol's processing steps by key, named in the user's language."""
    return {step.key: step.name.get(get_language() or "en") for step in protocol.processing}


def _container(kind: str) -> str:
    """The usual container, in the user's language: what is typed is kept as the record."""
    return {
        "blood_draw": _("10 mL glass-bead syringe"),
        "marrow_aspirate": _("Heparinised marrow bag"),
        "lipoaspirate": _("Lipoaspirate canister"),
    }[kind]


def lot(request: HttpRequest, collection_id: int) -> HttpResponse:
    """A lot's page: specimen, steps, units and labels, QC results and release."""
    view = queries.lot(collection_id, request.user.site)
    if view is None:
        raise Http404
    record_read(request.user, "patient", view.collection.patient_id, what="lab lot")
    return _render_lot(request, view)


def _render_lot(
    request: HttpRequest, view: queries.LotView, status: int = 200, **forms: Any
) -> HttpResponse:
    site = request.user.site
    now = clock.now()
    step = view.running or None
    current = (
        next((s for s in view.protocol.processing if s.key == step.key), None)
        if step
        else view.next_step
    )
    step_form = forms.get("step_form") or StepForm(
        zone=site.time_zone,
        calendar=site.calendar,
        step=current,
        initial={
            "key": step.key if step else (view.next_step.key if view.next_step else ""),
            "started_at": step.started_at if step else now,
            "ended_at": now if step else None,
            "g_force": view.next_step.g_force if view.next_step else None,
            "spin_min": view.next_step.spin_min if view.next_step else None,
        },
    )
    course = view.collection.course
    divide_form = forms.get("divide_form") or DivideForm(
        initial={
            "count": lab.planned_units(course),
            "volume_ml": view.protocol.product.dose.volume_ml
            if view.protocol.product.dose
            else None,
            "cells_million": (
                view.protocol.product.dose.cells_million.target
                if view.protocol.product.dose and view.protocol.product.dose.cells_million
                else None
            ),
        }
    )
    boxes = Box.objects.filter(rack__freezer__site=site).select_related("rack__freezer")
    context = {
        "view": view,
        "collection": view.collection,
        "patient": view.collection.patient,
        "protocol": view.protocol,
        "step_form": step_form,
        "divide_form": divide_form,
        "result_form": forms.get("result_form") or ResultForm(),
        "sign_form": forms.get("sign_form") or SignForm(),
        "exception_form": forms.get("exception_form") or ExceptionForm(),
        "disposition_form": forms.get("disposition_form") or ResultDispositionForm(),
        "disposition_of": forms.get("disposition_of"),
        "checkin_form": forms.get("checkin_form") or CheckInForm(boxes=boxes),
        # One form per open deviation; a refused decision comes back open, with its errors.
        "deviation_of": forms.get("deviation_of"),
        "deviation_forms": {
            str(d.pk): forms["deviation_form"]
            if d.pk == forms.get("deviation_of")
            else DeviationForm(auto_id=deviation_ids(d.pk))
            for d in view.deviations
        },
        "reagent_form": forms.get("reagent_form")
        or ReagentUseForm(
            prefix="reagent",
            steps=StepRecord.objects.filter(run__collection=view.collection),
            step_names=_step_names(view.protocol),
            calendar=site.calendar,
        ),
        "reagent_uses": queries.reagent_uses(view.collection),
        "lot_holds": queries.holds_on_lot(view.collection),
        "now": now,
        "two_signers": bool(view.protocol.release and view.protocol.release.signatures > 1),
        "can_divide": view.root.status == "processing"
        and view.next_step is not None
        and view.next_step.kind in ("aliquoting", "freezing")
        or view.root.status == "processing"
        and view.next_step is None,
    }
    return render(request, "lab/lot.html", context, status=status)


def deviation_ids(deviation_id: int) -> str:
    """Element ids of one deviation's decision form (a lot can show several)."""
    return f"id_deviation{deviation_id}_%s"


def _refused(request: HttpRequest, collection: Collection, **forms: Any) -> HttpResponse:
    """Show the lot again with the refused form and its errors (status 400)."""
    view = queries.lot(collection.pk, request.user.site)
    assert view is not None  # the collection was loaded for this site
    return _render_lot(request, view, 400, **forms)


def _lot_or_404(request: HttpRequest, collection_id: int) -> Collection:
    collection = Collection.objects.filter(pk=collection_id, site=request.user.site).first()
    if collection is None:
        raise Http404
    return collection


def _back(
    request: HttpRequest, collection: Collection, error: DomainError | None = None
) -> HttpResponse:
    if error is not None:
        messages.error(request, message_for(error))
    return redirect("lab:lot", collection_id=collection.pk)


@require_POST
def run_start(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Start processing a lot's specimen."""
    collection = _lot_or_404(request, collection_id)
    try:
        lab.start_run(collection, by=request.user, now=clock.now())
    except DomainError as exc:
        return _back(request, collection, exc)
    return _back(request, collection)


@require_POST
def step(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Start or finish a processing step (or record a culture passage)."""
    collection = _lot_or_404(request, collection_id)
    site = request.user.site
    now = clock.now()
    view = queries.lot(collection.pk, site)
    assert view is not None
    current = next((s for s in view.protocol.processing if s.key == request.POST.get("key")), None)
    form = StepForm(request.POST, zone=site.time_zone, calendar=site.calendar, step=current)
    if not form.is_valid():
        return _render_lot(request, view, 400, step_form=form)
    data = form.cleaned_data
    values = StepValues(
        started_at=data["started_at"] or now,
        ended_at=data["ended_at"],
        temperature_c=data["temperature_c"],
        g_force=data["g_force"],
        spin_min=data["spin_min"],
        cell_count_million=data["cell_count_million"],
        viability_pct=data["viability_pct"],
    )
    try:
        running = StepRecord.objects.filter(
            run__collection=collection,
            key=data["key"],
            passage=data["passage"],
            ended_at__isnull=True,
        ).first()
        if running is not None:
            lab.finish_step(running, values=values, by=request.user, now=now)
        else:
            run = Run.objects.filter(collection=collection).first()
            if run is None:
                raise ValidationFailed("run_not_started", "Start processing first.", None)
            lab.record_step(
                run,
                key=data["key"],
                values=values,
                passage=data["passage"],
                notes=data["notes"],
                by=request.user,
                now=now,
            )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_lot(request, view, 400, step_form=form)
    return _back(request, collection)


@require_POST
def divide(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Divide the processed specimen into labelled-to-be units."""
    collection = _lot_or_404(request, collection_id)
    form = DivideForm(request.POST)
    run = Run.objects.filter(collection=collection).first()
    if run is None:
        form.add_error(None, _("Start processing first."))
    elif form.is_valid():
        try:
            lab.divide(
                run,
                count=form.cleaned_data["count"],
                volume_ml=form.cleaned_data["volume_ml"],
                cells_million=form.cleaned_data["cells_million"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _back(request, collection)
    return _refused(request, collection, divide_form=form)


@require_POST
def print_labels(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Print labels for the lot's units that have none (or reprint the chosen ones)."""
    collection = _lot_or_404(request, collection_id)
    reprint = request.POST.get("reprint") == "1"
    units = Unit.objects.filter(collection=collection, parent__isnull=False)
    if reprint:
        units = units.filter(pk__in=request.POST.getlist("unit"))
    else:
        units = units.filter(labels__isnull=True)
    try:
        job = labelling.print_labels(list(units), by=request.user, now=clock.now(), reprint=reprint)
    except DomainError as exc:
        return _back(request, collection, exc)
    messages.success(request, _("Labels sent to the label printer (job %(job)s).") % {"job": job})
    return redirect(reverse("lab:lot", args=[collection.pk]) + f"?job={job}")


def labels_pdf(request: HttpRequest, collection_id: int, job: str) -> HttpResponse:
    """The PDF of one print job, for a desktop label printer or a sheet."""
    collection = _lot_or_404(request, collection_id)
    rows = list(
        Label.objects.filter(job=job, unit__collection=collection)
        .select_related("unit__chain__patient", "unit__collection__course__protocol", "unit__site")
        .order_by("unit__index")
    )
    if not rows:
        raise Http404
    record_read(request.user, "patient", collection.patient_id, what="labels")
    response = HttpResponse(
        pdf([content_for(row.unit) for row in rows]), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="labels-{job}.pdf"'
    return response


@require_POST
def label_state(request: HttpRequest, collection_id: int, label_id: int) -> HttpResponse:
    """Mark a label applied, voided or destroyed."""
    collection = _lot_or_404(request, collection_id)
    label = Label.objects.filter(pk=label_id, unit__collection=collection).first()
    if label is None:
        raise Http404
    try:
        labelling.set_label_state(
            label, state=request.POST.get("state", ""), by=request.user, now=clock.now()
        )
    except DomainError as exc:
        return _back(request, collection, exc)
    return _back(request, collection)


@require_POST
def result(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Enter one QC result."""
    collection = _lot_or_404(request, collection_id)
    form = ResultForm(request.POST)
    if form.is_valid():
        try:
            qa.record_result(
                collection,
                attribute=form.cleaned_data["attribute"],
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _back(request, collection)
    return _refused(request, collection, result_form=form)


@require_POST
def result_disposition(request: HttpRequest, collection_id: int, result_id: int) -> HttpResponse:
    """QA's signed disposition of a failed QC result: invalidated or confirmed."""
    collection = _lot_or_404(request, collection_id)
    row = QCResult.objects.filter(pk=result_id, collection=collection).first()
    if row is None:
        raise Http404
    form = ResultDispositionForm(request.POST)
    if form.is_valid():
        try:
            (proof,) = _proofs(request, form, False)
            qa.disposition_result(
                row,
                decision=form.cleaned_data["decision"],
                justification=form.cleaned_data["justification"],
                proof=proof,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _back(request, collection)
    return _refused(request, collection, disposition_form=form, disposition_of=row.pk)


def _proofs(
    request: HttpRequest,
    form: SignForm | DeviationForm | RequalifyForm | ResultDispositionForm,
    two: bool,
) -> list[SignerProof]:
    data = form.cleaned_data
    proofs = [
        verify_signer(
            request.user,
            password=data["password"],
            otp_token=data["otp_token"],
            session=request.session,
        )
    ]
    if two:
        proofs.append(
            _clinic_signer(
                request,
                data.get("second_username", ""),
                data["second_password"],
                data["second_otp_token"],
                unknown=ValidationFailed(
                    "second_signer",
                    "The second signer's user name is not known.",
                    "second_username",
                ),
            )
        )
    return proofs


def _clinic_signer(
    request: HttpRequest, username: str, password: str, otp_token: str, *, unknown: ValidationFailed
) -> SignerProof:
    """Another active user of the clinic re-authenticates; ``unknown`` is raised when the user
    name names none."""
    signer = User.objects.filter(username=username, site=request.user.site, is_active=True).first()
    if signer is None:
        raise unknown
    return verify_signer(signer, password=password, otp_token=otp_token)


def _two_signers(collection: Collection) -> bool:
    """Whether the lot's release specification asks for a second signature."""
    spec = collection.course.plan.release
    return bool(spec and spec.signatures > 1)


@require_POST
def release(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Release or reject the lot under electronic signature(s)."""
    collection = _lot_or_404(request, collection_id)
    form = SignForm(request.POST)
    two = _two_signers(collection)
    if form.is_valid():
        try:
            proofs = _proofs(request, form, two)
            qa.release_lot(
                collection,
                decision=form.cleaned_data["decision"],
                proofs=proofs,
                notes=form.cleaned_data["notes"],
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Decision signed."))
            return _back(request, collection)
    return _refused(request, collection, sign_form=form)


@require_POST
def release_with_exception(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Release a non-conforming lot on a physician's signed approval, the patient informed."""
    collection = _lot_or_404(request, collection_id)
    form = ExceptionForm(request.POST)
    two = _two_signers(collection)
    if form.is_valid():
        data = form.cleaned_data
        try:
            proofs = _proofs(request, form, two)
            approval = _clinic_signer(
                request,
                data["physician_username"],
                data["physician_password"],
                data["physician_otp_token"],
                unknown=ValidationFailed(
                    "physician_unknown",
                    "The approving physician's user name is not known.",
                    "physician_username",
                ),
            )
            qa.release_with_exception(
                collection,
                proofs=proofs,
                exception=qa.ReleaseException(
                    approval=approval,
                    reason=data["exception_reason"],
                    patient_informed=data["patient_informed"],
                ),
                notes=data["notes"],
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Released with exception, signed."))
            return _back(request, collection)
    return _refused(request, collection, exception_form=form)


@require_POST
def deviation(request: HttpRequest, collection_id: int, deviation_id: int) -> HttpResponse:
    """QA's signed disposition of one deviation."""
    collection = _lot_or_404(request, collection_id)
    row = Deviation.objects.filter(pk=deviation_id, run__collection=collection).first()
    if row is None:
        raise Http404
    form = DeviationForm(request.POST, auto_id=deviation_ids(row.pk))
    if form.is_valid():
        try:
            (proof,) = _proofs(request, form, False)
            qa.disposition_deviation(
                row,
                decision=form.cleaned_data["decision"],
                justification=form.cleaned_data["justification"],
                proof=proof,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _back(request, collection)
    return _refused(request, collection, deviation_form=form, deviation_of=row.pk)


@require_POST
def check_in(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Store the lot's unstored frozen units in the next free positions of a box."""
    collection = _lot_or_404(request, collection_id)
    boxes = Box.objects.filter(rack__freezer__site=request.user.site)
    form = CheckInForm(request.POST, boxes=boxes)
    if form.is_valid():
        units = list(
            Unit.objects.filter(
                collection=collection,
                parent__isnull=False,
                box__isnull=True,
                frozen=True,
                status__in=("quarantined", "released", "reserved"),
            )
        )
        try:
            storage.check_in(units, form.cleaned_data["box"], by=request.user, now=clock.now())
        except DomainError as exc:
            return _back(request, collection, exc)
        return redirect("lab:box", box_id=form.cleaned_data["box"].pk)
    return _back(request, collection)


def unit(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's record: lineage, custody events, storage moves and labels."""
    row = (
        Unit.objects.select_related(
            "chain", "patient", "collection", "parent", "box__rack__freezer"
        )
        .filter(pk=unit_id, site=request.user.site)
        .first()
    )
    if row is None:
        raise Http404
    record_read(request.user, "patient", row.patient_id, what="unit record")
    events = list(row.events.select_related("by"))
    # Adverse events after use arrive as custody notes (lab.actions.notes); the latest per event.
    adverse = {e.detail.get("adverse_event"): e for e in events if e.move.startswith("adverse_")}
    context = {
        "unit": row,
        "patient": row.patient,
        "events": events,
        "adverse": list(adverse.values()),
        "moves": list(row.storage_events.select_related("box__rack", "by")),
        "labels": list(row.labels.select_related("printed_by", "changed_by")),
        "children": list(row.children.all()),
        "discard_form": DiscardForm(),
        "requalify_form": RequalifyForm(),
        "disposal": queries.unit_disposal(row),
        "unit_holds": list(queries.holds_covering(row).select_related("placed_by")),
    }
    return render(request, "lab/unit.html", context)


@require_POST
def unit_discard(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Discard a unit: a coded reason, the method, and a witness who signs."""
    row = Unit.objects.filter(pk=unit_id, site=request.user.site).first()
    if row is None:
        raise Http404
    form = DiscardForm(request.POST)
    try:
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            label = form.fields[field].label if field in form.fields else ""
            raise ValidationFailed("discard_form", f"{label}: {errors[0]}", field)
        data = form.cleaned_data
        qa.discard(
            row,
            disposing=Disposing(data["reason_code"], data["method"], data["reason"]),
            witness=witness_proof(
                request.user,
                data["witness_username"],
                data["witness_password"],
                data["witness_otp_token"],
            ),
            by=request.user,
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
    return redirect("lab:unit", unit_id=row.pk)


def witness_proof(user: User, username: str, password: str, otp_token: str) -> SignerProof:
    """The witness of a disposal re-authenticates: another active member of the clinic."""
    witness = User.objects.filter(username=username, site=user.site, is_active=True).first()
    if witness is None:
        raise ValidationFailed(
            "witness", "The witness's user name is not known at this clinic.", "witness_username"
        )
    if witness.pk == user.pk:
        raise ValidationFailed(
            "witness_is_another", "The witness must be another person.", "witness_username"
        )
    try:
        return verify_signer(witness, password=password, otp_token=otp_token)
    except ValidationFailed as refused:
        field = "witness_otp_token" if refused.field == "otp_token" else "witness_password"
        raise ValidationFailed(refused.code, f"Witness: {refused.message}", field) from None


@require_POST
def reagent_use(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Record a reagent or kit lot the collection or one of its steps used."""
    collection = _lot_or_404(request, collection_id)
    form = ReagentUseForm(
        request.POST,
        prefix="reagent",
        steps=StepRecord.objects.filter(run__collection=collection),
        step_names=_step_names(collection.course.plan),
        calendar=request.user.site.calendar,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            reagents.record_reagent_use(
                collection,
                reagents.Used(
                    data["kind"],
                    data["name"],
                    data["lot_number"],
                    data["manufacturer"],
                    data["expires_on"],
                ),
                step=data["step"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _back(request, collection)
    return _refused(request, collection, reagent_form=form)


@require_POST
def unit_requalify(request: HttpRequest, unit_id: int) -> HttpResponse:
    """QA returns a quarantined unit of a released lot to use, signed."""
    row = Unit.objects.filter(pk=unit_id, site=request.user.site).first()
    if row is None:
        raise Http404
    form = RequalifyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("justification", "Say why the unit is usable.", "justification")
        (proof,) = _proofs(request, form, False)
        qa.requalify(
            row, justification=form.cleaned_data["justification"], proof=proof, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
    return redirect("lab:unit", unit_id=row.pk)


def storage_overview(request: HttpRequest) -> HttpResponse:
    """Freezers with box occupancy, latest reading and open excursions."""
    site = request.user.site
    return render(
        request,
        "lab/storage.html",
        {
            "freezers": queries.freezers(site),
            "excursions": Excursion.objects.filter(freezer__site=site).select_related("freezer")[
                :20
            ],
            "reading_form": ReadingForm(
                zone=site.time_zone, calendar=site.calendar, initial={"at": clock.now()}
            ),
            "file_form": LoggerFileForm(),
        },
    )


def box(request: HttpRequest, box_id: int) -> HttpResponse:
    """A box map: the grid of positions and the unit in each, and what the box is kept for."""
    view = queries.box_map(box_id, request.user.site)
    if view is None:
        raise Http404
    context = {"map": view, "infectious_choices": INFECTIOUS_STATUSES}
    return render(request, "lab/box.html", context)


@require_POST
def box_infectious(request: HttpRequest, box_id: int) -> HttpResponse:
    """Keep a box for products of one infectious-disease status."""
    row = Box.objects.filter(pk=box_id, rack__freezer__site=request.user.site).first()
    if row is None:
        raise Http404
    form = BoxInfectiousForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what the box holds."))
        return redirect("lab:box", box_id=row.pk)
    try:
        storage.set_box_infectious(
            row, form.cleaned_data["infectious"], by=request.user, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("lab:box", box_id=row.pk)


@require_POST
def readings(request: HttpRequest, freezer_id: int) -> HttpResponse:
    """Add a typed reading or import a data-logger file; excursions quarantine at once."""
    site = request.user.site
    freezer = Freezer.objects.filter(pk=freezer_id, site=site).first()
    if freezer is None:
        raise Http404
    now = clock.now()
    try:
        if request.FILES.get("file"):
            file_form = LoggerFileForm(request.POST, request.FILES)
            if not file_form.is_valid():
                raise ValidationFailed("file", "Choose a CSV file.", "file")
            upload = file_form.cleaned_data["file"]
            if upload.size > 5_000_000:
                raise ValidationFailed("file", "The file is larger than 5 MB.", "file")
            try:
                rows = parse_logger_csv(upload.read().decode("utf-8-sig", errors="strict"))
            except (LoggerFileError, UnicodeDecodeError) as exc:
                raise ValidationFailed("logger_file", f"{upload.name}: {exc}", "file") from None
            source = "logger"
        else:
            form = ReadingForm(request.POST, zone=site.time_zone, calendar=site.calendar)
            if not form.is_valid():
                field, errors = next(iter(form.errors.items()))
                label = f"{form.fields[field].label}: "
                text = errors[0] if errors[0].startswith(label) else label + errors[0]
                raise ValidationFailed("reading", text, field)
            rows = [(form.cleaned_data["at"], float(form.cleaned_data["celsius"]))]
            source = "manual"
        found = storage.record_readings(freezer, rows, source=source, by=request.user, now=now)
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("lab:storage")
    quarantined = sum(len(e.units) for e in found)
    if found:
        messages.error(
            request,
            _("Temperature excursion in %(freezer)s: %(n)s unit(s) quarantined.")
            % {"freezer": freezer.name, "n": quarantined},
        )
    else:
        messages.success(request, _("%(n)s reading(s) saved.") % {"n": len(rows)})
    return redirect("lab:storage")


@require_POST
def excursion_ack(request: HttpRequest, excursion_id: int) -> HttpResponse:
    """Acknowledge an excursion notice."""
    row = Excursion.objects.filter(pk=excursion_id, freezer__site=request.user.site).first()
    if row is None:
        raise Http404
    storage.acknowledge_excursion(row, by=request.user, now=clock.now())
    return redirect("lab:queue" if request.POST.get("from") == "queue" else "lab:storage")
