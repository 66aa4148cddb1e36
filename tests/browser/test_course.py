"""A coordinator starts a course from a signed decision, schedules it, re-plans a missed
injection and finds it on the resource calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect

from autologic.accounts.roles import Role
from autologic.audit.actions import SignerProof
from autologic.care import actions as care
from autologic.care.models import Course
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.clinical.domain.eligibility import evaluate
from autologic.common import clock
from autologic.common.domain.clock import FixedClock
from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEEKDAYS = {"mon-fri": "08:00-18:00"}


@pytest.fixture
def fixed_clock() -> Iterator[FixedClock]:
    fixed = FixedClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


def clinic(site, physician, patient, protocols) -> None:
    """Resources and a signed decision for ACS in the left knee."""
    for code, kind, capacity, capabilities, hours in [
        ("room-1", "room", 1, ["ultrasound", "fluoroscopy"], WEEKDAYS),
        ("dr-a", "clinician", 1, ["ultrasound", "fluoroscopy"], WEEKDAYS),
        ("incubator-1", "incubator", 24, [], {}),
        ("centrifuge-1", "centrifuge", 1, [], WEEKDAYS),
        ("freezer-1", "freezer", 50, [], {}),
    ]:
        care.add_resource(
            site=site,
            data={
                "kind": kind,
                "code": code,
                "name": f"{kind.title()} {code[-1]}",
                "capacity": capacity,
                "capabilities": capabilities,
                "hours": hours,
            },
            by=physician,
        )
    assessment = clinical.create_assessment(
        patient=patient, data={"assessed_on": date(2026, 11, 2)}, by=physician
    )
    region = clinical.add_region(
        assessment=assessment,
        data={
            "region": "knee",
            "side": "left",
            "diagnosis": "osteoarthritis",
            "grade_system": "KL",
            "grade": 2,
        },
        by=physician,
    )
    # The active version asks for conservative treatment first (seed 002): six weeks that failed.
    clinical.add_record(
        kind="conservative",
        patient=patient,
        data={"treatment": "physiotherapy", "started_on": date(2026, 8, 1), "result": "failed"},
        by=physician,
    )
    row = protocols["acs-large-joint"]
    report = evaluate(
        row.protocol, clinical_queries.facts_for(assessment, [region], today=date(2026, 11, 21))
    )
    clinical.decide_eligibility(
        assessment=assessment,
        protocol=row,
        report=report,
        regions=[str(region)],
        verdict=report.verdict,
        justification="",
        proof=SignerProof(user=physician, second_factor=True),
        expected_verdict=report.verdict,
    )


def test_create_schedule_reschedule_and_view_a_course(
    page: Page, live_server, make_staff, site, physician, patient, protocols, fixed_clock
):
    clinic(site, physician, patient, protocols)
    coordinator = make_staff(Role.COORDINATOR)
    base = live_server.url
    sign_in(page, base, coordinator)

    page.goto(f"{base}/clinical/{patient.pk}/")
    page.get_by_role("link", name="Start a course").click()
    expect(page.locator("h2")).to_have_text("New treatment course")
    page.fill("#id_injections", "4")
    page.fill("#id_earliest_start", "2026-11-23")
    shot(page, "20-course-new")
    page.get_by_role("button", name="Create course").click()
    expect(page.locator(".flash-success")).to_contain_text("Course created")
    expect(page.locator(".section-head h2").first).to_contain_text("Waiting to be scheduled")

    page.get_by_role("button", name="Schedule the course").click()
    expect(page.locator(".flash-success")).to_contain_text("Course scheduled")
    expect(page.locator(".section-head h2").first).to_contain_text("Scheduled")
    first = page.locator("[data-event=inj1]")
    expect(first).to_contain_text("Room 1")
    expect(first).to_contain_text("2026-11-24 08:00")
    shot(page, "21-course-timeline")

    # The patient does not come to the first injection: re-plan from the next day.
    course = Course.objects.get(patient=patient)
    fixed_clock.current = course.appointments.get(key="inj1").starts_at
    first.get_by_label("What happened").select_option("missed")
    first.get_by_role("button", name="Re-plan from here").click()
    expect(page.locator(".flash-success")).to_contain_text("Re-planned")
    first = page.locator("[data-event=inj1]")
    expect(first).to_contain_text("2026-11-25")
    expect(first).to_contain_text("Missed")
    shot(page, "22-course-replanned")

    page.get_by_role("link", name="Calendar").click()
    page.goto(f"{base}/care/calendar/?view=week&date=2026-11-23")
    # Readable labels: the patient's name and the step, not a clipped MRN (issue 16).
    expect(page.locator(".weekview")).to_contain_text(patient.family_name)
    expect(page.locator(".weekview")).to_contain_text("Injection 1")
    shot(page, "23-calendar-week")
    page.goto(f"{base}/care/calendar/?date=2026-11-25")
    expect(page.locator("svg.dayview")).to_be_visible()
    expect(page.locator("table.table")).to_contain_text(patient.family_name)
    shot(page, "24-calendar-day")
