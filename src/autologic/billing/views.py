"""Billing pages: the front desk's overview, a course's account, invoices and their PDFs. Views
read through ``queries`` and write through ``actions``; a refusal shows on its form's field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from autologic.audit.actions import record_read, verify_signer
from autologic.billing import actions, queries
from autologic.billing.actions import GoaeChoice, PlanRequest
from autologic.billing.choices import CLAIM_STATES
from autologic.billing.domain import verifactu
from autologic.billing.domain.display import locale_for
from autologic.billing.domain.money import Money
from autologic.billing.forms import (
    AcceptForm,
    ClaimStepForm,
    CoverageForm,
    CreditNoteForm,
    EstimateForm,
    InvoiceForm,
    PaymentForm,
    PriceRevisionForm,
    ProfileForm,
    RefundForm,
    SendEstimateForm,
)
from autologic.billing.models import (
    Claim,
    Coverage,
    Estimate,
    Payment,
    PriceItem,
    PriceList,
    SignedScan,
    VerifactuRecord,
)
from autologic.billing.printing import pdf_response
from autologic.care.models import Course
from autologic.clinical import queries as clinical_queries
from autologic.common import clock
from autologic.common.domain.calendars import interface_digits
from autologic.common.domain.errors import DomainError, ValidationFailed
from autologic.common.forms import add_domain_error, int_or_none
from autologic.common.messages import message_for
from autologic.operations.replica import reads_from_replica
from autologic.protocols.models import ProtocolVersion
from autologic.protocols.queries import protocol_title


def _today(request: HttpRequest) -> Any:
    return clock.now().astimezone(ZoneInfo(request.user.site.time_zone)).date()


def home(request: HttpRequest) -> HttpResponse:
    """Overdue instalments, open balances by age, recent invoices and the price lists."""
    site = request.user.site
    today = _today(request)
    overdue = queries.overdue(site, today)
    if overdue:
        actions_read = {row.course.patient_id for row in overdue}
        for patient_id in sorted(actions_read):
            record_read(request.user, "patient", patient_id, what="billing overdue list")
    billing = queries.profile(site)
    price_lists = queries.price_lists(site)
    language = translation.get_language() or "en"
    return render(
        request,
        "billing/home.html",
        {
            "billing": billing,
            "open_facts": queries.open_facts(billing),
            "overdue": overdue,
            "ageing": queries.ageing(site, today),
            "invoices": queries.recent_invoices(site),
            "price_lists": price_lists,
            "protocols": [
                (v.pk, protocol_title(v.code, language), v.version)
                for v in ProtocolVersion.objects.filter(status="active").order_by("code")
            ],
            "therapy_titles": {p.therapy: protocol_title(p.therapy, language) for p in price_lists},
        },
    )


def seed_price_list(request: HttpRequest) -> HttpResponse:
    """Start a therapy's price list from its protocol file's prices."""
    version = ProtocolVersion.objects.filter(pk=int_or_none(request.POST.get("protocol"))).first()
    if version is None:
        raise Http404
    try:
        prices = actions.seed_price_list(
            request.user.site, version, by=request.user, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Price list %(therapy)s is in force.") % {"therapy": prices.therapy}
        )
    return redirect("billing:home")


def _course(request: HttpRequest, course_id: int) -> Course:
    course = queries.course(request.user.site, course_id)
    if course is None:
        raise Http404
    return course


def _items(course: Course) -> list[PriceItem]:
    prices = (
        PriceList.objects.filter(site=course.site, therapy=course.protocol.code)
        .order_by("-effective_from", "-version")
        .first()
    )
    return list(prices.items.all()) if prices else []


def _course_page(request: HttpRequest, course: Course, **forms: Any) -> HttpResponse:
    account = queries.account(course)
    billing = account.billing
    site = course.site
    context = {
        "course": course,
        "account": account,
        "billing": billing,
        "open_facts": queries.open_facts(billing),
        "estimate_form": forms.get("estimate_form")
        or EstimateForm(
            prefix="estimate",
            site=site,
            billing=billing,
            items=_items(course),
            initial={
                "parts": 3,
                "every_days": 30,
                "first_due": _today(request),
                "language": course.patient.preferred_language,
            },
        ),
        "accept_form": forms.get("accept_form")
        or AcceptForm(
            site=site,
            country=billing.country if billing else "",
            initial={"signed_on": _today(request), "signed_by": course.patient.full_name},
        ),
        "invoice_form": forms.get("invoice_form") or InvoiceForm(prefix="invoice"),
        "payment_form": forms.get("payment_form")
        or PaymentForm(
            prefix="payment", site=site, billing=billing, initial={"received_on": _today(request)}
        ),
        "refund_form": forms.get("refund_form")
        or RefundForm(prefix="refund", site=site, billing=billing),
        "coverage_form": forms.get("coverage_form")
        or CoverageForm(prefix="coverage", site=site, billing=billing),
        "send_form": SendEstimateForm(),
        "coverages": queries.coverages(course),
        "claims": queries.claims(course),
        "today": _today(request),
    }
    # The deposit before collection as the collection gate itself decides it (one function).
    today = _today(request)
    gate = clinical_queries.course_gate(course, today, today)
    context["deposit_check"] = next((c for c in gate.checks if c.gate == "deposit"), None)
    record_read(request.user, "patient", course.patient_id, what="billing account")
    return render(request, "billing/course.html", context, status=forms.get("status", 200))


def course(request: HttpRequest, course_id: int) -> HttpResponse:
    """A course's money: estimate and its history, plan, invoices, payments, what is open."""
    return _course_page(request, _course(request, course_id))


def offer_estimate(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    billing = queries.profile(course.site)
    form = EstimateForm(
        request.POST, prefix="estimate", site=course.site, billing=billing, items=_items(course)
    )
    if form.is_valid():
        multipliers = form.multipliers()
        deposit = form.cleaned_data.get("deposit") or Money.of(0, course.site.currency)
        if form.is_valid():
            try:
                actions.offer_estimate(
                    course,
                    plan=PlanRequest(
                        deposit=deposit,
                        parts=form.cleaned_data["parts"],
                        first_due=form.cleaned_data["first_due"],
                        every_days=form.cleaned_data["every_days"],
                        on_events=form.cleaned_data["on_events"],
                    ),
                    fixed=form.fixed(),
                    goae_choices={
                        code: GoaeChoice(value, reason)
                        for code, (value, reason) in multipliers.items()
                    },
                    agreement=form.cleaned_data.get("agreement", False),
                    insurer=form.cleaned_data.get("insurer") or "",
                    insurer_note=form.cleaned_data.get("insurer_note") or "",
                    language=form.cleaned_data["language"],
                    by=request.user,
                    now=clock.now(),
                )
            except DomainError as exc:
                add_domain_error(form, _goae_field(exc, form))
            else:
                messages.success(request, _("Estimate offered."))
                return redirect("billing:course", course_id=course.pk)
    return _course_page(request, course, estimate_form=form, status=400)


def _goae_field(exc: DomainError, form: EstimateForm) -> DomainError:
    """A GOÄ refusal names its item's field: the justification is typed in ``reason-<Nr.>``."""
    if exc.field and exc.field.startswith("justification-"):
        exc.field = "reason-" + exc.field.removeprefix("justification-")
    return exc


def _estimate(request: HttpRequest, estimate_id: int) -> Estimate:
    estimate = (
        Estimate.objects.filter(pk=estimate_id, site=request.user.site)
        .select_related("course__patient", "course__site")
        .prefetch_related("course__protocol")
        .first()
    )
    if estimate is None:
        raise Http404
    return estimate


def accept_estimate(request: HttpRequest, estimate_id: int) -> HttpResponse:
    estimate = _estimate(request, estimate_id)
    course = estimate.course
    billing = queries.profile(course.site)
    form = AcceptForm(
        request.POST, request.FILES, site=course.site, country=billing.country if billing else ""
    )
    if form.is_valid():
        try:
            proof = verify_signer(
                request.user,
                password=form.cleaned_data["password"],
                otp_token=form.cleaned_data.get("otp_token", ""),
                session=request.session,
            )
            actions.accept_estimate(
                estimate,
                signed_by=form.cleaned_data["signed_by"],
                signed_on=form.cleaned_data["signed_on"],
                acceptance=form.cleaned_data["acceptance"],
                agreement_signed=form.cleaned_data.get("agreement_signed", False),
                proof=proof,
                now=clock.now(),
                scan=form.cleaned_data.get("scan"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The signed estimate is recorded."))
            return redirect("billing:course", course_id=course.pk)
    return _course_page(request, course, accept_form=form, status=400)


def issue_invoice(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = InvoiceForm(request.POST, prefix="invoice")
    if form.is_valid():
        try:
            invoice = actions.issue_invoice(
                course,
                series=form.cleaned_data["series"],
                recipient_tax_id=form.cleaned_data.get("recipient_tax_id") or "",
                patient_is_recipient=form.cleaned_data["patient_is_recipient"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Invoice %(number)s issued.") % {"number": invoice.number_text}
            )
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return _course_page(request, course, invoice_form=form, status=400)


def record_payment(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = PaymentForm(
        request.POST, prefix="payment", site=course.site, billing=queries.profile(course.site)
    )
    if form.is_valid():
        try:
            payment = actions.record_payment(
                course,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                received_on=form.cleaned_data["received_on"],
                reference=form.cleaned_data.get("reference") or "",
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Payment recorded, receipt %(number)s.") % {"number": payment.receipt_number},
            )
            return redirect("billing:course", course_id=course.pk)
    return _course_page(request, course, payment_form=form, status=400)


def record_refund(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = RefundForm(
        request.POST, prefix="refund", site=course.site, billing=queries.profile(course.site)
    )
    if form.is_valid():
        zero = Money.of(0, course.site.currency)
        try:
            actions.record_refund(
                course,
                method=form.cleaned_data["method"],
                reason=form.cleaned_data["reason"],
                delivered=form.cleaned_data["delivered"],
                making_units=form.cleaned_data.get("making_units") or zero,
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Refund recorded."))
            return redirect("billing:course", course_id=course.pk)
    return _course_page(request, course, refund_form=form, status=400)


def _invoice(request: HttpRequest, invoice_id: int) -> Any:
    invoice = queries.invoice(request.user.site, invoice_id)
    if invoice is None:
        raise Http404
    return invoice


def _invoice_context(request: HttpRequest, invoice: Any) -> dict[str, Any]:
    billing = queries.profile(invoice.site)
    record = VerifactuRecord.objects.filter(invoice=invoice, kind="alta").first()
    qr = ""
    if record is not None:
        facts = actions.facts(billing, invoice) if billing else None
        if facts is not None:
            qr = segno.make(verifactu.qr_url(facts, sending=False), error="m").svg_data_uri(scale=3)
    taxed = bool(invoice.tax_minor) or invoice.document.get("issuer", {}).get("country") == "AE"
    goae = bool(invoice.document.get("fee_schedule"))
    return {
        "invoice": invoice,
        "billing": billing,
        "record": record,
        "qr": qr,
        "taxed": taxed,
        # The columns before the amount: service, quantity, unit price (+ GOÄ Nr. and multiplier,
        # + net, rate and VAT on a taxed invoice).
        "label_span": 3 + (2 if goae else 0) + (3 if taxed else 0),
    }


def invoice(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """An issued invoice or credit note as it was frozen, with its correction."""
    invoice = _invoice(request, invoice_id)
    form = CreditNoteForm(request.POST or None)
    record_read(request.user, "patient", invoice.patient_id, what="invoice")
    return render(
        request,
        "billing/invoice.html",
        {**_invoice_context(request, invoice), "credit_form": form},
    )


def credit_note(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        try:
            credit = actions.issue_credit_note(
                invoice, reason=form.cleaned_data["reason"], by=request.user, now=clock.now()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Credit note %(number)s issued.") % {"number": credit.number_text}
            )
            return redirect("billing:invoice", invoice_id=credit.pk)
    return render(
        request,
        "billing/invoice.html",
        {**_invoice_context(request, invoice), "credit_form": form},
        status=400,
    )


def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The invoice as a PDF in the patient's language (WeasyPrint shapes Persian text)."""
    invoice = _invoice(request, invoice_id)
    record_read(request.user, "patient", invoice.patient_id, what="invoice PDF")
    with translation.override(invoice.language):
        html = render_to_string(
            "billing/invoice_print.html",
            {**_invoice_context(request, invoice), "printed": True},
            request=request,
        )
    return pdf_response(html, f"{invoice.number_text}.pdf")


def estimate_pdf(request: HttpRequest, estimate_id: int) -> HttpResponse:
    """The estimate with its payment plan, printed in the language chosen for the patient."""
    estimate = _estimate(request, estimate_id)
    account = queries.account(estimate.course)
    record_read(request.user, "patient", estimate.patient_id, what="estimate PDF")
    with translation.override(estimate.language):
        html = render_to_string(
            "billing/estimate_print.html",
            {
                "estimate": estimate,
                "billing": account.billing,
                "plan": [row for row in account.plan] if account.estimate == estimate else [],
                "parts": list(estimate.instalments.all()),
                "open_facts": queries.open_facts(account.billing),
                "printed": True,
            },
            request=request,
        )
    return pdf_response(html, f"estimate-{estimate.course_id}-{estimate.revision}.pdf")


def verifactu_export(request: HttpRequest) -> HttpResponse:
    """The clinic's VERI*FACTU records as one XML document, for its tax adviser or an inspector."""
    site = request.user.site
    billing = queries.profile(site)
    if billing is None or not billing.verifactu:
        raise Http404
    records = VerifactuRecord.objects.filter(site=site).order_by("position")
    xml = verifactu.export([(r.kind, r.xml) for r in records], billing.legal_name, billing.tax_id)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verifactu.xml"'
    return response


def add_coverage(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = CoverageForm(
        request.POST, prefix="coverage", site=course.site, billing=queries.profile(course.site)
    )
    if form.is_valid():
        try:
            actions.add_coverage(
                course,
                insurer=form.cleaned_data["insurer"],
                policy_number=form.cleaned_data["policy_number"],
                channel=form.cleaned_data["channel"],
                share_rule=form.cleaned_data.get("share_rule") or "",
                pre_authorisation=form.cleaned_data.get("pre_authorisation") or "",
                course_cap=form.cleaned_data.get("course_cap"),
                year_cap=form.cleaned_data.get("year_cap"),
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Insurance recorded."))
            return redirect("billing:course", course_id=course.pk)
    return _course_page(request, course, coverage_form=form, status=400)


def open_claim(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    coverage = Coverage.objects.filter(
        pk=int_or_none(request.POST.get("coverage")), site=course.site
    ).first()
    if coverage is None:
        raise Http404
    try:
        actions.open_claim(course, coverage, by=request.user, now=clock.now())
    except DomainError as exc:
        messages.error(request, message_for(exc))
    else:
        messages.success(request, _("Claim opened."))
    return redirect("billing:course", course_id=course.pk)


def claim_step(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = Claim.objects.filter(pk=claim_id, site=request.user.site).first()
    if claim is None:
        raise Http404
    course = _course(request, claim.course_id)
    form = ClaimStepForm(request.POST, site=course.site, billing=queries.profile(course.site))
    if form.is_valid():
        data, now, version = form.cleaned_data, clock.now(), form.cleaned_data["version"]
        try:
            if data["step"] == "submit":
                actions.submit_claim(
                    claim,
                    reference=data.get("reference") or "",
                    by=request.user,
                    now=now,
                    expected_version=version,
                )
            elif data["step"] == "decide":
                actions.decide_claim(
                    claim,
                    approved=data.get("approved"),
                    reason=data.get("reason") or "",
                    by=request.user,
                    now=now,
                    expected_version=version,
                )
            elif data["step"] == "paid":
                if data.get("amount") is None or data.get("received_on") is None:
                    raise ValidationFailed(
                        "claim_payment_missing",
                        "Enter the amount and the day it was paid.",
                        "amount",
                    )
                actions.record_claim_payment(
                    claim,
                    amount=data["amount"],
                    received_on=data["received_on"],
                    by=request.user,
                    now=now,
                    expected_version=version,
                )
            else:
                actions.resubmit_claim(claim, by=request.user, now=now)
        except DomainError as exc:
            messages.error(request, message_for(exc))
        else:
            messages.success(request, _("Claim updated."))
            return redirect("billing:course", course_id=course.pk)
    else:
        messages.error(request, _("Please correct the claim's fields."))
    return _course_page(request, course, status=400)


def claim_pack(request: HttpRequest, claim_id: int) -> HttpResponse:
    """What the patient takes to the insurer: the invoice, the receipts and the physician's
    certificate with the diagnosis, in the clinic's language and calendar (Jalali in Tehran)."""
    claim = (
        Claim.objects.filter(pk=claim_id, site=request.user.site)
        .select_related("course__patient", "course__decision__decided_by", "coverage", "invoice")
        .first()
    )
    if claim is None:
        raise Http404
    record_read(request.user, "patient", claim.course.patient_id, what="claim pack")
    pack = queries.claim_pack(claim)
    with translation.override(claim.invoice.language):
        html = render_to_string(
            "billing/claim_pack_print.html",
            {
                **_invoice_context(request, claim.invoice),
                "printed": True,
                "claim": claim,
                "pack": pack,
                "therapy": protocol_title(claim.course.protocol.code, claim.invoice.language),
            },
            request=request,
        )
    return pdf_response(html, f"claim-{claim.pk}.pdf")


def _month_label(day: Any, calendar: str, language: str) -> tuple[tuple[int, int], str]:
    if calendar == "jalali":
        import jdatetime

        j = jdatetime.date.fromgregorian(date=day)
        key = (j.year, j.month)
        return key, interface_digits(f"{j.year}/{j.month:02d}", language)
    from babel.dates import format_date as babel_date

    return (day.year, day.month), babel_date(day, "LLL y", locale=locale_for(language))


@reads_from_replica  # a report: may lag the primary by seconds (docs/operations.md)
def reports(request: HttpRequest) -> HttpResponse:
    """Revenue by month (in the clinic's calendar), by therapy and by payer, open balances by
    age, and claims by state: bars where people compare, the amounts beside them."""
    site = request.user.site
    today = _today(request)
    first = today - timedelta(days=364)
    language = translation.get_language() or "en"
    months: dict[tuple[int, int], list[Any]] = {}
    for day, minor in sorted(queries.revenue_by_day(site, first, today).items()):
        key, label = _month_label(day, site.calendar, language)
        months.setdefault(key, [label, 0, 0])
        months[key][1] += minor
        months[key][2] += 1
    currency = site.currency
    therapy = [
        (protocol_title(code, language) if code else "—", minor, n)
        for code, minor, n in queries.revenue_by_therapy(site, first, today)
    ]
    payers = [
        (name or _("Patients"), minor, n)
        for name, minor, n in queries.received_by_payer(site, first, today)
    ]
    states = dict(CLAIM_STATES)
    claim_rows = [
        (str(states.get(state, state)), minor, n)
        for state, minor, n in queries.claims_by_state(site)
    ]
    ageing = queries.ageing(site, today)
    ageing_rows = [
        (label, money.minor_units, 0)
        for label, money in zip(
            [_("0–30 days"), _("31–60 days"), _("61–90 days"), _("over 90 days")],
            ageing.buckets,
            strict=True,
        )
    ]
    return render(
        request,
        "billing/reports.html",
        {
            "billing": queries.profile(site),
            "first": first,
            "last": today,
            "months": queries.bars([tuple(v) for _k, v in sorted(months.items())], currency),
            "therapies": queries.bars(therapy, currency),
            "payers": queries.bars(payers, currency),
            "claims": queries.bars(claim_rows, currency),
            "ageing": queries.bars(ageing_rows, currency),
            "ageing_total": ageing.total,
        },
    )


PROFILE_DEFAULTS = {
    "payment_days": 14,
    "estimate_days": 30,
    "reminder_days": 3,
    "refund_keep_percent": 0,
}


def settings_page(request: HttpRequest) -> HttpResponse:
    """The clinic's billing profile, set by its manager, with the ❓ facts to confirm."""
    site = request.user.site
    billing = queries.profile(site)
    initial: dict[str, Any] = (
        {f: getattr(billing, f) for f in actions.PROFILE_FIELDS} if billing else PROFILE_DEFAULTS
    )
    country = request.POST.get("country") or (billing.country if billing else "DE")
    form = ProfileForm(request.POST or None, country=country, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            actions.set_billing_profile(site, data, by=request.user, now=clock.now())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Billing profile saved."))
            return redirect("billing:home")
    return render(
        request,
        "billing/settings.html",
        {"form": form, "billing": billing},
        status=400 if request.method == "POST" else 200,
    )


def price_list(request: HttpRequest, price_list_id: int) -> HttpResponse:
    """A new version of a price list, in force from a day (the earlier one stays)."""
    site = request.user.site
    prices = PriceList.objects.filter(pk=price_list_id, site=site).first()
    if prices is None:
        raise Http404
    billing = queries.profile(site)
    items = list(prices.items.all())
    form = PriceRevisionForm(
        request.POST or None,
        site=site,
        billing=billing,
        items=items,
        initial={"effective_from": _today(request)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = actions.add_price_list(
                site,
                prices.therapy,
                effective_from=form.cleaned_data["effective_from"],
                items=form.lines(prices.currency),
                source=_("Revised by %(name)s") % {"name": request.user.printed_name},
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Version %(version)s is saved.") % {"version": new.version})
            return redirect("billing:home")
    language = translation.get_language() or "en"
    return render(
        request,
        "billing/price_list.html",
        {
            "form": form,
            "prices": prices,
            "billing": billing,
            "therapy": protocol_title(prices.therapy, language),
        },
        status=400 if request.method == "POST" else 200,
    )


def estimate_scan(request: HttpRequest, estimate_id: int) -> HttpResponse:
    """The scan of the estimate the patient signed on paper, as it was uploaded."""
    estimate = _estimate(request, estimate_id)
    scan = SignedScan.objects.filter(estimate=estimate).first()
    if scan is None:
        raise Http404
    record_read(request.user, "patient", estimate.patient_id, what="signed estimate scan")
    response = HttpResponse(bytes(scan.content), content_type=scan.content_type)
    response["Content-Disposition"] = f'inline; filename="estimate-{estimate.pk}-signed"'
    return response


def send_estimate(request: HttpRequest, estimate_id: int) -> HttpResponse:
    """Send the patient a personal link to read and accept the estimate online."""
    estimate = _estimate(request, estimate_id)
    form = SendEstimateForm(request.POST)
    if form.is_valid():
        try:
            actions.send_estimate_link(
                estimate, channel=form.cleaned_data["channel"], by=request.user, now=clock.now()
            )
        except DomainError as exc:
            messages.error(request, message_for(exc))
        else:
            messages.success(request, _("The link to the estimate is on its way to the patient."))
    return redirect("billing:course", course_id=estimate.course_id)


def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    """A payment's (or refund's) receipt as a PDF, in the patient's language."""
    payment = (
        Payment.objects.filter(pk=payment_id, site=request.user.site)
        .select_related("patient", "course", "site")
        .first()
    )
    if payment is None:
        raise Http404
    record_read(request.user, "patient", payment.patient_id, what="receipt")
    billing = queries.profile(payment.site)
    with translation.override(payment.patient.preferred_language or payment.site.default_language):
        html = render_to_string(
            "billing/receipt_print.html",
            {"payment": payment, "billing": billing, "printed": True},
            request=request,
        )
    return pdf_response(html, f"{payment.receipt_number}.pdf")
