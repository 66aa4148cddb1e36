"""Seed 003 billed in Barcelona, in Spanish and EUR: the free assessment and the package from
the protocol's prices, the patient's NIF on the invoices, a deposit invoice, the final invoice
and a rectifying invoice, and the clinic's VERI*FACTU records downloaded from the billing page
and accepted by the independent checker (verifactu-lint). And a Düsseldorf ACS course billed by
GOÄ lines in German: a multiplier above 2.3 refused without its justification, the § 2 / IGeL
agreement signed with the estimate, the invoice listing GOÄ numbers and multipliers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from autologic.billing.models import Estimate, Invoice, VerifactuRecord
from tests.billing.conftest import billing_for, goae_list
from tests.browser.test_seed_walks import fill, sign_in
from tests.browser.walk import Walk
from tests.care.conftest import fixed_clock, resources, start_course  # noqa: F401
from tests.conftest import PASSWORD

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


def speaking(site, language: str, *users) -> None:
    site.default_language = language
    site.save(update_fields=["default_language"])
    for user in users:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


def test_seed_003_in_barcelona_with_a_verifactu_chain_the_checker_accepts(
    page: Page, live_server, site, make_staff, physician, request: pytest.FixtureRequest, tmp_path
):
    start = request.getfixturevalue("start_course")  # the care fixtures, imported above
    billing_for(site, "ES")
    course = start("bm-msc-knee")
    clerk = make_staff("billing")
    speaking(site, "es", clerk)
    w = Walk(page, live_server.url, "es", site, "003-billing")
    sign_in(w, clerk)

    # The first price list comes from the protocol: the assessment is free, the rest a package.
    w.go("/billing/")
    w.page.locator("#seed-protocol").select_option(str(course.protocol_id))
    w.click("Start", exact=True)
    w.ok(confirmed=True)
    w.go(f"/billing/courses/{course.pk}/")
    fill(w, {"estimate-deposit": "1.500,00", "estimate-parts": "2", "estimate-language": "es"})
    w.click("Offer the estimate")
    w.ok(confirmed=True)
    estimate = Estimate.objects.get(course=course)
    lines = {line["code"]: line["amount_minor"] for line in estimate.lines}
    assert lines["assessment"] == 0  # the free assessment
    assert estimate.total_minor == (1500 + 6000 + 500 * course.injections) * 100
    fill(w, {"acceptance": "paper"})
    w.page.set_input_files(
        "#id_scan",
        files=[
            {
                "name": "presupuesto-firmado.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n% signed on paper\n%%EOF\n",
            }
        ],
    )
    w.sign(clerk)
    w.click("Record and sign")
    w.ok(confirmed=True)

    # A Spanish invoice names the patient's NIF; the deposit has an invoice of its own.
    expect(w.page.get_by_role("link", name=w._("the signed scan"))).to_have_count(1)
    fill(w, {"invoice-series": "deposit"})
    w.click("Issue", exact=True)
    expect(w.page.locator("#id_invoice-recipient_tax_id-error")).to_have_count(1)
    fill(w, {"invoice-series": "deposit", "invoice-recipient_tax_id": "12345678Z"})
    w.click("Issue", exact=True)
    w.ok(confirmed=True)
    text = w.page.locator("[data-testid=document]").inner_text()
    assert "art. 20.Uno.3" in text
    expect(w.page.locator(".doc-qr img")).to_have_count(1)  # the VERI*FACTU QR code
    w.go(f"/billing/courses/{course.pk}/")
    fill(w, {"invoice-series": "invoice", "invoice-recipient_tax_id": "12345678Z"})
    w.click("Issue", exact=True)
    w.ok(confirmed=True)
    final = Invoice.objects.get(course=course, series="invoice")
    fill(w, {"reason": "Número de sesiones incorrecto"})
    w.click("Issue a credit note")
    w.ok(confirmed=True)
    assert Invoice.objects.get(series="credit").corrects == final
    w.shot("01-rectifying-invoice")

    # The clinic's records, downloaded from the billing page, pass the independent checker.
    w.go("/billing/")
    with w.page.expect_download() as download:
        w.page.get_by_role("link", name=w._("Download the VERI*FACTU records")).click()
    xml = tmp_path / "verifactu.xml"
    download.value.save_as(xml)
    assert VerifactuRecord.objects.count() == 3
    done = subprocess.run(
        [sys.executable, "-m", "verifactu_lint.cli", "--formato", "json", str(xml)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    findings = report.get("hallazgos", []) if isinstance(report, dict) else report
    assert [f for f in findings if f.get("severidad") == "error"] == [], findings
    assert done.returncode == 0


def test_a_dusseldorf_acs_course_billed_by_goae_lines(
    page: Page, live_server, site, make_staff, physician, request: pytest.FixtureRequest
):
    start = request.getfixturevalue("start_course")
    billing_for(site, "DE")
    goae_list(site)
    course = start("acs-large-joint")
    clerk = make_staff("billing")
    speaking(site, "de", clerk)
    w = Walk(page, live_server.url, "de", site, "dus-goae")
    sign_in(w, clerk)
    w.go(f"/billing/courses/{course.pk}/")
    # Nr. 255 at 3,0 is above the 2,3 threshold: refused until it is justified.
    fill(
        w,
        {
            "estimate-multiplier-255": "3,0",
            "estimate-parts": "1",
            "estimate-agreement": True,
            "estimate-language": "de",
        },
    )
    w.click("Offer the estimate")
    expect(w.page.locator("#id_estimate-reason-255-error")).to_have_count(1)
    fill(
        w,
        {
            "estimate-multiplier-255": "3,0",
            "estimate-reason-255": "Erschwerter Zugang bei ausgeprägtem Erguss",
            "estimate-parts": "1",
        },
    )
    w.click("Offer the estimate")
    w.ok(confirmed=True)
    estimate = Estimate.objects.get(course=course)
    assert {line["code"]: line["unit_minor"] for line in estimate.lines}["255"] == 1661
    # Without the signed § 2 / IGeL agreement the estimate is not accepted.
    fill(w, {"acceptance": "in_person"})
    w.sign(clerk)
    w.click("Record and sign")
    expect(w.page.locator("#id_agreement_signed-error")).to_have_count(1)
    fill(w, {"acceptance": "in_person", "agreement_signed": True})
    # Within the signing window of the first signing, the password alone signs.
    w.page.fill("#id_password", PASSWORD)
    w.page.fill("#id_otp_token", "")
    w.click("Record and sign")
    w.ok(confirmed=True)
    fill(w, {"invoice-series": "invoice"})
    w.click("Issue", exact=True)
    w.ok(confirmed=True)
    text = w.page.locator("[data-testid=document]").inner_text()
    for expected in ("255", "284", "Erschwerter Zugang", "§ 4 Nr. 14a UStG"):
        assert expected in text
    w.shot("01-goae-invoice")
