"""Recall and QA-hold pages: the list, a recall's preview and its look-back page, placing a hold
and lifting it with a signed disposition."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autologic.audit.actions import verify_signer
from autologic.common import clock
from autologic.common.domain.errors import ConflictError, DomainError, ValidationFailed
from autologic.common.forms import add_domain_error, int_or_none
from autologic.common.messages import message_for
from autologic.lab.actions import holds
from autologic.lab.domain.holds import Disposing
from autologic.lab.models import Chain, Collection, Unit
from autologic.lab.views import witness_proof
from autologic.recalls import actions, choices, queries
from autologic.recalls.domain import Finding
from autologic.recalls.forms import CloseForm, LiftForm, NoteForm, ReasonForm, StartForm
from autologic.recalls.models import Recall


def recall_list(request: HttpRequest) -> HttpResponse:
    """The clinic's active QA holds and its recalls, with the ways to start one."""
    return render(
        request,
        "recalls/list.html",
        {"overview": queries.overview(request.user.site), "start_form": StartForm()},
    )


def _source(request: HttpRequest) -> queries.Source:
    return queries.resolve(
        request.user.site,
        request.GET.get("origin", "")[:20],
        pk=int_or_none(request.GET.get("id")),
        identifier=request.GET.get("identifier", "")[:40],
    )


def _recipients(found: queries.Survey) -> list[dict[str, Any]]:
    reasons = dict(choices.REASONS)
    rows = []
    for r in found.recipients:
        patient = found.patients.get(r.patient_id) if r.patient_id is not None else None
        staff = found.staff.get(r.staff_id) if r.staff_id is not None else None
        rows.append(
            {
                "patient": patient,
                "staff": staff,
                "reasons": [reasons[x.value] for x in r.reasons],
                "channel": r.channel,
                "to": r.to,
            }
        )
    return rows


def open_recall(request: HttpRequest) -> HttpResponse:
    """Preview what a recall reaches and whom it informs; open it (find, hold, inform)."""
    try:
        source = _source(request)
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("recalls:list")
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                recall = actions.open_recall(
                    source, reason=form.cleaned_data["reason"], by=request.user, now=clock.now()
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.warning(
                    request,
                    _("Recall R-%(number)s opened: the units left are on QA hold.")
                    % {"number": recall.pk},
                )
                return redirect("recalls:detail", recall_id=recall.pk)
    found = queries.survey(source)
    actions.record_page_read(
        by=request.user, what="recall preview", patient_ids=set(found.patients)
    )
    groups = {f.value: found.group(f) for f in Finding}
    return render(
        request,
        "recalls/open.html",
        {
            "source": source,
            "found": found,
            "groups": groups,
            "recipients": _recipients(found),
            "form": form,
            "origin_label": dict(choices.ORIGINS)[source.origin.value],
        },
        status=status,
    )


def detail(request: HttpRequest, recall_id: int) -> HttpResponse:
    """The look-back page: what was reached, held and given, who was told, every step."""
    page = queries.recall_page(request.user.site, recall_id)
    if page is None:
        raise Http404
    actions.record_page_read(by=request.user, what="recall", patient_ids=page.patient_ids)
    return render(
        request,
        "recalls/detail.html",
        {
            "page": page,
            "recall": page.recall,
            "given": page.group("given"),
            "to_hold": page.group("to_hold"),
            "held": page.group("held"),
            "in_process": page.group("in_process"),
            "closed": page.group("closed"),
            "waiting": len(page.group("held")) + len(page.group("in_process")),
            "note_form": NoteForm(),
            "close_form": CloseForm(prefix="close"),
        },
    )


def _recall_or_404(request: HttpRequest, recall_id: int) -> Recall:
    recall = Recall.objects.filter(pk=recall_id, site=request.user.site).first()
    if recall is None:
        raise Http404
    return recall


@require_POST
def add_note(request: HttpRequest, recall_id: int) -> HttpResponse:
    """Record a step done by hand."""
    recall = _recall_or_404(request, recall_id)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("note", "Write what was done.", "note")
        actions.add_note(recall, note=form.cleaned_data["note"], by=request.user, now=clock.now())
    except DomainError as exc:
        messages.error(request, message_for(exc))
    return redirect("recalls:detail", recall_id=recall.pk)


@require_POST
def close_recall(request: HttpRequest, recall_id: int) -> HttpResponse:
    """Close the recall with a note, once nothing it reached is on hold."""
    recall = _recall_or_404(request, recall_id)
    form = CloseForm(request.POST, prefix="close")
    try:
        if not form.is_valid():
            raise ValidationFailed("note", "Say how the recall ends.", "note")
        actions.close_recall(
            recall, note=form.cleaned_data["note"], by=request.user, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
    else:
        messages.success(request, _("Recall closed."))
    return redirect("recalls:detail", recall_id=recall.pk)


def _target(request: HttpRequest) -> holds.Target:
    site = request.user.site
    scope = request.GET.get("scope", "")[:8]
    pk = int_or_none(request.GET.get("id"))
    if scope == "unit":
        unit = Unit.objects.filter(pk=pk, site=site).first()
        if unit is not None:
            return holds.Target("unit", unit=unit)
    elif scope == "lot":
        lot = Collection.objects.filter(pk=pk, site=site).select_related("chain").first()
        if lot is not None:
            return holds.Target("lot", collection=lot)
    elif scope == "chain":
        chain = Chain.objects.filter(pk=pk, site=site).first()
        if chain is not None:
            return holds.Target("chain", chain=chain)
    else:
        raise ValidationFailed("scope", "Hold a unit, a lot or a chain of identity.", "scope")
    raise Http404


def _after_hold(target: holds.Target) -> HttpResponse:
    if target.unit is not None:
        return redirect("lab:unit", unit_id=target.unit.pk)
    if target.collection is not None:
        return redirect("lab:lot", collection_id=target.collection.pk)
    return redirect("recalls:list")


def place_hold(request: HttpRequest) -> HttpResponse:
    """Put a unit, a lot or a whole chain of identity on QA hold, with a reason."""
    try:
        target = _target(request)
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect("recalls:list")
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                hold = holds.place_hold(
                    target, reason=form.cleaned_data["reason"], by=request.user, now=clock.now()
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 409 if isinstance(exc, ConflictError) else 400
            else:
                messages.warning(request, _("QA hold %(number)s placed.") % {"number": hold.pk})
                return _after_hold(target)
    units = list(holds.units_in(target).select_related("patient").order_by("pk"))
    actions.record_page_read(
        by=request.user, what="QA hold", patient_ids={u.patient_id for u in units}
    )
    return render(
        request,
        "recalls/hold.html",
        {"target": target, "units": units, "form": form},
        status=status,
    )


def lift_hold(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Lift a hold with QA's signed disposition: return the units to use, or dispose of them."""
    view = queries.hold_view(request.user.site, hold_id)
    if view is None:
        raise Http404
    form = LiftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                lifted = _lift(request, view.hold, form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 409 if isinstance(exc, ConflictError) else 400
            else:
                messages.success(
                    request,
                    _(
                        "Hold %(number)s lifted: %(returned)s returned to use, %(kept)s kept out "
                        "of use, %(disposed)s disposed of."
                    )
                    % {
                        "number": view.hold.pk,
                        "returned": len(lifted.returned),
                        "kept": len(lifted.kept),
                        "disposed": len(lifted.disposed),
                    },
                )
                return redirect("recalls:list")
    actions.record_page_read(
        by=request.user, what="QA hold", patient_ids={u.patient_id for u in view.units}
    )
    return render(request, "recalls/lift.html", {"view": view, "form": form}, status=status)


def _lift(request: HttpRequest, hold: Any, data: dict[str, Any]) -> holds.Lifted:
    proof = verify_signer(
        request.user,
        password=data["password"],
        otp_token=data["otp_token"],
        session=request.session,
    )
    disposing = witness = None
    if data["decision"] == "discarded":
        disposing = Disposing("qa_hold", data["method"], data["justification"])
        witness = witness_proof(
            request.user,
            data["witness_username"],
            data["witness_password"],
            data["witness_otp_token"],
        )
    return holds.lift_hold(
        hold,
        decision=data["decision"],
        justification=data["justification"],
        proof=proof,
        now=clock.now(),
        disposing=disposing,
        witness=witness,
    )
