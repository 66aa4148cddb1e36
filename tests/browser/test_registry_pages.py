"""The registry's pages in Chromium, in English and Persian: the claims check and the registry
with its charts pass axe-core, fit the screen, and leave no English on the Persian page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import autologic.analytics
from autologic.analytics import actions
from autologic.outcomes import actions as outcomes
from tests.analytics.conftest import (  # noqa: F401
    NOW,
    administration,
    fixed_clock,
    freezer,
    inject,
    make_lot,
    manager,
    nurse,
    released,
    resources,
    start_course,
    tech,
)
from tests.analytics.test_queries import answer
from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import sign_in
from tests.browser.test_portal import serious_violations
from tests.browser.walk import untranslated

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 1280
CLAIMS = Path(autologic.analytics.__file__).parent / "claims"


@pytest.fixture
def screen(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 860}, locale="en-GB", bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


def check(page: Page, name: str) -> None:
    assert serious_violations(page) == [], page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"
    shot(page, name)


def test_claims_and_registry_in_english_and_persian(
    live_server, screen, administration, nurse, manager, fixed_clock
):
    given = administration.given_at.date()
    answer(administration, "baseline", 8, given, nurse)
    answer(administration, "w6", 4, given + timedelta(days=42), nurse)
    outcomes.record_later_treatment(
        patient=administration.patient,
        region=administration.planned_region,
        kind="arthroplasty",
        performed_on=given + timedelta(days=200),
        source="hospital",
        note="",
        by=nurse,
        now=administration.given_at + timedelta(days=210),
    )
    actions.load_claims(
        site=administration.site,
        text=(CLAIMS / "seed-000.v1.yaml").read_text(),
        source="seed-000.v1.yaml",
        by=manager,
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    fixed_clock.current = administration.given_at + timedelta(days=300)
    base = live_server.url
    sign_in(screen, base, manager)
    for language in ("en", "fa"):
        if language == "fa":
            screen.select_option("#language-select", "fa")
            expect(screen.locator("html")).to_have_attribute("lang", "fa")
        screen.goto(f"{base}/registry/claims/")
        expect(screen.locator("[data-testid=claim-C11]")).to_be_visible()
        check(screen, f"registry-claims-{language}")
        screen.goto(
            f"{base}/registry/?score=NRS:pain&timepoint=w6&stratify=sex&failures=arthroplasty"
        )
        expect(screen.locator("[data-testid=survival] svg")).to_be_visible()
        expect(screen.locator("[data-testid=forest] svg")).to_be_visible()
        # The replacement at day 200 is the one failure; by 6 months none yet.
        at_risk = screen.locator("[data-testid=at-risk] tbody tr")
        expect(at_risk).to_have_count(2)
        check(screen, f"registry-{language}")
        if language == "fa":
            for path in (
                "/registry/claims/",
                "/registry/?score=NRS:pain&timepoint=w6&stratify=sex",
            ):
                screen.goto(f"{base}{path}")
                left = untranslated(screen.inner_text("main"), "fa")
                assert not left, (path, left)
