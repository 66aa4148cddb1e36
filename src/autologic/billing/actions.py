"""Billing actions: price lists, estimates with their plan, acceptance, invoices and credit notes
with gapless numbers, VERI*FACTU records, payments and refunds, reminders. Each runs in one
audited transaction and writes its audit event there.

Locks follow docs/architecture.md: the course first, then the clinic's number range (an
identifier counter), then the VERI*FACTU chain head (the billing profile row, taken last before
the audit chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning
from autologic.audit.journal import audited_transaction
from autologic.billing import mail, queries
from autologic.billing.choices import SERIES_PREFIX
from autologic.billing.domain import claims, goae, instalments, scans, vat, verifactu
from autologic.billing.domain import estimate as pricing
from autologic.billing.domain.account import RefundPolicy, refundable
from autologic.billing.domain.money import BillingError, Money, total
from autologic.billing.models import (
    BillingProfile,
    Claim,
    Coverage,
    Estimate,
    EstimateLink,
    Instalment,
    Invoice,
    NumberRange,
    Payment,
    PaymentReminder,
    PriceItem,
    PriceList,
    SignedScan,
    VerifactuRecord,
)
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.outbox.actions import queue_message
from autologic.protocols.models import ProtocolVersion

SOFTWARE = verifactu.Software(
    producer_name="Autologic",
    producer_nif="B00000000",
    name="Autologic",
    system_id="AL",
    version="0.1.0",
    installation="1",
)


def _profile(site: Site) -> BillingProfile:
    profile = BillingProfile.objects.filter(site=site).first()
    if profile is None:
        raise ValidationFailed(
            "billing_profile_missing",
            "The clinic's billing profile is not set up: a manager enters it first.",
            "site",
        )
    return profile


def seed_price_list(
    site: Site, version: ProtocolVersion, *, by: User | None, now: datetime
) -> PriceList:
    """The first price list for a therapy, from its protocol file's ``prices:`` in the clinic's
    currency (an existing list is kept)."""
    profile = _profile(site)
    pricing.allowed(profile.country)
    therapy = version.code
    existing = PriceList.objects.filter(site=site, therapy=therapy).first()
    if existing is not None:
        return existing
    language = site.default_language
    seeded = pricing.from_protocol(
        version.protocol.prices,
        currency=site.currency,
        language=language,
        version=1,
        effective_from=now.date(),
    )
    items = [
        {
            "code": line.code,
            "label": dict(next(i.label for i in version.protocol.prices if i.code == line.code)),
            "per": line.per,
            "low": line.low,
            "high": line.high,
        }
        for line in seeded.lines
    ]
    return add_price_list(
        site,
        therapy,
        effective_from=now.date(),
        items=items,
        source=f"{therapy} v{version.version}",
        by=by,
        now=now,
    )


def add_price_list(
    site: Site,
    therapy: str,
    *,
    effective_from: date,
    items: list[dict[str, Any]],
    source: str,
    by: User | None,
    now: datetime,
) -> PriceList:
    """A new version of a therapy's price list (or GOÄ item list in Germany), in force from its
    date; earlier versions and the estimates made under them stay as they were."""
    profile = _profile(site)
    with audited_transaction():
        latest = PriceList.objects.filter(site=site, therapy=therapy).order_by("-version").first()
        version = (latest.version if latest else 0) + 1
        prices = PriceList.objects.create(
            site=site,
            therapy=therapy,
            version=version,
            effective_from=effective_from,
            currency=site.currency,
            source=source,
            created_by=by,
            created_at=now,
        )
        for position, item in enumerate(items, start=1):
            low, high = item["low"], item.get("high", item["low"])
            if (
                profile.country not in pricing.FREE_PRICING
                and not item.get("points")
                and item.get("frame") != EXPENSE
            ):
                pricing.allowed(profile.country)
            pricing.PriceLine(item["code"], item["code"], item["per"], low, high)  # checks range
            PriceItem.objects.create(
                price_list=prices,
                position=position,
                code=item["code"],
                label=item["label"],
                per=item["per"],
                low_minor=low.minor_units,
                high_minor=high.minor_units,
                points=item.get("points"),
                frame=item.get("frame", ""),
                analog_of=item.get("analog_of", ""),
            )
        record_event(
            actor=by,
            site=site,
            action="price_list.create",
            object_type="price_list",
            object_id=prices.pk,
            changes={
                "therapy": therapy,
                "version": version,
                "effective_from": effective_from.isoformat(),
                "items": len(items),
            },
            now=now,
        )
    return prices


@dataclass(frozen=True)
class GoaeChoice:
    """The multiplier (and justification) a physician chose for a GOÄ item of the estimate."""

    multiplier: Decimal
    justification: str = ""


@dataclass(frozen=True)
class PlanRequest:
    """How the patient will pay: a deposit, then instalments by date or on course events."""

    deposit: Money
    parts: int
    first_due: date
    every_days: int = 30
    on_events: bool = False


EVENTS = ("collection", "first_injection", "last_injection")


def _shape(course: Course) -> pricing.Shape:
    return pricing.Shape(**queries.shape_now(course))


def _label(item: PriceItem, language: str) -> str:
    label = item.label or {}
    return str(label.get(language) or label.get("en") or next(iter(label.values()), item.code))


def _goae_lines(
    items: list[PriceItem],
    shape: pricing.Shape,
    choices: dict[str, GoaeChoice],
    agreement: bool,
    language: str,
) -> list[dict[str, Any]]:
    fees = [i for i in items if i.frame != EXPENSE]
    schedule = goae.Goae(
        {
            i.code: goae.Item(i.code, int(i.points or 0), i.frame or "personal", "", i.analog_of)  # type: ignore[arg-type]
            for i in fees
        }
    )
    lines = []
    for item in items:
        if item.frame == EXPENSE:
            lines.append(_expense_line(item, shape, language))
            continue
        choice = choices.get(item.code, GoaeChoice(goae.SPANS[item.frame or "personal"].threshold))
        line = schedule.line(
            item.code,
            choice.multiplier,
            justification=choice.justification,
            agreement_signed=agreement,
        )
        quantity = shape.quantity(item.per)  # type: ignore[arg-type]
        lines.append(
            {
                "code": item.code,
                "label": _label(item, language),
                "quantity": quantity,
                "unit_minor": line.fee.minor_units,
                "amount_minor": line.fee.minor_units * quantity,
                "reason": choice.justification.strip(),
                "goae": {
                    "number": item.code,
                    "points": item.points,
                    "multiplier": str(choice.multiplier),
                    "analog_of": item.analog_of,
                    "justified": line.needs_justification,
                    "agreement": line.needs_agreement,
                },
            }
        )
    return lines


# A § 10 GOÄ expense (a kit, a syringe set) on a German clinic's list: an amount, no points.
EXPENSE = "expense"


def _expense_line(item: PriceItem, shape: pricing.Shape, language: str) -> dict[str, Any]:
    """A § 10 expense: its kind and amount; a single item above €25.56 needs its receipt."""
    unit = Money.from_minor(item.low_minor, "EUR")
    expense = goae.Expense(_label(item, language), unit)
    quantity = shape.quantity(item.per)  # type: ignore[arg-type]
    return {
        "code": item.code,
        "label": expense.kind,
        "quantity": quantity,
        "unit_minor": unit.minor_units,
        "amount_minor": unit.minor_units * quantity,
        "reason": "",
        "expense": {"receipt_needed": expense.receipt_needed},
    }


def offer_estimate(
    course: Course,
    *,
    plan: PlanRequest,
    fixed: dict[str, tuple[Money, str]] | None = None,
    goae_choices: dict[str, GoaeChoice] | None = None,
    agreement: bool = False,
    insurer: str = "",
    insurer_note: str = "",
    language: str,
    by: User,
    now: datetime,
) -> Estimate:
    """Price the course under the price list in force today, with its payment plan. An estimate
    already offered or accepted is kept, marked as replaced by this revision."""
    site = course.site
    profile = _profile(site)
    today = now.astimezone(ZoneInfo(site.time_zone)).date()
    therapy = course.protocol.code
    lists = list(PriceList.objects.filter(site=site, therapy=therapy).prefetch_related("items"))
    if not lists:
        raise ValidationFailed(
            "price_list_missing", "This therapy has no price list at this clinic yet.", "course"
        )
    chosen = max(
        (p for p in lists if p.effective_from <= today),
        key=lambda p: (p.effective_from, p.version),
        default=None,
    )
    if chosen is None:
        raise pricing.EstimateError(
            "price_list_missing", f"no price list is in force on {today}", "date"
        )
    items = list(chosen.items.all())
    shape = _shape(course)
    currency = chosen.currency
    if profile.country == "DE":
        if any(i.points is None and i.frame != EXPENSE for i in items):
            pricing.allowed(profile.country)
        lines = _goae_lines(items, shape, goae_choices or {}, agreement, language)
        schedule = "GOÄ 1996"
    else:
        pricing.allowed(profile.country)
        domain_list = pricing.PriceList(
            chosen.version,
            chosen.effective_from,
            currency,
            tuple(
                pricing.PriceLine(
                    i.code,
                    _label(i, language),
                    i.per,  # type: ignore[arg-type]
                    Money.from_minor(i.low_minor, currency),
                    Money.from_minor(i.high_minor, currency),
                )
                for i in items
            ),
        )
        result = pricing.estimate(domain_list, shape, fixed)
        lines = [
            {
                "code": line.code,
                "label": line.label,
                "quantity": line.quantity,
                "unit_minor": line.unit_price.minor_units,
                "amount_minor": line.amount.minor_units,
                "reason": line.reason,
            }
            for line in result.lines
        ]
        schedule = ""
    course_total = total(
        [Money.from_minor(line["amount_minor"], currency) for line in lines], currency
    )
    if plan.deposit.currency != currency:
        raise BillingError("currency_mismatch", f"The deposit is not in {currency}.", "deposit")
    if plan.on_events and plan.parts > len(EVENTS):
        raise BillingError(
            "plan_too_many_events",
            "Instalments on course events are at most three: collection, first and last injection.",
            "parts",
        )
    try:
        schedule_parts = instalments.plan(
            course_total,
            down_payment=plan.deposit,
            parts=plan.parts,
            first_due=plan.first_due,
            every_days=plan.every_days,
        )
    except ValueError as exc:
        raise BillingError("plan_invalid", str(exc), "parts") from exc
    with audited_transaction():
        locked = for_update(Course.objects.filter(pk=course.pk)).get()
        current = for_update(
            Estimate.objects.filter(course=locked, status__in=["offered", "accepted"])
        ).first()
        revision = (
            Estimate.objects.filter(course=locked)
            .order_by("-revision")
            .values_list("revision", flat=True)
            .first()
            or 0
        ) + 1
        if current is not None:
            current.status = "superseded"
            current.save(update_fields=["status"])
        estimate = Estimate.objects.create(
            site=site,
            patient=locked.patient,
            course=locked,
            revision=revision,
            price_list=chosen,
            fee_schedule=schedule,
            currency=currency,
            lines=lines,
            total_minor=course_total.minor_units,
            shape=queries.shape_now(locked),
            insurer=insurer.strip(),
            insurer_note=insurer_note.strip(),
            valid_until=today + timedelta(days=profile.estimate_days),
            language=language,
            supersedes=current,
            agreement_signed=False,
            created_by=by,
            created_at=now,
        )
        events = iter(EVENTS)
        for part in schedule_parts:
            deposit = plan.deposit.amount > 0 and part.number == 1
            event = "" if deposit or not plan.on_events else next(events)
            Instalment.objects.create(
                estimate=estimate,
                number=part.number,
                deposit=deposit,
                amount_minor=part.amount.minor_units,
                due_on=None if event else part.due_on,
                due_event=event,
            )
        record_event(
            actor=by,
            site=site,
            action="estimate.offer",
            object_type="estimate",
            object_id=estimate.pk,
            changes={
                "course": locked.pk,
                "revision": revision,
                "price_list_version": chosen.version,
                "total": str(course_total.amount),
                "currency": currency,
                "supersedes_id": current.pk if current else None,
                "instalments": len(schedule_parts),
            },
            now=now,
        )
    return estimate


def accept_estimate(
    estimate: Estimate,
    *,
    signed_by: str,
    signed_on: date,
    acceptance: str,
    agreement_signed: bool,
    proof: SignerProof,
    now: datetime,
    scan: scans.Scan | None = None,
) -> Estimate:
    """Record that the patient signed the estimate (and, in Germany, the § 2 / IGeL agreement
    with the § 630c(3) BGB cost information); the recording staff member e-signs it."""
    signed_by = signed_by.strip()
    if not signed_by:
        raise ValidationFailed("signer_missing", "Enter who signed the estimate.", "signed_by")
    if acceptance == "paper" and scan is None:
        raise ValidationFailed(
            "scan_missing", "Add the scan of the estimate signed on paper.", "scan"
        )
    profile = _profile(estimate.site)
    with audited_transaction():
        locked = for_update(Course.objects.filter(pk=estimate.course_id)).get()
        current = for_update(Estimate.objects.filter(pk=estimate.pk)).get()
        if current.status != "offered":
            raise ConflictError(
                "estimate_not_offered",
                "This estimate is no longer on offer (accepted or replaced by a revision).",
                "estimate",
            )
        if signed_on > now.date() + timedelta(days=1) or signed_on < current.created_at.date():
            raise ValidationFailed(
                "signed_on_outside",
                "The signing date is before the estimate was made or in the future.",
                "signed_on",
            )
        if signed_on > current.valid_until:
            raise ValidationFailed(
                "estimate_expired",
                "The estimate expired before it was signed: offer a revised one.",
                "signed_on",
            )
        if profile.country == "DE" and not agreement_signed:
            raise ValidationFailed(
                "agreement_missing",
                "In Germany the § 2 / IGeL agreement and the cost information are signed before "
                "treatment.",
                "agreement_signed",
            )
        current.status = "accepted"
        current.accepted_on = signed_on
        current.accepted_by_name = signed_by
        current.acceptance = acceptance
        current.agreement_signed = agreement_signed
        current.save(
            update_fields=[
                "status",
                "accepted_on",
                "accepted_by_name",
                "acceptance",
                "agreement_signed",
            ]
        )
        apply_signature(
            proof,
            meaning=SignatureMeaning.AUTHORED,
            object_type="estimate",
            object_id=current.pk,
            content={
                "estimate": current.pk,
                "course": locked.pk,
                "total_minor": current.total_minor,
                "currency": current.currency,
                "signed_by": signed_by,
                "signed_on": signed_on.isoformat(),
                "scan_sha256": scan.sha256 if scan else "",
            },
            now=now,
        )
        if scan is not None:
            SignedScan.objects.create(
                estimate=current,
                content=scan.content,
                content_type=scan.content_type,
                size=len(scan.content),
                sha256=scan.sha256,
                uploaded_by=proof.user,
                uploaded_at=now,
            )
        record_event(
            actor=proof.user,
            site=current.site,
            action="estimate.accept",
            object_type="estimate",
            object_id=current.pk,
            changes={
                "accepted_by_name": signed_by,
                "accepted_on": signed_on.isoformat(),
                "acceptance": acceptance,
                "agreement_signed": agreement_signed,
            },
            now=now,
        )
    return current


def _next_number(site: Site, series: str, year: int) -> int:
    """The next number of a clinic's series for a year, in the caller's transaction: the range
    row is locked until it commits, so two clerks get consecutive numbers and a rollback gives
    its number back."""
    if not NumberRange.objects.filter(site=site, series=series, year=year).exists():
        try:
            with audited_transaction():
                NumberRange.objects.create(site=site, series=series, year=year, last=0)
        except IntegrityError:
            pass  # another clerk opened the range first
    counter = for_update(NumberRange.objects.filter(site=site, series=series, year=year)).get()
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _tax(profile: BillingProfile, patient_is_recipient: bool) -> tuple[vat.Rate | None, str]:
    """The clinic's tax (its data) for an invoice, and the legal basis the invoice prints."""
    setting = vat.TaxSetting(profile.tax_percent, profile.tax_basis, profile.zero_rate_basis)
    rate = vat.rate_for(
        setting,
        zero_rate_confirmed="zero_rate" in (profile.confirmed or []),
        patient_is_recipient=patient_is_recipient,
    )
    return rate, rate.basis if rate else profile.tax_basis


def _document(profile: BillingProfile, course: Course, basis: str, extra: dict[str, Any]) -> dict:
    patient = course.patient
    return {
        "issuer": {
            "name": profile.legal_name,
            "tax_id": profile.tax_id,
            "address": profile.address,
            "country": profile.country,
        },
        "recipient": {
            "name": patient.full_name,
            "mrn": patient.mrn,
            "tax_id": extra.pop("recipient_tax_id", ""),
        },
        "tax_basis": basis,
        "therapy": course.protocol.code,
        **extra,
    }


def _freeze(
    course: Course,
    *,
    series: str,
    lines: list[dict[str, Any]],
    currency: str,
    document: dict[str, Any],
    estimate: Estimate | None,
    corrects: Invoice | None,
    reason: str,
    language: str,
    by: User,
    now: datetime,
) -> Invoice:
    """Number and store an invoice in the caller's audited transaction (issued means frozen)."""
    site = course.site
    profile = _profile(site)
    local = now.astimezone(ZoneInfo(site.time_zone))
    year = local.year
    number = _next_number(site, series, year)
    prefix = profile.invoice_prefix + SERIES_PREFIX[series]
    net = sum(line["net_minor"] for line in lines)
    tax = sum(line["tax_minor"] for line in lines)
    invoice = Invoice.objects.create(
        site=site,
        patient=course.patient,
        course=course,
        estimate=estimate,
        series=series,
        year=year,
        number=number,
        number_text=f"{prefix}-{year}-{number:05d}",
        issued_on=local.date(),
        issued_at=now,
        due_on=local.date() + timedelta(days=profile.payment_days),
        currency=currency,
        lines=lines,
        net_minor=net,
        tax_minor=tax,
        total_minor=net + tax,
        document=document,
        language=language,
        corrects=corrects,
        reason=reason,
        issued_by=by,
    )
    if profile.verifactu:
        _verifactu(profile, invoice, "alta", now)
    record_event(
        actor=by,
        site=site,
        action=f"invoice.issue.{series}",
        object_type="invoice",
        object_id=invoice.pk,
        changes={
            "number": invoice.number_text,
            "course": course.pk,
            "total": str(invoice.total.amount),
            "currency": currency,
            "corrects_number": corrects.number_text if corrects else None,
        },
        now=now,
    )
    return invoice


def _priced(lines: list[dict[str, Any]], rate: vat.Rate | None, currency: str) -> list[dict]:
    """Estimate lines as invoice lines: net, the rate and the tax rounded on each line."""
    priced = []
    for line in lines:
        net = Money.from_minor(line["amount_minor"], currency)
        tax = vat.line_tax(net, rate) if rate else Money.of(0, currency)
        priced.append(
            {
                **line,
                "net_minor": net.minor_units,
                "rate": str(rate.percent) if rate else "",
                "tax_minor": tax.minor_units,
            }
        )
    return priced


def _in(language: str, text: str) -> str:
    """A line's words in the language the document is printed in (frozen at issue)."""
    with translation.override(language):
        return gettext(text)


# The invoice lines' own words, for the catalogues.
LINE_WORDS = [gettext_noop("Deposit towards the treatment")]


def issue_invoice(
    course: Course,
    *,
    series: str = "invoice",
    recipient_tax_id: str = "",
    patient_is_recipient: bool = True,
    by: User,
    now: datetime,
) -> Invoice:
    """Invoice the accepted estimate: the course (``invoice``, less the deposit invoices already
    issued) or its deposit (``deposit``: Spain invoices an advance payment). A course is
    invoiced once; a correction goes through a credit note."""
    profile = _profile(course.site)
    with audited_transaction():
        locked = (
            for_update(Course.objects.filter(pk=course.pk))
            .select_related("patient", "protocol", "site")
            .get()
        )
        estimate = Estimate.objects.filter(course=locked, status="accepted").first()
        if estimate is None:
            raise ConflictError(
                "estimate_not_accepted",
                "Invoice a course once its estimate is signed.",
                "estimate",
            )
        if profile.country == "ES" and not recipient_tax_id.strip():
            raise ValidationFailed(
                "recipient_tax_id_required",
                "A Spanish invoice names the patient's tax number (NIF or NIE).",
                "recipient_tax_id",
            )
        open_invoices = queries.uncredited(locked)
        rate, basis = _tax(profile, patient_is_recipient)
        currency = estimate.currency
        if series == "deposit":
            if any(i.series == "deposit" for i in open_invoices):
                raise ConflictError(
                    "deposit_invoiced", "The deposit is already invoiced.", "series"
                )
            deposit = estimate.instalments.filter(deposit=True).first()
            if deposit is None:
                raise ValidationFailed(
                    "no_deposit", "The payment plan has no deposit to invoice.", "series"
                )
            lines = [
                {
                    "code": "deposit",
                    "label": _in(estimate.language, "Deposit towards the treatment"),
                    "quantity": 1,
                    "unit_minor": deposit.amount_minor,
                    "amount_minor": deposit.amount_minor,
                    "reason": "",
                }
            ]
        elif series == "invoice":
            if any(i.series == "invoice" for i in open_invoices):
                raise ConflictError(
                    "course_invoiced",
                    "This course is already invoiced: correct it with a credit note.",
                    "series",
                )
            lines = list(estimate.lines)
            for advance in (i for i in open_invoices if i.series == "deposit"):
                lines.append(
                    {
                        "code": "less_deposit",
                        "label": f"− {advance.number_text}",
                        "quantity": 1,
                        "unit_minor": -advance.net_minor,
                        "amount_minor": -advance.net_minor,
                        "reason": "",
                    }
                )
        else:
            raise ValidationFailed("series_unknown", "Choose an invoice or a deposit.", "series")
        return _freeze(
            locked,
            series=series,
            lines=_priced(lines, rate, currency),
            currency=currency,
            document=_document(
                profile,
                locked,
                basis,
                {
                    "recipient_tax_id": recipient_tax_id.strip(),
                    "fee_schedule": estimate.fee_schedule,
                    "estimate": estimate.revision,
                    "agreement_signed": estimate.agreement_signed,
                    "patient_is_recipient": patient_is_recipient,
                },
            ),
            estimate=estimate,
            corrects=None,
            reason="",
            language=estimate.language,
            by=by,
            now=now,
        )


def issue_credit_note(invoice: Invoice, *, reason: str, by: User, now: datetime) -> Invoice:
    """Correct an issued invoice with a credit note in its own series that cites it and reverses
    every line; the invoice itself is never changed."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason_required", "Say why the invoice is corrected.", "reason")
    if invoice.series == "credit":
        raise ValidationFailed(
            "credit_of_credit", "A credit note is not corrected by another one.", "invoice"
        )
    with audited_transaction():
        course = (
            for_update(Course.objects.filter(pk=invoice.course_id))
            .select_related("patient", "protocol", "site")
            .get()
        )
        if Invoice.objects.filter(corrects=invoice).exists():
            raise ConflictError(
                "already_credited", "This invoice already has a credit note.", "invoice"
            )
        lines = [
            {
                **line,
                "unit_minor": -line["unit_minor"],
                "amount_minor": -line["amount_minor"],
                "net_minor": -line["net_minor"],
                "tax_minor": -line["tax_minor"],
            }
            for line in invoice.lines
        ]
        document = {**invoice.document, "corrects": invoice.number_text}
        document["corrects_date"] = invoice.issued_on.isoformat()
        return _freeze(
            course,
            series="credit",
            lines=lines,
            currency=invoice.currency,
            document=document,
            estimate=invoice.estimate,
            corrects=invoice,
            reason=reason,
            language=invoice.language,
            by=by,
            now=now,
        )


def facts(profile: BillingProfile, invoice: Invoice) -> verifactu.InvoiceFacts:
    lines = invoice.lines
    breakdown = tuple(
        verifactu.Breakdown(
            base=Money.from_minor(line["net_minor"], invoice.currency).amount,
            rate=Decimal(line["rate"]) if line.get("rate") else None,
            tax=Money.from_minor(line["tax_minor"], invoice.currency).amount
            if line.get("rate")
            else None,
        )
        for line in lines
    )
    corrects = ()
    if invoice.corrects_id:
        original = invoice.corrects
        assert original is not None
        corrects = ((original.number_text, original.issued_on),)
    return verifactu.InvoiceFacts(
        issuer_nif=profile.tax_id,
        issuer_name=profile.legal_name,
        number=invoice.number_text,
        issued_on=invoice.issued_on,
        kind="R4" if invoice.series == "credit" else "F1",
        description="Tratamiento médico" if invoice.series != "deposit" else "Anticipo",
        recipient_name=invoice.document["recipient"]["name"],
        recipient_nif=invoice.document["recipient"].get("tax_id", ""),
        breakdown=breakdown,
        corrects=corrects,
    )


def _verifactu(profile: BillingProfile, invoice: Invoice, kind: str, now: datetime) -> None:
    """Chain the invoice's record to the clinic's last one (the profile row is the chain lock)."""
    for_update(BillingProfile.objects.filter(pk=profile.pk)).get()
    last = VerifactuRecord.objects.filter(site=invoice.site).order_by("-position").first()
    previous = None
    if last is not None:
        previous = verifactu.Previous(
            profile.tax_id, last.invoice.number_text, last.invoice.issued_on, last.fingerprint
        )
    moment = now.astimezone(ZoneInfo(invoice.site.time_zone))
    record = verifactu.chain(kind, facts(profile, invoice), previous, moment)  # type: ignore[arg-type]
    VerifactuRecord.objects.create(
        site=invoice.site,
        position=(last.position if last else 0) + 1,
        invoice=invoice,
        kind=kind,
        generated_at=verifactu.moment(moment),
        fingerprint=record.fingerprint,
        previous=previous.fingerprint if previous else "",
        xml=verifactu.record_xml(record, SOFTWARE),
    )


def _receipt_number(site: Site, now: datetime) -> str:
    year = now.astimezone(ZoneInfo(site.time_zone)).year
    prefix = _profile(site).invoice_prefix + SERIES_PREFIX["receipt"]
    return f"{prefix}-{year}-{_next_number(site, 'receipt', year):05d}"


def record_payment(
    course: Course,
    *,
    amount: Money,
    method: str,
    received_on: date,
    reference: str = "",
    by: User,
    now: datetime,
) -> Payment:
    """Money received for a course; it settles the plan and the invoices oldest due first, and
    anything beyond them is the patient's credit. A receipt number is given."""
    if amount.amount <= 0:
        raise ValidationFailed("amount_not_positive", "A payment is more than zero.", "amount")
    if method == "refund":
        raise ValidationFailed("method_refund", "Record a refund as a refund.", "method")
    today = now.astimezone(ZoneInfo(course.site.time_zone)).date()
    if received_on > today:
        raise ValidationFailed(
            "received_in_future", "The payment date is in the future.", "received_on"
        )
    with audited_transaction():
        locked = for_update(Course.objects.filter(pk=course.pk)).get()
        if amount.currency != locked.site.currency:
            raise BillingError(
                "currency_mismatch", f"Payments here are in {locked.site.currency}.", "amount"
            )
        payment = _book(
            locked,
            method=method,
            amount=amount,
            received_on=received_on,
            reference=reference.strip(),
            action="payment.record",
            changes={"paid_by": method},
            by=by,
            now=now,
        )
    return payment


def _book(
    course: Course,
    *,
    method: str,
    amount: Money,
    received_on: date,
    reference: str = "",
    reason: str = "",
    action: str,
    changes: dict[str, Any],
    by: User,
    now: datetime,
) -> Payment:
    """Money in (or, negative, out) for a course, with its receipt number and audit event, in
    the caller's audited transaction (the course locked)."""
    payment = Payment.objects.create(
        site=course.site,
        patient_id=course.patient_id,
        course=course,
        method=method,
        amount_minor=amount.minor_units,
        currency=amount.currency,
        received_on=received_on,
        reference=reference,
        reason=reason,
        receipt_number=_receipt_number(course.site, now),
        recorded_by=by,
        recorded_at=now,
    )
    record_event(
        actor=by,
        site=course.site,
        action=action,
        object_type="payment",
        object_id=payment.pk,
        changes={
            "course": course.pk,
            "amount": str(amount.amount),
            "currency": amount.currency,
            "receipt": payment.receipt_number,
            **changes,
        },
        now=now,
    )
    return payment


def record_refund(
    course: Course,
    *,
    method: str,
    reason: str,
    delivered: Money,
    making_units: Money,
    by: User,
    now: datetime,
) -> Payment:
    """Pay back what the clinic's refund policy gives for a cancelled course or sessions not
    given; units already made are kept unless the policy refunds them."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason_required", "Say why the money is refunded.", "reason")
    profile = _profile(course.site)
    policy = RefundPolicy(profile.refund_keep_percent, profile.refund_units_made)
    with audited_transaction():
        locked = for_update(Course.objects.filter(pk=course.pk)).get()
        paid = queries.paid(locked)
        back = refundable(policy, paid=paid, delivered=delivered, making_units=making_units)
        if back.amount <= 0:
            raise ConflictError(
                "nothing_to_refund", "Under the clinic's policy nothing is refunded.", "course"
            )
        payment = _book(
            locked,
            method="refund",
            amount=Money(back.currency, -back.amount),
            received_on=now.astimezone(ZoneInfo(locked.site.time_zone)).date(),
            reference=method,
            reason=reason,
            action="payment.refund",
            changes={
                "paid": str(paid.amount),
                "delivered": str(delivered.amount),
                "units_made": str(making_units.amount),
                "reason": reason,
            },
            by=by,
            now=now,
        )
    return payment


PROFILE_FIELDS = (
    "tax_percent",
    "tax_basis",
    "zero_rate_basis",
    "country",
    "legal_name",
    "tax_id",
    "address",
    "show_tomans",
    "deposit_gate",
    "payment_days",
    "estimate_days",
    "reminder_days",
    "refund_keep_percent",
    "refund_units_made",
    "confirmed",
    "verifactu",
    "invoice_prefix",
)


def set_billing_profile(
    site: Site, data: dict[str, Any], *, by: User | None, now: datetime
) -> BillingProfile:
    """Set how a clinic bills (its country, legal entity and choices); audited with the change."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed("profile_field", f"Unknown field {sorted(unknown)[0]}", "data")
    if data.get("verifactu") and data.get("country", "ES") != "ES":
        raise ValidationFailed(
            "verifactu_outside_spain", "VERI*FACTU records are for Spanish clinics.", "verifactu"
        )
    if "country" in data and not {"tax_percent", "tax_basis"} & set(data):
        # A clinic starts from its country's tax (billing.md §1); the manager may change it.
        default = vat.DEFAULTS[data["country"]]
        data = {
            **data,
            "tax_percent": default.percent,
            "tax_basis": default.basis,
            "zero_rate_basis": default.zero_basis,
        }
    with audited_transaction():
        before = BillingProfile.objects.filter(site=site).first()
        old = {f: str(getattr(before, f)) for f in data} if before else {}
        profile, _ = BillingProfile.objects.update_or_create(site=site, defaults=data)
        record_event(
            actor=by,
            site=site,
            action="billing_profile.set",
            object_type="billing_profile",
            object_id=profile.pk,
            changes={f: [old.get(f), str(data[f])] for f in data},
            now=now,
        )
    return profile


def send_payment_reminders(site: Site, *, now: datetime) -> dict[str, int]:
    """Remind each patient of an instalment that falls due within the clinic's reminder days,
    and once more when it is overdue; once per step (safe to run often, from the worker)."""
    billing = BillingProfile.objects.filter(site=site).first()
    if billing is None:
        return {}
    today = now.astimezone(ZoneInfo(site.time_zone)).date()
    counts: dict[str, int] = {}
    for row in queries.open_instalments(site):
        step = reminder_step(row.due_on, today, billing.reminder_days)
        if step is None or row.instalment.reminders.filter(step=step).exists():
            continue
        outcome = _remind(billing, row, step, now)
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def reminder_step(due_on: date, today: date, days_before: int) -> str | None:
    """``before`` from ``days_before`` days ahead to the due day, ``overdue`` after it."""
    if today > due_on:
        return "overdue"
    if today >= due_on - timedelta(days=days_before):
        return "before"
    return None


def _remind(billing: BillingProfile, row: queries.OpenInstalment, step: str, now: datetime) -> str:
    patient = row.course.patient
    channel = "email" if patient.email else "sms" if patient.phone else ""
    try:
        with audited_transaction():
            message = None
            outcome = "no_contact"
            if channel:
                subject, body = mail.reminder(
                    patient,
                    billing,
                    step=step,
                    number=row.instalment.number,
                    amount=row.open,
                    due_on=row.due_on,
                    language=patient.preferred_language or billing.site.default_language,
                )
                message = queue_message(
                    site=billing.site,
                    channel=channel,
                    to=patient.email if channel == "email" else patient.phone,
                    subject=subject,
                    body=body,
                    purpose=mail.PURPOSE,
                    now=now,
                )
                outcome = "queued"
            PaymentReminder.objects.create(
                instalment=row.instalment, step=step, outcome=outcome, message=message, at=now
            )
            record_event(
                actor=None,
                site=billing.site,
                action="payment.reminder",
                object_type="patient",
                object_id=patient.pk,
                changes={
                    "instalment_id": row.instalment.pk,
                    "reminder": step,
                    "sent_by": channel,
                    "outcome": outcome,
                },
                now=now,
            )
    except IntegrityError:
        return ""  # another worker reminded this step first
    except ValidationFailed as refused:  # an unusable phone number, for one
        with audited_transaction():
            PaymentReminder.objects.get_or_create(
                instalment=row.instalment, step=step, defaults={"outcome": refused.code, "at": now}
            )
        return refused.code
    return outcome


def add_coverage(
    course: Course,
    *,
    insurer: str,
    policy_number: str,
    channel: str,
    share_rule: str = "",
    pre_authorisation: str = "",
    course_cap: Money | None = None,
    year_cap: Money | None = None,
    covered_items: list[str] | None = None,
    by: User,
    now: datetime,
) -> Coverage:
    """Record a patient's insurance (audited); claims of the course's invoices go through it."""
    insurer, policy_number = insurer.strip(), policy_number.strip()
    if not insurer:
        raise ValidationFailed("insurer_required", "Name the insurer.", "insurer")
    if not policy_number:
        raise ValidationFailed("policy_required", "Enter the policy number.", "policy_number")
    if channel not in {"direct", "reimbursement"}:
        raise ValidationFailed("channel_unknown", "Choose how the insurer pays.", "channel")
    with audited_transaction():
        row = Coverage.objects.create(
            site=course.site,
            patient=course.patient,
            insurer=insurer,
            policy_number=policy_number,
            channel=channel,
            share_rule=share_rule.strip(),
            pre_authorisation=pre_authorisation.strip(),
            course_cap_minor=course_cap.minor_units if course_cap else None,
            year_cap_minor=year_cap.minor_units if year_cap else None,
            covered_items=covered_items or [],
            recorded_by=by,
            recorded_at=now,
        )
        record_event(
            actor=by,
            site=course.site,
            action="coverage.add",
            object_type="patient",
            object_id=course.patient_id,
            changes={"coverage_id": row.pk, "insurer": insurer, "channel": channel},
            now=now,
        )
    return row


def open_claim(course: Course, coverage: Coverage, *, by: User, now: datetime) -> Claim:
    """A draft claim of the course's invoice to the insurer: the covered lines, within the
    policy's caps per course and per year."""
    if coverage.patient_id != course.patient_id:
        raise ValidationFailed(
            "coverage_other_patient", "This insurance is another patient's.", "coverage"
        )
    with audited_transaction():
        locked = for_update(Course.objects.filter(pk=course.pk)).select_related("site").get()
        invoice = next((i for i in queries.uncredited(locked) if i.series == "invoice"), None)
        if invoice is None:
            raise ConflictError(
                "claim_needs_invoice", "Issue the course's invoice before claiming it.", "invoice"
            )
        currency = invoice.currency
        covered = set(coverage.covered_items or [])
        lines = [line for line in invoice.lines if not covered or line["code"] in covered]
        claimed = Money.from_minor(
            max(sum(line["net_minor"] + line["tax_minor"] for line in lines), 0), currency
        )
        year = now.astimezone(ZoneInfo(locked.site.time_zone)).year
        used = Claim.objects.filter(
            coverage=coverage, created_at__year=year, approved_minor__isnull=False
        ).aggregate(s=models.Sum("approved_minor"))["s"]
        amount = claims.capped(
            claimed,
            course_cap=Money.from_minor(coverage.course_cap_minor, currency)
            if coverage.course_cap_minor is not None
            else None,
            year_cap=Money.from_minor(coverage.year_cap_minor, currency)
            if coverage.year_cap_minor is not None
            else None,
            used_this_year=Money.from_minor(int(used or 0), currency),
        )
        claim = Claim.objects.create(
            site=locked.site,
            course=locked,
            coverage=coverage,
            invoice=invoice,
            channel=coverage.channel,
            currency=currency,
            claimed_minor=amount.minor_units,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        _claim_event(claim, "claim.open", {"claimed": str(amount.amount)}, by, now)
    return claim


def _claim_event(claim: Claim, action: str, changes: dict[str, Any], by: User, now: datetime):
    record_event(
        actor=by,
        site=claim.site,
        action=action,
        object_type="claim",
        object_id=claim.pk,
        changes={"course": claim.course_id, "state": claim.state, **changes},
        now=now,
    )


def _locked_claim(claim: Claim, expected_version: int | None) -> Claim:
    for_update(Course.objects.filter(pk=claim.course_id)).get()
    current = for_update(Claim.objects.filter(pk=claim.pk)).select_related("site").get()
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(
            "claim_changed", "Someone changed this claim meanwhile: reload the page.", "claim"
        )
    return current


def submit_claim(
    claim: Claim,
    *,
    reference: str = "",
    by: User,
    now: datetime,
    expected_version: int | None = None,
) -> Claim:
    """The claim is sent to the insurer (directly, or as the pack the patient takes)."""
    with audited_transaction():
        current = _locked_claim(claim, expected_version)
        current.state = claims.move(current.state, "submitted")
        current.reference = reference.strip() or current.reference
        current.version += 1
        current.updated_at = now
        current.save(update_fields=["state", "reference", "version", "updated_at"])
        _claim_event(current, "claim.submit", {"reference": current.reference}, by, now)
    return current


def decide_claim(
    claim: Claim,
    *,
    approved: Money | None,
    reason: str = "",
    by: User,
    now: datetime,
    expected_version: int | None = None,
) -> Claim:
    """Record the insurer's decision: approved in full, partly (with its reason) or rejected."""
    with audited_transaction():
        current = _locked_claim(claim, expected_version)
        decision = claims.decide(
            Money.from_minor(current.claimed_minor, current.currency), approved
        )
        if decision.state != "approved" and not reason.strip():
            raise ValidationFailed(
                "claim_reason_required", "Give the insurer's reason for paying less.", "reason"
            )
        current.state = claims.move(current.state, decision.state)
        current.approved_minor = decision.approved.minor_units
        current.reason = reason.strip()
        current.version += 1
        current.updated_at = now
        current.save(update_fields=["state", "approved_minor", "reason", "version", "updated_at"])
        _claim_event(current, "claim.decide", {"approved": str(decision.approved.amount)}, by, now)
    return current


def record_claim_payment(
    claim: Claim,
    *,
    amount: Money,
    received_on: date,
    by: User,
    now: datetime,
    expected_version: int | None = None,
) -> Claim:
    """The insurer paid. A direct claim's payment reaches the clinic (a payment on the course, so
    the patient's share is what is left); a reimbursement went to the patient and is noted."""
    with audited_transaction():
        current = _locked_claim(claim, expected_version)
        if amount.amount <= 0 or amount.minor_units > (current.approved_minor or 0):
            raise ValidationFailed(
                "claim_payment_amount",
                "The insurer's payment is more than zero and at most what it approved.",
                "amount",
            )
        current.state = claims.move(current.state, "paid")
        current.paid_minor = amount.minor_units
        current.version += 1
        current.updated_at = now
        current.save(update_fields=["state", "paid_minor", "version", "updated_at"])
        if current.channel == "direct":
            _book(
                current.course,
                method="insurer",
                amount=amount,
                received_on=received_on,
                reference=f"{current.coverage.insurer} {current.reference}".strip(),
                action="payment.record",
                changes={"paid_by": "insurer"},
                by=by,
                now=now,
            )
        _claim_event(current, "claim.paid", {"paid": str(amount.amount)}, by, now)
    return current


def resubmit_claim(claim: Claim, *, by: User, now: datetime) -> Claim:
    """A new draft for what a rejected or partly approved claim left unpaid, naming it."""
    with audited_transaction():
        current = _locked_claim(claim, None)
        if current.state not in claims.RESUBMITTABLE and not (
            current.state == "paid" and (current.approved_minor or 0) < current.claimed_minor
        ):
            raise ConflictError(
                "claim_not_resubmittable",
                "Only a rejected or partly approved claim is resubmitted.",
                "claim",
            )
        if Claim.objects.filter(resubmission_of=current).exists():
            raise ConflictError("claim_resubmitted", "This claim is already resubmitted.", "claim")
        left = current.claimed_minor - (current.approved_minor or 0)
        new = Claim.objects.create(
            site=current.site,
            course_id=current.course_id,
            coverage=current.coverage,
            invoice=current.invoice,
            channel=current.channel,
            currency=current.currency,
            claimed_minor=left,
            resubmission_of=current,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        _claim_event(new, "claim.resubmit", {"follows_id": current.pk}, by, now)
    return new


ESTIMATE_REF = "estimate-link"


def send_estimate_link(
    estimate: Estimate, *, channel: str, by: User, now: datetime
) -> EstimateLink:
    """Send the patient a personal link to read and accept the estimate online, in the
    estimate's language; the token is minted as the message goes out and stored nowhere."""
    from autologic.portal.actions import contact  # the patient's e-mail or mobile, checked
    from autologic.portal.domain import LINK_PLACEHOLDER

    profile = _profile(estimate.site)
    if profile.country == "DE":
        raise ValidationFailed(
            "online_not_in_germany",
            "In Germany the § 2 / IGeL agreement is signed in writing: print it for the patient.",
            "channel",
        )
    if estimate.status != "offered":
        raise ConflictError(
            "estimate_not_offered",
            "This estimate is no longer on offer (accepted or replaced by a revision).",
            "estimate",
        )
    patient = estimate.patient
    to = contact(patient, channel)
    if not to:
        raise ValidationFailed(
            "no_contact", "The patient has no e-mail address or mobile number for this.", "channel"
        )
    zone = ZoneInfo(estimate.site.time_zone)
    until = datetime.combine(estimate.valid_until + timedelta(days=1), datetime.min.time(), zone)
    with audited_transaction():
        link = EstimateLink.objects.create(
            site=estimate.site,
            estimate=estimate,
            channel=channel,
            created_by=by,
            created_at=now,
            expires_at=until,
        )
        subject, body = mail.estimate_invitation(estimate, LINK_PLACEHOLDER)
        queue_message(
            site=estimate.site,
            channel=channel,
            to=to,
            subject=subject,
            body=body,
            purpose="billing.estimate",
            ref=f"{ESTIMATE_REF}:{link.pk}",
            now=now,
        )
        record_event(
            actor=by,
            site=estimate.site,
            action="estimate.link_sent",
            object_type="estimate",
            object_id=estimate.pk,
            changes={"sent_by": channel},
            now=now,
        )
    return link


def render_estimate_link(message: Any, now: datetime) -> tuple[str, str]:
    """The outbox calls this as it sends: a token is minted for the link, only its hash kept."""
    from autologic.outbox.channels import Refused
    from autologic.portal import domain as portal

    link = EstimateLink.objects.filter(pk=int(message.ref.split(":")[1])).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise Refused("the estimate's link is closed; nothing was sent.")
    token = portal.new_token()
    EstimateLink.objects.filter(pk=link.pk).update(token_hash=portal.token_hash(token))
    url = settings.AUTOLOGIC_PUBLIC_URL + reverse("portal:estimate", args=[token])
    return message.subject, portal.fill_link(message.body, url)


def open_estimate_link(token: str, *, now: datetime) -> EstimateLink | None:
    """The live link behind a token; None when unknown, expired or already used."""
    from autologic.portal import domain as portal

    if not token:
        return None
    return (
        EstimateLink.objects.select_related("estimate__patient", "estimate__site", "site")
        .filter(token_hash=portal.token_hash(token), expires_at__gt=now, used_at__isnull=True)
        .first()
    )


def accept_estimate_online(link: EstimateLink, *, name: str, now: datetime) -> Estimate:
    """The patient accepts on their own page by typing their full name (as the clinic knows
    it) and ticking their agreement; the link closes."""
    typed = " ".join(name.split())
    patient = link.estimate.patient
    expected = {
        " ".join(f"{patient.given_name} {patient.family_name}".split()).casefold(),
        " ".join(f"{patient.family_name} {patient.given_name}".split()).casefold(),
    }
    if typed.casefold() not in expected:
        raise ValidationFailed(
            "name_differs", "Type your full name as the clinic has it on file.", "name"
        )
    with audited_transaction():
        current = for_update(Estimate.objects.filter(pk=link.estimate_id)).get()
        closed = EstimateLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not closed or current.status != "offered":
            raise ConflictError(
                "estimate_not_offered",
                "This estimate is no longer on offer (accepted or replaced by a revision).",
                "estimate",
            )
        today = now.astimezone(ZoneInfo(current.site.time_zone)).date()
        if today > current.valid_until:
            raise ValidationFailed(
                "estimate_expired",
                "The estimate expired before it was signed: offer a revised one.",
                "name",
            )
        current.status = "accepted"
        current.accepted_on = today
        current.accepted_by_name = typed
        current.acceptance = "online"
        current.save(update_fields=["status", "accepted_on", "accepted_by_name", "acceptance"])
        record_event(
            actor=None,
            site=current.site,
            action="estimate.accept",
            object_type="estimate",
            object_id=current.pk,
            changes={
                "accepted_by_name": typed,
                "accepted_on": today.isoformat(),
                "acceptance": "online",
                "total": str(current.total.amount),
                "currency": current.currency,
            },
            now=now,
        )
    return current
