"""Each role's home page in Chromium, in English and Persian, checked with axe-core; and the
protocol page fits the screen. Screenshots: home-<role>.png and home-<role>-fa.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import sign_in
from tests.browser.test_portal import serious_violations
from tests.dashboard.conftest import (  # noqa: F401
    fixed_clock,
    nurse_user,
    resources,
    running_lot,
    scheduled,
    start_course,
    world_for_manager,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 1280


@pytest.fixture
def screen(browser: Browser) -> Iterator[Page]:
    # bypass_csp lets the test inject axe-core; the pages themselves keep their CSP.
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 860}, locale="en-GB", bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


def home_in_both_languages(page: Page, base: str, user, name: str, section: str) -> None:
    """Sign in, open the home page, check it with axe in English and Persian, keep screenshots."""
    sign_in(page, base, user)
    page.goto(f"{base}/")
    expect(page.locator(f"[data-testid={section}]")).to_be_visible()
    assert serious_violations(page) == []
    fits(page)
    shot(page, f"home-{name}")
    page.select_option("#language-select", "fa")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator(f"[data-testid={section}]")).to_be_visible()
    assert serious_violations(page) == []
    fits(page)
    shot(page, f"home-{name}-fa")
    page.select_option("#language-select", "en")


def fits(page: Page) -> None:
    """The page needs no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"


def test_the_nurse_sees_the_days_sessions(live_server, screen, scheduled, nurse_user, fixed_clock):
    first = scheduled.appointments.get(key="inj1")
    day = first.starts_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    fixed_clock.current = datetime.combine(day, time(7), ZoneInfo("Europe/Berlin"))
    home_in_both_languages(screen, live_server.url, nurse_user, "nurse", "home-sessions")
    expect(screen.locator("[data-testid=home-sessions]")).to_contain_text("Injection 1")


def test_the_lab_sees_its_running_steps(live_server, screen, running_lot):
    home_in_both_languages(screen, live_server.url, running_lot, "lab", "home-lab")
    expect(screen.locator("[data-testid=home-lab] .countdown")).to_be_visible()


def test_the_coordinator_sees_follow_ups(live_server, screen, scheduled, make_staff, fixed_clock):
    baseline = scheduled.appointments.get(key="fu-baseline")
    fixed_clock.current = datetime.combine(baseline.due_on, time(9), ZoneInfo("Europe/Berlin"))
    coordinator = make_staff("coordinator")
    home_in_both_languages(screen, live_server.url, coordinator, "coordinator", "home-follow-ups")


def test_the_manager_sees_holds_recalls_and_excursions(live_server, screen, world_for_manager):
    manager, _lot = world_for_manager
    home_in_both_languages(screen, live_server.url, manager, "manager", "home-oversight")


def test_the_protocol_page_fits_the_screen(live_server, screen, physician, protocols):
    sign_in(screen, live_server.url, physician)
    row = protocols["acs-large-joint"]
    screen.goto(f"{live_server.url}/protocols/{row.pk}/")
    expect(screen.locator("[data-testid=eligibility-rules]")).to_contain_text("Grade 1, 2, 3")
    fits(screen)
    shot(screen, "protocol-rules")
