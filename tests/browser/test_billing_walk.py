"""Seed 004's money path in the browser, in Persian at a Tehran clinic: an estimate priced in
tomans inside the clinic's 12–20 million range, signed; the deposit blocks the harvest on the
lab's page until it is paid; three monthly instalments with a reminder; the
deposit invoice in rials with Jalali dates; a credit note; the supplementary insurer's
reimbursement pack. Every page is checked for codes and English (tests/browser/walk.py)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from autologic.billing import actions
from autologic.billing.models import Claim, Estimate, Invoice, Payment
from autologic.outbox.models import Message
from autologic.patients.models import Patient
from tests.billing.conftest import NOW, billing_for, hip_range
from tests.billing.test_actions import _hip
from tests.browser.test_seed_walks import fill, sign_in
from tests.browser.walk import Walk
from tests.care.conftest import fixed_clock, resources, start_course  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Words, calendars and flows do not depend on the database: the walks run on SQLite, the
    # PostgreSQL suite keeps the races (tests/billing/test_numbering_race.py) and the gates.
    pytest.mark.skipif(
        "postgres" in os.environ.get("DATABASE_URL", ""),
        reason="the billing walks run with the SQLite suite, keeping CI under 40 minutes",
    ),
]


def tehran(site) -> None:
    site.currency, site.calendar, site.time_zone = "IRR", "jalali", "Asia/Tehran"
    site.languages, site.default_language = ["fa", "en"], "fa"
    site.save()


def persian(*users) -> None:
    """Tehran staff work in Persian, with their names in Persian script."""
    for number, user in enumerate(users, start=1):
        user.preferred_language = "fa"
        user.first_name, user.last_name = "لیلا", f"صادقی {number}"
        user.save(update_fields=["preferred_language", "first_name", "last_name"])


def test_seed_004_money_path_in_persian(
    page: Page, live_server, site, make_staff, physician, patient, request: pytest.FixtureRequest
):
    start = request.getfixturevalue("start_course")  # the care fixtures, imported above
    tehran(site)
    billing_for(site, "IR")  # tomans on screen, deposit before collection
    hip_range(site)
    Patient.objects.filter(pk=patient.pk).update(
        phone="+989121234567",
        email="",
        preferred_language="fa",
        family_name="رحیمی",
        given_name="فاطمه",
    )
    patient.refresh_from_db()
    course = start("cells-hip", regions=[_hip()])
    clerk, tech = make_staff("billing"), make_staff("lab_technician")
    persian(clerk, tech, physician)
    w = Walk(page, live_server.url, "fa", site, "004-billing")
    today = NOW.date()

    # The estimate: 16 million tomans inside the 12–20 million range, typed in Persian digits.
    sign_in(w, clerk)
    w.go(f"/billing/courses/{course.pk}/")
    fill(
        w,
        {
            "estimate-price-hip-course": "۱۶٬۰۰۰٬۰۰۰",
            "estimate-reason-hip-course": "روش سلول‌های چربی شکم، یک جلسه",
            "estimate-deposit": "۴٬۰۰۰٬۰۰۰",
            "estimate-parts": "3",
            "estimate-first_due": w.day(today),
            "estimate-every_days": "30",
            "estimate-insurer": "بیمه تکمیلی",
            "estimate-insurer_note": "تا ۳۰ درصد بر اساس تعرفهٔ خود بیمه",
        },
    )
    w.click("Offer the estimate")
    w.ok(confirmed=True)
    estimate = Estimate.objects.get(course=course)
    assert estimate.total_minor == 160_000_000  # stored as whole rials
    summary = w.page.locator("[data-testid=estimate]").inner_text()
    assert "۱۶٬۰۰۰٬۰۰۰ تومان" in summary or "۱۶,۰۰۰,۰۰۰ تومان" in summary
    w.shot("01-estimate")

    # The patient signs at the front desk; the clerk records it and signs.
    fill(w, {"acceptance": "in_person"})
    w.sign(clerk)
    w.click("Record and sign")
    w.ok(confirmed=True)
    expect(w.page.locator("[data-testid=deposit-gate] .badge-bad")).to_have_count(1)

    # The lab's page shows the deposit blocking the harvest.
    sign_in(w, tech)
    w.go(f"/lab/courses/{course.pk}/collect/")
    expect(w.page.locator("[data-gate-check=deposit_unpaid]")).to_have_count(1)
    expect(w.page.locator("[data-gate=blocked]")).to_have_count(1)
    w.shot("02-harvest-blocked")

    # The deposit is paid in cash, in tomans; the harvest is no longer blocked by it.
    sign_in(w, clerk)
    w.go(f"/billing/courses/{course.pk}/")
    fill(
        w,
        {
            "payment-amount": "۴٬۰۰۰٬۰۰۰",
            "payment-method": "cash",
            "payment-received_on": w.day(today),
        },
    )
    w.click("Record the payment")
    w.ok(confirmed=True)
    assert Payment.objects.get(course=course).amount_minor == 40_000_000
    expect(w.page.locator("[data-testid=deposit-gate] .badge-ok")).to_have_count(1)

    # The deposit invoice, then its credit note (a wrong amount, say).
    fill(w, {"invoice-series": "deposit"})
    w.click("Issue", exact=True)
    w.ok(confirmed=True)
    deposit = Invoice.objects.get(course=course, series="deposit")
    text = w.page.locator("[data-testid=document]").inner_text()
    assert w.day(deposit.issued_on) in text
    w.shot("03-deposit-invoice")
    fill(w, {"reason": "مبلغ پیش‌پرداخت اشتباه ثبت شد"})
    w.click("Issue a credit note")
    w.ok(confirmed=True)
    assert Invoice.objects.get(course=course, series="credit").corrects == deposit

    # Three instalments a month apart: three days before the first falls due, its reminder goes
    # by SMS, in Persian, with the amount in tomans.
    actions.send_payment_reminders(site, now=NOW + timedelta(days=28))
    reminder = Message.objects.get(purpose="billing.reminder")
    assert reminder.channel == "sms" and "تومان" in reminder.body

    # The final invoice and the insurer's reimbursement pack, in rials.
    w.go(f"/billing/courses/{course.pk}/")
    fill(w, {"invoice-series": "invoice"})
    w.click("Issue", exact=True)
    w.ok(confirmed=True)
    w.go(f"/billing/courses/{course.pk}/")
    w.page.get_by_text(w._("Record the patient's insurance")).click()
    fill(
        w,
        {
            "coverage-insurer": "بیمه تکمیلی",
            "coverage-policy_number": "۱۲۳۴۵",
            "coverage-channel": "reimbursement",
            "coverage-share_rule": "تا ۳۰ درصد تعرفهٔ بیمه",
        },
    )
    w.page.locator("[data-testid=coverage-form] button[type=submit]").click()
    w.page.wait_for_load_state()
    w.check()
    w.ok(confirmed=True)
    w.page.locator("[data-testid=claims] form button").first.click()
    w.page.wait_for_load_state()
    w.ok(confirmed=True)
    claim = Claim.objects.get(course=course)
    w.shot("04-claims")
    response = w.page.request.get(f"{live_server.url}/billing/claims/{claim.pk}/pack/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    TOTPDevice.objects.filter(user=clerk).update(last_t=-1)
