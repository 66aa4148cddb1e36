"""At a Jalali clinic in Tehran, the collection time is typed in Jalali with Persian digits in
the Persian interface (a text input with a Jalali example, not the browser's Gregorian picker),
and the stored time is the right UTC instant (issue 16).

2026-11-21 is 1405/08/30 (30 Aban 1405); Tehran keeps UTC+03:30 all year, so 14:15 there is
10:45 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from autologic.lab.models import Collection
from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import sign_in
from tests.care.conftest import NOW, fixed_clock, resources, start_course  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_tehran_clinic_types_the_collection_time_in_jalali_with_persian_digits(
    page: Page, live_server, physician, patient, request: pytest.FixtureRequest
):
    course = request.getfixturevalue("start_course")()
    site = course.site
    site.calendar, site.time_zone = "jalali", "Asia/Tehran"
    site.save(update_fields=["calendar", "time_zone"])
    request.getfixturevalue("fixed_clock").current = NOW + timedelta(days=1)
    base = live_server.url
    sign_in(page, base, physician)
    page.select_option("#language-select", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    page.goto(f"{base}/lab/courses/{course.pk}/collect/")
    field = page.locator("#id_collected_at")
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_attribute("placeholder", "1405/01/01 14:30")
    expect(field).to_have_value("1405/09/01 12:30")  # now, 2026-11-22 09:00 UTC, in Tehran

    # A day Aban does not have is refused at the field, naming it; what was typed stays.
    field.fill("۱۴۰۵/۰۸/۳۱ ۱۴:۱۵")
    page.fill("#id_container_type", "سرنگ")
    page.locator("form:has(#id_collected_at) button[type=submit]").click()
    error = page.locator("#id_collected_at-error")
    expect(error).to_contain_text("۱۴۰۵/۰۸/۳۱")
    expect(page.locator("#id_collected_at")).to_have_value("۱۴۰۵/۰۸/۳۱ ۱۴:۱۵")
    assert not Collection.objects.filter(course=course).exists()

    page.locator("#id_collected_at").fill("۱۴۰۵/۰۸/۳۰ ۱۴:۱۵")
    shot(page, "lab-collection-jalali-fa")
    page.locator("form:has(#id_collected_at) button[type=submit]").click()
    expect(page.locator(".flash-error")).to_have_count(0)
    collection = Collection.objects.get(course=course)
    assert collection.collected_at == datetime(2026, 11, 21, 10, 45, tzinfo=UTC)
    # The lot page shows the time back in Jalali, Persian digits, Tehran time.
    page.goto(f"{base}/lab/lots/{collection.pk}/")
    expect(page.locator("body")).to_contain_text("۱۴۰۵/۰۸/۳۰ ۱۴:۱۵")
    shot(page, "lab-lot-jalali-fa")
