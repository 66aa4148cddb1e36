"""A sterility culture that fails after release (issue 15): the technician records it on the lot
page, every unit not yet given goes on QA hold at once, and the recall lists what was given and
whom to inform."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from autologic.lab.models import Unit
from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import sign_in
from tests.recalls.conftest import (  # noqa: F401
    fixed_clock,
    freezer,
    given_first,
    mailed,
    make_lot,
    manager,
    nurse,
    released,
    resources,
    start_course,
    tech,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_post_release_sterility_failure_holds_the_remaining_units_and_shows_the_recall_list(
    page: Page, live_server, request: pytest.FixtureRequest
):
    technician = request.getfixturevalue("tech")  # the fixtures imported above
    request.getfixturevalue("mailed")  # the physician and the manager have e-mail addresses
    lot = request.getfixturevalue("given_first")()  # released; the first unit given
    units = Unit.objects.filter(collection=lot, parent__isnull=False)
    assert sorted({u.status for u in units}) == ["administered", "reserved"]
    base = live_server.url
    sign_in(page, base, technician)
    page.goto(f"{base}/lab/lots/{lot.pk}/")
    expect(page.locator("#release")).to_contain_text("Released")
    row = page.locator("#qc tr[data-attribute=sterility]")
    expect(row.locator("select[name=value] option")).to_have_count(3)  # the accepted answers
    shot(page, "40-lot-released-qc")

    # The 7-day culture grew: a repeat of the same attribute, with its reason.
    row.locator("select[name=value]").select_option("detected")
    row.get_by_role("button", name="Record the repeat").click()
    expect(row.locator(".error")).to_contain_text("say why it was repeated")
    shot(page, "41-repeat-needs-a-reason")
    row = page.locator("#qc tr[data-attribute=sterility]")
    expect(row.locator("select[name=value]")).to_have_value("detected")  # kept what was chosen
    row.locator("input[name=reason]").fill("7-day aerobic bottle positive")
    row.get_by_role("button", name="Record the repeat").click()

    row = page.locator("#qc tr[data-attribute=sterility]")
    expect(row).to_contain_text("after release")
    expect(row).to_contain_text("Stands until QA disposes of it.")
    expect(page.locator("[data-testid=lot-holds]")).to_contain_text("On QA hold")
    shot(page, "42-post-release-failure-held")
    statuses = {u.status for u in Unit.objects.filter(collection=lot, parent__isnull=False)}
    assert statuses == {"administered", "quarantined"}

    page.goto(f"{base}/recalls/")
    recalls = page.locator("[data-testid=recalls]")
    expect(recalls).to_contain_text("R-")
    recalls.get_by_role("link").first.click()
    expect(page.locator("[data-testid=count-given]")).to_have_text("1")
    held = Unit.objects.filter(collection=lot, status="quarantined").count()
    expect(page.locator("[data-testid=count-to-hold]")).to_have_text(str(held))
    expect(page.locator("[data-testid=given]")).to_contain_text(lot.patient.mrn)
    expect(page.locator("[data-testid=recipients], [data-testid=notices]").first).to_be_visible()
    shot(page, "43-recall-look-back")

    # The same lot page in Persian: right to left, the hold and the failed result in Persian.
    page.goto(f"{base}/lab/lots/{lot.pk}/")
    page.select_option("#language-select", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#qc")).not_to_contain_text("Stands until QA disposes of it.")
    expect(page.locator("#qc")).not_to_contain_text("after release")
    shot(page, "44-lot-post-release-fa")
    page.select_option("#language-select", "en")
