"""A harvest refused for a pending authorisation, then allowed after it is granted (issue 15):
the collection page shows the gate the action enforces, with a link to where it is fixed."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from autologic.clinical import actions as clinical
from autologic.lab.models import Collection
from tests.browser.conftest import shot
from tests.browser.test_bedside import fill_harvest_record
from tests.browser.test_clinic_shell import sign_in
from tests.care.conftest import fixed_clock, resources, start_course  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_harvest_refused_for_a_pending_authorisation_then_allowed_after_it_is_granted(
    page: Page, live_server, physician, patient, request: pytest.FixtureRequest
):
    start = request.getfixturevalue("start_course")  # the care fixtures, imported above
    course = start("bm-msc-knee", skip=("authorisation",))
    clinical.add_record(
        kind="authorisation",
        patient=patient,
        data={
            "agency": "AEMPS",
            "reference": "AEMPS-UA-2026-0417",
            "scope": "bm-msc-knee",
            "requested_on": date(2026, 11, 2),
        },
        by=physician,
    )
    base = live_server.url
    sign_in(page, base, physician)
    collect = f"{base}/lab/courses/{course.pk}/collect/"

    page.goto(collect)
    expect(page.locator("[data-gate=blocked]")).to_be_visible()
    expect(page.locator("[data-gate=ready]")).to_have_count(0)
    pending = page.locator("[data-gate-check=authorisation_pending]")
    expect(pending).to_contain_text("AEMPS has not decided yet.")
    expect(page.locator("[data-gate-check=consent_signed]")).to_be_visible()
    shot(page, "30-collection-gate-blocked")

    # Saving anyway is refused with the same reason, and nothing is recorded.
    page.get_by_role("button", name="Save collection").click()
    expect(page.locator(".flash-error")).to_contain_text("AEMPS has not decided yet.")
    assert not Collection.objects.filter(course=course).exists()
    shot(page, "31-collection-refused")

    page.select_option("#language-select", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("[data-gate=blocked]")).to_be_visible()
    shot(page, "32-collection-gate-blocked-fa")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    # The link leads to the authorisations on the clinical record; the grant is recorded there.
    pending.get_by_role("link", name="Record the authorisation").click()
    section = page.locator("#authorisations")
    section.get_by_role("link", name="Edit").click()
    page.fill("#id_granted_on", "2026-11-21")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("Changes saved")

    page.goto(collect)
    expect(page.locator("[data-gate=ready]")).to_be_visible()
    expect(page.locator("[data-gate-check=authorised]")).to_contain_text("AEMPS-UA-2026-0417")
    shot(page, "33-collection-gate-ready")
    fill_harvest_record(page, course.site, request.getfixturevalue("fixed_clock"))
    page.get_by_role("button", name="Save collection").click()
    expect(page.locator(".flash-success")).to_contain_text("Collection recorded")
    lot = Collection.objects.get(course=course)
    assert lot.infectious == "negative"
    expect(page.locator("h2").first).to_contain_text(course.protocol.protocol.product.name.en)
