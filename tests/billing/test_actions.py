"""The money path of a course: price list, estimate with its plan, signature, invoices with
gapless numbers, credit notes, payments settled oldest first, refunds by the clinic's policy."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, transaction

from autologic.audit.actions import SignerProof
from autologic.audit.models import AuditEvent
from autologic.billing import actions, queries
from autologic.billing.actions import GoaeChoice, PlanRequest
from autologic.billing.domain.money import Money
from autologic.billing.models import Estimate, Invoice, Payment, VerifactuRecord
from autologic.common.domain.errors import ConflictError, ValidationFailed
from tests.billing.conftest import NOW, billing_for, goae_list, hip_range

TODAY = NOW.date()


def plan(currency: str, deposit: int | str = 0, parts: int = 3, **kw) -> PlanRequest:
    return PlanRequest(
        deposit=Money.of(deposit, currency), parts=parts, first_due=TODAY, every_days=30, **kw
    )


def as_rials(site):
    site.currency, site.calendar, site.time_zone = "IRR", "jalali", "Asia/Tehran"
    site.save()


def test_seed_004_hip_course_priced_in_a_range_stored_in_whole_rials(
    site, start_course, billing_clerk
):
    as_rials(site)
    billing_for(site, "IR")
    hip_range(site)
    course = start_course("cells-hip", regions=[_hip()])
    with pytest.raises(ValidationFailed) as unfixed:
        actions.offer_estimate(course, plan=plan("IRR"), language="fa", by=billing_clerk, now=NOW)
    assert (unfixed.value.code, unfixed.value.field) == ("price_not_fixed", "price-hip-course")
    estimate = actions.offer_estimate(
        course,
        plan=plan("IRR", deposit=40_000_000, parts=3, on_events=True),
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Fat-derived cells, one session")},
        insurer="Supplementary insurer",
        insurer_note="May reimburse up to 30 % of its own tariff",
        language="fa",
        by=billing_clerk,
        now=NOW,
    )
    estimate.refresh_from_db()
    assert estimate.total_minor == 160_000_000 and estimate.currency == "IRR"
    parts = list(estimate.instalments.values_list("deposit", "amount_minor", "due_event"))
    assert parts == [
        (True, 40_000_000, ""),
        (False, 40_000_000, "collection"),
        (False, 40_000_000, "first_injection"),
        (False, 40_000_000, "last_injection"),
    ]
    assert sum(p[1] for p in parts) == estimate.total_minor


def _hip():
    from tests.care.conftest import knee

    return {**knee(), "region": "hip", "grade_system": "KL", "grade": 2}


def accept(estimate, user, **kw):
    return actions.accept_estimate(
        estimate,
        signed_by="Patient Name",
        signed_on=TODAY,
        acceptance="in_person",
        agreement_signed=kw.get("agreement", False),
        proof=SignerProof(user=user, second_factor=True),
        now=NOW,
    )


def eur_course(site, start_course, clerk, country="ES"):
    billing_for(site, country)
    course = start_course("acs-large-joint")
    from autologic.protocols.models import ProtocolVersion

    if country == "DE":
        return course  # no flat list in Germany: the test adds the clinic's GOÄ items
    actions.seed_price_list(
        site, ProtocolVersion.objects.get(pk=course.protocol_id), by=clerk, now=NOW
    )
    return course


def test_a_revised_estimate_keeps_the_old_one_and_only_the_current_is_signed(
    site, start_course, billing_clerk
):
    course = eur_course(site, start_course, billing_clerk)
    first = actions.offer_estimate(
        course, plan=plan("EUR"), language="es", by=billing_clerk, now=NOW
    )
    second = actions.offer_estimate(
        course, plan=plan("EUR", parts=2), language="es", by=billing_clerk, now=NOW
    )
    first.refresh_from_db()
    assert (first.status, second.status, second.supersedes_id) == (
        "superseded",
        "offered",
        first.pk,
    )
    with pytest.raises(ConflictError):
        accept(first, billing_clerk)
    accept(second, billing_clerk)
    assert Estimate.objects.get(pk=second.pk).status == "accepted"
    assert AuditEvent.objects.filter(action="estimate.accept", object_id=str(second.pk)).exists()


def test_the_protocol_prices_seed_the_first_list_and_price_the_course(
    site, start_course, billing_clerk
):
    course = eur_course(site, start_course, billing_clerk)
    estimate = actions.offer_estimate(
        course, plan=plan("EUR"), language="es", by=billing_clerk, now=NOW
    )
    # acs-large-joint: consultation 150 + processing 450 + 120 per joint and injection.
    injections = course.injections
    assert estimate.total_minor == (150 + 450 + 120 * injections) * 100


def test_spanish_invoices_are_numbered_gapless_and_chained_under_verifactu(
    site, start_course, billing_clerk
):
    course = eur_course(site, start_course, billing_clerk)
    estimate = actions.offer_estimate(
        course,
        plan=plan("EUR", deposit="300.00", parts=2),
        language="es",
        by=billing_clerk,
        now=NOW,
    )
    accept(estimate, billing_clerk)
    with pytest.raises(ValidationFailed) as no_nif:
        actions.issue_invoice(course, series="deposit", by=billing_clerk, now=NOW)
    assert no_nif.value.field == "recipient_tax_id"
    deposit = actions.issue_invoice(
        course, series="deposit", recipient_tax_id="12345678Z", by=billing_clerk, now=NOW
    )
    final = actions.issue_invoice(
        course,
        series="invoice",
        recipient_tax_id="12345678Z",
        by=billing_clerk,
        now=NOW + timedelta(minutes=5),
    )
    assert (deposit.number_text, final.number_text) == ("A-2026-00001", "R-2026-00001")
    # The final invoice deducts the deposit invoiced before.
    assert final.total_minor == estimate.total_minor - deposit.total_minor
    with pytest.raises(ConflictError):
        actions.issue_invoice(
            course, series="invoice", recipient_tax_id="12345678Z", by=billing_clerk, now=NOW
        )
    credit = actions.issue_credit_note(
        final, reason="Wrong number of sessions", by=billing_clerk, now=NOW + timedelta(minutes=9)
    )
    assert credit.number_text == "G-2026-00001" and credit.corrects_id == final.pk
    assert credit.total_minor == -final.total_minor
    records = list(VerifactuRecord.objects.filter(site=site).order_by("position"))
    assert [r.invoice_id for r in records] == [deposit.pk, final.pk, credit.pk]
    assert [r.previous for r in records[1:]] == [r.fingerprint for r in records[:-1]]
    assert "<sf:TipoFactura>R4</sf:TipoFactura>" in records[2].xml
    # After the credit note the course can be invoiced again, with the next number.
    again = actions.issue_invoice(
        course,
        series="invoice",
        recipient_tax_id="12345678Z",
        by=billing_clerk,
        now=NOW + timedelta(minutes=12),
    )
    assert again.number_text == "R-2026-00002"


def test_an_issued_invoice_cannot_be_changed_or_deleted(site, start_course, billing_clerk):
    course = eur_course(site, start_course, billing_clerk, country="DE")
    goae_list(site)
    estimate = actions.offer_estimate(
        course, plan=plan("EUR"), language="de", by=billing_clerk, now=NOW
    )
    accept(estimate, billing_clerk, agreement=True)
    invoice = actions.issue_invoice(course, by=billing_clerk, now=NOW)
    for change in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(total_minor=1),
        lambda: Invoice.objects.filter(pk=invoice.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert Invoice.objects.get(pk=invoice.pk).total_minor == invoice.total_minor


def test_a_german_course_is_billed_by_goae_lines_with_a_justified_multiplier(
    site, start_course, billing_clerk
):
    course = eur_course(site, start_course, billing_clerk, country="DE")
    goae_list(site)
    with pytest.raises(ValidationFailed) as unjustified:
        actions.offer_estimate(
            course,
            plan=plan("EUR"),
            goae_choices={"255": GoaeChoice(Decimal("3.0"))},
            language="de",
            by=billing_clerk,
            now=NOW,
        )
    assert unjustified.value.code == "goae_justification_missing"
    estimate = actions.offer_estimate(
        course,
        plan=plan("EUR"),
        goae_choices={"255": GoaeChoice(Decimal("3.0"), "Difficult access, severe effusion")},
        language="de",
        by=billing_clerk,
        now=NOW,
    )
    lines = {line["code"]: line for line in estimate.lines}
    # The kit is a § 10 expense with its amount; above €25.56 its receipt goes with the invoice.
    assert (
        lines["acs-kit"]["amount_minor"] == 18000 and lines["acs-kit"]["expense"]["receipt_needed"]
    )
    # Nr. 284 at 2.3 = €12.07 (billing.md §2.1, a published figure);
    # Nr. 255 at 3.0 = 95 × 0.0582873 × 3.0 = 16.6118… → €16.61.
    assert lines["284"]["unit_minor"] == 1207
    assert lines["255"]["unit_minor"] == 1661 and lines["255"]["goae"]["justified"]
    with pytest.raises(ValidationFailed) as unsigned:
        accept(estimate, billing_clerk)
    assert unsigned.value.field == "agreement_signed"
    accept(estimate, billing_clerk, agreement=True)
    invoice = actions.issue_invoice(course, by=billing_clerk, now=NOW)
    assert invoice.document["fee_schedule"] == "GOÄ 1996" and invoice.tax_minor == 0
    assert "§ 4 Nr. 14a UStG" in invoice.document["tax_basis"]


def test_a_flat_price_list_is_refused_in_germany(site, start_course, billing_clerk):
    billing_for(site, "DE")
    course = start_course("acs-large-joint")
    from autologic.protocols.models import ProtocolVersion

    with pytest.raises(ValidationFailed) as refused:
        actions.seed_price_list(
            site, ProtocolVersion.objects.get(pk=course.protocol_id), by=billing_clerk, now=NOW
        )
    assert refused.value.code == "flat_fees_excluded"


def test_uae_vat_is_five_percent_per_line_until_the_zero_rate_is_confirmed(
    site, start_course, billing_clerk
):
    site.currency = "AED"
    site.save()
    course = eur_course(site, start_course, billing_clerk, country="AE")
    estimate = actions.offer_estimate(
        course, plan=plan("AED"), language="en", by=billing_clerk, now=NOW
    )
    accept(estimate, billing_clerk)
    invoice = actions.issue_invoice(course, by=billing_clerk, now=NOW)
    assert invoice.tax_minor == sum(round(line["net_minor"] * 5 / 100) for line in invoice.lines)
    assert invoice.total_minor == invoice.net_minor + invoice.tax_minor
    credit = actions.issue_credit_note(
        invoice, reason="Patient is not the recipient", by=billing_clerk, now=NOW
    )
    billing_for(site, "AE", confirmed=["zero_rate"])
    zero = actions.issue_invoice(course, by=billing_clerk, now=NOW)
    assert zero.tax_minor == 0 and credit.total_minor == -invoice.total_minor
    third_party = actions.issue_credit_note(zero, reason="Employer pays", by=billing_clerk, now=NOW)
    assert third_party.series == "credit"
    employer = actions.issue_invoice(course, patient_is_recipient=False, by=billing_clerk, now=NOW)
    assert employer.tax_minor > 0


def test_payments_settle_the_deposit_first_and_overpayment_is_a_credit(
    site, start_course, billing_clerk
):
    as_rials(site)
    billing_for(site, "IR")
    hip_range(site)
    course = start_course("cells-hip", regions=[_hip()])
    estimate = actions.offer_estimate(
        course,
        plan=plan("IRR", deposit=40_000_000, parts=3),
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Marrow cells")},
        language="fa",
        by=billing_clerk,
        now=NOW,
    )
    accept(estimate, billing_clerk)
    assert queries.deposit_facts(course).paid is False
    actions.record_payment(
        course,
        amount=Money.of(30_000_000, "IRR"),
        method="cash",
        received_on=TODAY,
        by=billing_clerk,
        now=NOW,
    )
    account = queries.account(course)
    assert queries.deposit_facts(course).paid is False
    assert [row.settled.paid.minor_units for row in account.plan] == [30_000_000, 0, 0, 0]
    actions.record_payment(
        course,
        amount=Money.of(150_000_000, "IRR"),
        method="transfer",
        received_on=TODAY,
        by=billing_clerk,
        now=NOW,
    )
    account = queries.account(course)
    assert queries.deposit_facts(course).paid and account.credit.minor_units == 20_000_000
    assert (
        Payment.objects.filter(course=course).values_list("amount_minor", flat=True)[0]
        == 30_000_000
    )
    receipts = list(Payment.objects.filter(course=course).values_list("receipt_number", flat=True))
    assert receipts == ["Q-1405-00001", "Q-1405-00002"] or receipts == [
        "Q-2026-00001",
        "Q-2026-00002",
    ]


def test_overdue_instalments_reach_the_front_desk_list_and_the_ageing(
    site, start_course, billing_clerk
):
    course = eur_course(site, start_course, billing_clerk)
    estimate = actions.offer_estimate(
        course,
        plan=plan("EUR", deposit="200.00", parts=2),
        language="es",
        by=billing_clerk,
        now=NOW,
    )
    accept(estimate, billing_clerk)
    actions.record_payment(
        course,
        amount=Money.of("50.00", "EUR"),
        method="card",
        received_on=TODAY,
        by=billing_clerk,
        now=NOW,
    )
    rows = queries.overdue(site, TODAY + timedelta(days=40))
    assert [(r.number, r.open.amount, r.days) for r in rows] == [
        (1, Decimal("150.00"), 40),
        (2, estimate.instalments.get(number=2).amount.amount, 10),
    ]
    invoice = actions.issue_invoice(course, recipient_tax_id="12345678Z", by=billing_clerk, now=NOW)
    ageing = queries.ageing(site, invoice.due_on + timedelta(days=45))
    assert ageing.buckets[1].minor_units == invoice.total_minor - 5000
    assert ageing.total.minor_units == invoice.total_minor - 5000


def test_a_refund_keeps_what_was_given_and_the_units_made(site, start_course, billing_clerk):
    course = eur_course(site, start_course, billing_clerk)
    billing_for(site, "ES", refund_keep_percent=Decimal("10"))
    estimate = actions.offer_estimate(
        course, plan=plan("EUR"), language="es", by=billing_clerk, now=NOW
    )
    accept(estimate, billing_clerk)
    actions.record_payment(
        course,
        amount=Money.of("1000.00", "EUR"),
        method="card",
        received_on=TODAY,
        by=billing_clerk,
        now=NOW,
    )
    refund = actions.record_refund(
        course,
        method="card",
        reason="Course cancelled after the collection",
        delivered=Money.of("150.00", "EUR"),
        making_units=Money.of("450.00", "EUR"),
        by=billing_clerk,
        now=NOW,
    )
    # (1000 − 150 − 450) less 10 % = 360.00 back.
    assert refund.amount_minor == -36000
    assert queries.paid(course).amount == Decimal("640.00")
    with pytest.raises(ConflictError):
        actions.record_refund(
            course,
            method="card",
            reason="again",
            delivered=Money.of("640.00", "EUR"),
            making_units=Money.of(0, "EUR"),
            by=billing_clerk,
            now=NOW,
        )


def test_a_payment_needs_a_positive_amount_and_a_past_date(site, start_course, billing_clerk):
    course = eur_course(site, start_course, billing_clerk)
    with pytest.raises(ValidationFailed) as zero:
        actions.record_payment(
            course,
            amount=Money.of(0, "EUR"),
            method="cash",
            received_on=TODAY,
            by=billing_clerk,
            now=NOW,
        )
    assert zero.value.field == "amount"
    with pytest.raises(ValidationFailed) as future:
        actions.record_payment(
            course,
            amount=Money.of(5, "EUR"),
            method="cash",
            received_on=date(2027, 1, 1),
            by=billing_clerk,
            now=NOW,
        )
    assert future.value.field == "received_on"


def test_a_changed_course_is_offered_a_revised_estimate(site, start_course, billing_clerk):
    from autologic.care.models import Course

    course = eur_course(site, start_course, billing_clerk)
    actions.offer_estimate(course, plan=plan("EUR"), language="es", by=billing_clerk, now=NOW)
    assert queries.account(course).changed is False
    Course.objects.filter(pk=course.pk).update(injections=course.injections + 2)  # re-planned
    course.refresh_from_db()
    assert queries.account(course).changed is True
    revised = actions.offer_estimate(
        course, plan=plan("EUR"), language="es", by=billing_clerk, now=NOW
    )
    assert queries.account(course).changed is False
    assert revised.revision == 2 and revised.supersedes.status == "superseded"


def test_an_estimate_signed_on_paper_keeps_its_scan(site, start_course, billing_clerk):
    from autologic.billing.domain import scans
    from autologic.billing.models import SignedScan
    from tests.conftest import signed_in

    course = eur_course(site, start_course, billing_clerk)
    estimate = actions.offer_estimate(
        course, plan=plan("EUR"), language="es", by=billing_clerk, now=NOW
    )

    def sign(scan=None):
        return actions.accept_estimate(
            estimate,
            signed_by="Marta Puig",
            signed_on=TODAY,
            acceptance="paper",
            agreement_signed=False,
            proof=SignerProof(user=billing_clerk, second_factor=True),
            now=NOW,
            scan=scan,
        )

    with pytest.raises(ValidationFailed) as missing:
        sign()
    assert missing.value.field == "scan"
    with pytest.raises(ValidationFailed) as wrong:
        scans.scan(b"MZ\x90\x00 not a document")
    assert wrong.value.code == "scan_type"
    pdf = scans.scan(b"%PDF-1.7\n% signed\n%%EOF\n")
    sign(pdf)
    stored = SignedScan.objects.get(estimate=estimate)
    assert stored.sha256 == pdf.sha256 and stored.content_type == "application/pdf"
    from autologic.audit.models import Signature

    assert Signature.objects.filter(object_type="estimate", object_id=str(estimate.pk)).exists()
    response = signed_in(billing_clerk).get(f"/billing/estimates/{estimate.pk}/scan/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-1.7")


def test_instalments_on_course_events_fall_due_on_the_scheduled_days(
    site, start_course, billing_clerk, resources, physician
):
    from autologic.care import actions as care
    from autologic.care.models import Appointment

    course = eur_course(site, start_course, billing_clerk)
    estimate = actions.offer_estimate(
        course,
        plan=plan("EUR", deposit="100.00", parts=3, on_events=True),
        language="es",
        by=billing_clerk,
        now=NOW,
    )
    assert [r.due_on for r in queries.account(course).plan][1:] == [None, None, None]
    care.schedule_course(course=course, by=physician, expected_version=course.version, now=NOW)
    zone = ZoneInfo(site.time_zone)
    booked = Appointment.objects.filter(course=course, kind__in=["collection", "injection"])
    collection = min(a.starts_at.astimezone(zone).date() for a in booked if a.kind == "collection")
    injections = sorted(
        a.starts_at.astimezone(zone).date() for a in booked if a.kind == "injection"
    )
    rows = queries.account(course).plan
    assert [r.instalment.due_event for r in rows] == [
        "",
        "collection",
        "first_injection",
        "last_injection",
    ]
    assert [r.due_on for r in rows][1:] == [collection, injections[0], injections[-1]]
    assert estimate.instalments.count() == 4


def test_in_germany_nothing_falls_due_before_the_goae_invoice(site, start_course, billing_clerk):
    billing_for(site, "DE")
    goae_list(site)
    course = start_course("acs-large-joint")
    estimate = actions.offer_estimate(
        course, plan=plan("EUR", parts=2), language="de", by=billing_clerk, now=NOW
    )
    accept(estimate, billing_clerk, agreement=True)
    assert [r.due_on for r in queries.account(course).plan] == [None, None]
    assert queries.overdue(site, TODAY + timedelta(days=90)) == []
    later = NOW + timedelta(days=10)
    invoice = actions.issue_invoice(course, by=billing_clerk, now=later)
    dues = [r.due_on for r in queries.account(course).plan]
    assert dues == [invoice.issued_on, TODAY + timedelta(days=30)]


def test_a_receipt_is_printed_and_a_spanish_deposit_asks_for_its_invoice(
    site, start_course, billing_clerk, tmp_path
):
    import subprocess

    from tests.conftest import signed_in

    course = eur_course(site, start_course, billing_clerk)
    estimate = actions.offer_estimate(
        course,
        plan=plan("EUR", deposit="300.00", parts=2),
        language="es",
        by=billing_clerk,
        now=NOW,
    )
    accept(estimate, billing_clerk)
    assert queries.account(course).deposit_needs_invoice is False
    payment = actions.record_payment(
        course,
        amount=Money.of("300.00", "EUR"),
        method="card",
        received_on=TODAY,
        by=billing_clerk,
        now=NOW,
    )
    assert queries.account(course).deposit_needs_invoice is True
    actions.issue_invoice(
        course, series="deposit", recipient_tax_id="12345678Z", by=billing_clerk, now=NOW
    )
    assert queries.account(course).deposit_needs_invoice is False
    response = signed_in(billing_clerk).get(f"/billing/payments/{payment.pk}/receipt/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert payment.receipt_number in text and "300,00" in text
