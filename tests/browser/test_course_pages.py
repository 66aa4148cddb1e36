"""The bedside procedure record, the course timeline, the calendars and a refused QA deviation
decision in Chromium, in English and Persian, checked with axe-core.

Screenshots: bedside-procedure[-fa].png, bedside-procedure-refused.png,
course-timeline[-fa].png, calendar-week[-fa].png, calendar-day[-fa].png,
lab-deviation-refused[-fa].png."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from autologic.injections import actions
from autologic.lab.models import Deviation
from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import sign_in
from tests.browser.test_portal import serious_violations
from tests.conftest import PASSWORD, band
from tests.injections.conftest import (  # noqa: F401
    fixed_clock,
    freezer,
    given,
    make_lot,
    manager,
    nurse,
    proof,
    ready,
    released,
    resources,
    sessions,
    start_course,
    tech,
)
from tests.lab.conftest import pass_qc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 1280


@pytest.fixture
def screen(browser: Browser) -> Iterator[Page]:
    # bypass_csp lets the test inject axe-core; the pages themselves keep their CSP.
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 900}, locale="en-GB", bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


def both_languages(page: Page, name: str, visible: str) -> None:
    """Check the page with axe in English, then in Persian, keeping a screenshot of each."""
    expect(page.locator(visible).first).to_be_visible()
    assert serious_violations(page) == []
    shot(page, name)
    page.select_option("#language-select", "fa")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator(visible).first).to_be_visible()
    assert serious_violations(page) == []
    shot(page, f"{name}-fa")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_procedure_record_timeline_and_calendars(
    live_server, screen, released, physician, nurse, patient, fixed_clock
):
    base = live_server.url
    lot = released()
    course = lot.course
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    sign_in(screen, base, nurse)
    screen.goto(f"{base}/injections/sessions/{session.pk}/")
    screen.select_option("#id_region", "knee")
    screen.select_option("#id_side", "left")
    screen.fill("#id_wristband", band(patient))
    screen.press("#id_wristband", "Enter")
    screen.fill("#id_unit", unit.identifier + unit.flags)
    screen.press("#id_unit", "Enter")
    expect(screen.locator("#verdict[data-scan-result=pass]")).to_be_visible()
    screen.select_option("#id_approach", "superolateral")
    screen.select_option("#id_anaesthetic", "bupivacaine")
    screen.fill("#id_anaesthetic_dose_mg", "200")
    screen.locator("form.administer").get_by_label("None").check()
    screen.fill("#id_password", PASSWORD)
    screen.fill("#id_otp_token", "000000")
    screen.select_option("#id_verifier", str(physician.pk))
    screen.fill("#id_verifier_password", PASSWORD)
    screen.locator("form.administer button[type=submit]").click()
    error = screen.locator(".field.has-error:has(#id_anaesthetic_dose_mg) .error")
    expect(error).to_contain_text("maximum single dose of this local anaesthetic (175 mg)")
    expect(screen.locator("#id_anaesthetic_dose_mg")).to_have_value("200")
    expect(screen.locator("#id_approach")).to_have_value("superolateral")
    shot(screen, "bedside-procedure-refused")

    actions.administer(
        session,
        replace(
            given(unit, band(patient)),
            anaesthetic="bupivacaine",
            anaesthetic_dose_mg=Decimal("50"),
        ),
        operator=proof(nurse),
        verifier=proof(physician),
        now=fixed_clock.now(),
    )
    screen.goto(f"{base}/injections/sessions/{session.pk}/")
    expect(screen.get_by_test_id("procedure")).to_contain_text("Bupivacaine 50 mg")
    both_languages(screen, "bedside-procedure", "[data-testid=procedure]")

    fixed_clock.current += timedelta(hours=2)
    screen.goto(f"{base}/care/courses/{course.pk}/")
    expect(screen.locator("[data-event=inj1] [data-testid=happened]")).to_contain_text(
        nurse.printed_name
    )
    both_languages(screen, "course-timeline", "[data-testid=happened]")

    day = session.starts_at.astimezone(ZoneInfo(course.site.time_zone)).date().isoformat()
    screen.goto(f"{base}/care/calendar/?view=week&date={day}")
    cells = screen.locator(".cell-list li")
    expect(cells.first).to_contain_text(patient.family_name)
    both_languages(screen, "calendar-week", ".cell-list li")
    screen.goto(f"{base}/care/calendar/?date={day}")
    expect(screen.locator(".bk-label").first).to_contain_text(patient.family_name)
    both_languages(screen, "calendar-day", ".bk-label")


def test_a_refused_deviation_decision_shows_its_error(live_server, screen, make_lot, tech, manager):
    base = live_server.url
    steps = [
        ("incubation", {"hours": 5, "temperature_c": 37.0}),
        ("centrifugation", {"hours": 0.3, "g_force": 2000, "spin_min": 10}),
        ("aliquoting", {"hours": 0.5}),
    ]
    lot = make_lot(steps=steps, store=True)
    pass_qc(lot, tech)
    (deviation,) = Deviation.objects.filter(run__collection=lot)
    sign_in(screen, base, manager)
    for language in ("en", "fa"):
        if language == "fa":
            screen.select_option("#language-select", "fa")
            expect(screen.locator("html")).to_have_attribute("lang", "fa")
        screen.goto(f"{base}/lab/lots/{lot.pk}/#deviations")
        screen.locator("#deviations summary").click()
        screen.select_option(f"#id_deviation{deviation.pk}_decision", "rejected")
        screen.fill(f"#id_deviation{deviation.pk}_justification", "Incubated one hour too long.")
        screen.fill(f"#id_deviation{deviation.pk}_password", "wrong")
        screen.locator(f"#deviation-{deviation.pk} button[type=submit]").click()
        expect(screen.locator("#deviations details[open]")).to_be_visible()
        expect(screen.locator(f"#id_deviation{deviation.pk}_password-error")).to_be_visible()
        expect(screen.locator(f"#id_deviation{deviation.pk}_justification")).to_have_value(
            "Incubated one hour too long."
        )
        screen.locator("#deviations").scroll_into_view_if_needed()
        assert serious_violations(screen) == []
        shot(screen, "lab-deviation-refused" + ("-fa" if language == "fa" else ""))
