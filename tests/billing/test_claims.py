"""Coverage and claims: the states a claim goes through, a direct claim's payment lowering the
patient's share, resubmission of what was not approved, the caps, and seed 004's reimbursement
pack (invoice, receipts, physician's certificate; rials and Jalali dates)."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from autologic.billing import actions, queries
from autologic.billing.domain import claims
from autologic.billing.domain.money import Money
from autologic.billing.models import Claim, Payment
from autologic.common.domain.errors import ConflictError, ValidationFailed
from tests.billing.conftest import NOW, billing_for, hip_range
from tests.billing.test_actions import _hip, accept, as_rials, eur_course, plan
from tests.conftest import signed_in

TODAY = NOW.date()


def test_the_claim_states_follow_the_rules():
    assert claims.move("draft", "submitted") == "submitted"
    with pytest.raises(claims.ClaimError) as refused:
        claims.move("draft", "paid")
    assert refused.value.field == "state" and "submitted" in refused.value.message
    eur = lambda v: Money.of(v, "EUR")  # noqa: E731
    assert claims.decide(eur("100.00"), eur("100.00")).state == "approved"
    assert claims.decide(eur("100.00"), eur("60.00")).state == "partly_approved"
    assert claims.decide(eur("100.00"), None).state == "rejected"
    with pytest.raises(claims.ClaimError):
        claims.decide(eur("100.00"), eur("120.00"))
    capped = claims.capped(
        eur("900.00"),
        course_cap=eur("800.00"),
        year_cap=eur("1000.00"),
        used_this_year=eur("700.00"),
    )
    assert capped == eur("300.00")


def invoiced_course(site, start_course, clerk):
    course = eur_course(site, start_course, clerk)
    estimate = actions.offer_estimate(course, plan=plan("EUR"), language="es", by=clerk, now=NOW)
    accept(estimate, clerk)
    invoice = actions.issue_invoice(course, recipient_tax_id="12345678Z", by=clerk, now=NOW)
    return course, invoice


def test_a_direct_claim_paid_less_leaves_the_rest_to_the_patient(site, start_course, make_staff):
    clerk = make_staff("billing")
    course, invoice = invoiced_course(site, start_course, clerk)
    coverage = actions.add_coverage(
        course,
        insurer="Sanitas",
        policy_number="P-778",
        channel="direct",
        share_rule="Contracted clinic, 80 %",
        course_cap=Money.of("1000.00", "EUR"),
        by=clerk,
        now=NOW,
    )
    claim = actions.open_claim(course, coverage, by=clerk, now=NOW)
    assert claim.claimed_minor == min(invoice.total_minor, 100000)
    with pytest.raises(ConflictError):
        actions.submit_claim(claim, by=clerk, now=NOW, expected_version=claim.version + 1)
    claim = actions.submit_claim(claim, reference="SAN-1", by=clerk, now=NOW)
    with pytest.raises(ValidationFailed) as no_reason:
        actions.decide_claim(claim, approved=Money.of("600.00", "EUR"), by=clerk, now=NOW)
    assert no_reason.value.field == "reason"
    claim = actions.decide_claim(
        claim, approved=Money.of("600.00", "EUR"), reason="Tariff limit", by=clerk, now=NOW
    )
    assert claim.state == "partly_approved"
    claim = actions.record_claim_payment(
        claim, amount=Money.of("600.00", "EUR"), received_on=TODAY, by=clerk, now=NOW
    )
    assert claim.state == "paid"
    assert Payment.objects.get(course=course, method="insurer").amount_minor == 60000
    account = queries.account(course)
    assert account.balance.minor_units == invoice.total_minor - 60000  # the patient's share
    again = actions.resubmit_claim(claim, by=clerk, now=NOW)
    assert again.claimed_minor == claim.claimed_minor - 60000 and again.resubmission_of == claim
    with pytest.raises(ConflictError):
        actions.resubmit_claim(claim, by=clerk, now=NOW)


def test_seed_004_reimbursement_pack_in_rials_and_jalali(site, start_course, make_staff, tmp_path):
    as_rials(site)
    billing_for(site, "IR")
    hip_range(site)
    clerk = make_staff("billing")
    course = start_course("cells-hip", regions=[_hip()])
    estimate = actions.offer_estimate(
        course,
        plan=plan("IRR", deposit=40_000_000, parts=3),
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Marrow cells")},
        insurer="بیمه تکمیلی",
        language="fa",
        by=clerk,
        now=NOW,
    )
    accept(estimate, clerk)
    actions.record_payment(
        course,
        amount=Money.of(160_000_000, "IRR"),
        method="transfer",
        received_on=TODAY,
        by=clerk,
        now=NOW,
    )
    actions.issue_invoice(course, by=clerk, now=NOW)
    coverage = actions.add_coverage(
        course,
        insurer="بیمه تکمیلی",
        policy_number="ت-۱۲۳",
        channel="reimbursement",
        share_rule="تا ۳۰ درصد تعرفهٔ بیمه",
        by=clerk,
        now=NOW,
    )
    claim = actions.open_claim(course, coverage, by=clerk, now=NOW)
    claim = actions.submit_claim(claim, by=clerk, now=NOW)
    claim = actions.decide_claim(
        claim,
        approved=Money.of(30_000_000, "IRR"),
        reason="تعرفهٔ بیمه",
        by=clerk,
        now=NOW + timedelta(days=20),
    )
    actions.record_claim_payment(
        claim, amount=Money.of(30_000_000, "IRR"), received_on=TODAY, by=clerk, now=NOW
    )
    # The insurer paid the patient: the clinic's account is unchanged.
    assert not Payment.objects.filter(course=course, method="insurer").exists()
    assert queries.account(course).balance.minor_units == 0
    response = signed_in(clerk).get(f"/billing/claims/{claim.pk}/pack/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "۱۶۰٬۰۰۰٬۰۰۰" in text or "۱۶۰,۰۰۰,۰۰۰" in text  # rials on the printed invoice
    assert "ریال" in text and "تومان" not in text
    assert "۱۴۰۵/۰۸/۳۰" in text  # 2026-11-21, the day of issue, in Jalali
    assert course.decision.decided_by.printed_name in text


def test_a_claim_waits_for_the_invoice(site, start_course, make_staff):
    clerk = make_staff("billing")
    course = eur_course(site, start_course, clerk)
    coverage = actions.add_coverage(
        course, insurer="DKV", policy_number="1", channel="direct", by=clerk, now=NOW
    )
    with pytest.raises(ConflictError) as refused:
        actions.open_claim(course, coverage, by=clerk, now=NOW)
    assert refused.value.code == "claim_needs_invoice"
    assert not Claim.objects.exists()
