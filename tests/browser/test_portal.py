"""The patient portal on a phone: fill in, leave, come back, send; English and Persian; axe-core.

axe-core comes from npm (package.json, `make axe`); a violation rated serious or critical fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from autologic.outcomes.models import Response
from autologic.portal import actions
from tests.browser.conftest import shot
from tests.outcomes.conftest import (  # noqa: F401
    fixed_clock,
    nurse_user,
    resources,
    start_course,
)
from tests.portal.conftest import baseline, course, manager  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser):
    # bypass_csp lets the test inject axe-core; the pages themselves keep their CSP.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the current page."""
    assert AXE.exists(), "axe-core is missing: run `make axe` (npm ci)"
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_a_patient_fills_in_on_a_phone_stops_and_comes_back(
    live_server, phone: Page, baseline, nurse_user, fixed_clock
):
    issued = actions.issue_link(baseline, language="en", by=nurse_user, now=fixed_clock.now())
    home = f"{live_server.url}/p/{issued.token}/"
    phone.goto(home)
    expect(phone.get_by_role("heading", name="Hello Jürgen")).to_be_visible()
    assert serious_violations(phone) == []
    shot(phone, "portal-phone-home")

    phone.get_by_role("link", name=re.compile("^Start: Knee injury")).click()
    expect(phone.locator("h1")).to_contain_text("Knee injury")
    assert serious_violations(phone) == []
    first = phone.locator("#q-P1")
    first.get_by_text("Weekly").click()
    expect(first.locator(".saved")).to_contain_text("Saved")
    second = phone.locator("#q-P2")
    second.get_by_text("Mild").click()
    expect(second.locator(".saved")).to_contain_text("Saved")
    expect(phone.locator("#progress-text")).to_have_text("2/42")
    shot(phone, "portal-phone-koos")

    phone.goto(home)  # the patient leaves and comes back later
    expect(phone.get_by_text("2 of 42 answered")).to_be_visible()
    phone.get_by_role("link", name=re.compile("^Continue: Knee injury")).click()
    expect(phone.locator("#q-P1 input[value='2']")).to_be_checked()

    phone.goto(home)
    phone.get_by_role("link", name=re.compile("^Start: Pain")).first.click()
    phone.locator("label.dot", has_text="6").click()
    expect(phone.locator(".saved").first).to_contain_text("Saved")
    phone.get_by_role("button", name="Send to the clinic").click()
    expect(phone.get_by_text("Sent").first).to_be_visible()
    sent = Response.objects.get(instrument="NRS", status="submitted")
    assert sent.answers == {"PAIN": 6} and sent.mode == "web"
    draft = Response.objects.get(instrument="KOOS")
    assert draft.status == "in_progress" and draft.answers == {"P1": 2, "P2": 1}


def test_persian_is_right_to_left_on_a_phone_and_accessible(
    live_server, phone: Page, baseline, nurse_user, fixed_clock
):
    issued = actions.issue_link(baseline, language="fa", by=nurse_user, now=fixed_clock.now())
    phone.goto(f"{live_server.url}/p/{issued.token}/")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.locator("html")).to_have_attribute("lang", "fa")
    assert serious_violations(phone) == []
    phone.locator("a.button").first.click()
    expect(phone.locator("legend").first).to_contain_text("زانو")
    assert serious_violations(phone) == []
    phone.locator("label.dot", has_text="3").click()
    expect(phone.locator(".saved").first).not_to_be_empty()
    shot(phone, "portal-phone-persian")
    assert Response.objects.get().language == "fa"


def test_a_withdrawn_link_shows_a_calm_page(
    live_server, phone: Page, baseline, nurse_user, fixed_clock
):
    issued = actions.issue_link(baseline, language="en", by=nurse_user, now=fixed_clock.now())
    actions.revoke_link(issued.link, by=nurse_user, reason="wrong address", now=fixed_clock.now())
    phone.goto(f"{live_server.url}/p/{issued.token}/")
    expect(phone.get_by_role("heading", name="This link is not available")).to_be_visible()
    assert serious_violations(phone) == []
