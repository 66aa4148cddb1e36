"""The whole chain in the browser: an ACS course and an MSC course from the draw to the injection
(collect, process, divide, label, store, QC, signed release, issue, thaw, bedside check, signed
record), with another patient's unit refused at the bedside."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from autologic.care.models import Appointment
from autologic.injections.models import Administration
from autologic.lab.models import Collection, Unit
from tests.browser.conftest import shot
from tests.browser.test_clinic_shell import code_for, sign_in
from tests.conftest import PASSWORD, band
from tests.injections.conftest import (  # noqa: F401
    LATER,
    fixed_clock,
    freezer,
    make_lot,
    manager,
    nurse,
    other_patient,
    ready,
    released,
    resources,
    start_course,
    tech,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fresh_code(user) -> str:
    """The signer's authenticator code; as if they waited for the next 30-second code."""
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    return code_for(user)


def local(moment: datetime, site) -> str:
    return moment.astimezone(ZoneInfo(site.time_zone)).strftime("%Y-%m-%dT%H:%M")


def record_step(page: Page, site, start: datetime, end: datetime, **values: str) -> None:
    page.fill("#id_started_at", local(start, site))
    page.fill("#id_ended_at", local(end, site))
    for name, value in values.items():
        page.fill(f"#id_{name}", value)
    page.get_by_role("button", name="Save step").click()
    expect(page.locator(".has-error")).to_have_count(0)


def fill_harvest_record(page: Page, site, clock) -> None:
    """Where the protocol asks for a harvest record: collected an hour ago after 8 h of fasting,
    sedated, and out of the recovery room ten minutes ago (it is entered after the discharge,
    so the clock moves on two hours first)."""
    if not page.locator("#id_last_intake_at, #id_anaesthesia, #id_discharged_at").count():
        return
    clock.current = clock.now() + timedelta(hours=2)
    now = clock.now()
    if page.locator("#id_last_intake_at").count():
        page.fill("#id_collected_at", local(now - timedelta(hours=1), site))
        page.fill("#id_last_intake_at", local(now - timedelta(hours=9), site))
    if page.locator("#id_anaesthesia").count():
        options = page.locator("#id_anaesthesia option").evaluate_all(
            "(items) => items.map((item) => item.value).filter(Boolean)"
        )
        page.select_option("#id_anaesthesia", options[-1])
    if page.locator("#id_sedation_agent").count():
        page.fill("#id_sedation_agent", "Propofol 60 mg")
    if page.locator("#id_discharged_at").count():
        page.fill("#id_discharged_at", local(now - timedelta(minutes=10), site))


def enter_result(page: Page, attribute: str, value: str) -> None:
    """One QC result on the lot page: a choice of the accepted answers, or a number."""
    row = page.locator(f"#qc tr[data-attribute={attribute}]")
    if row.locator("select[name=value]").count():
        row.locator("select[name=value]").select_option(value)
    else:
        row.locator("input[name=value]").fill(value)
    row.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator(f"#qc tr[data-attribute={attribute}] .qc-result")).to_have_count(1)


def lab_walk(page: Page, base: str, course, clock, second_signer=None) -> Collection:
    """Collect, process, divide, label, store (when frozen), enter QC, sign the release."""
    site = course.site
    protocol = course.protocol.protocol
    page.goto(f"{base}/lab/courses/{course.pk}/collect/")
    fill_harvest_record(page, site, clock)
    page.get_by_role("button", name="Save collection").click()
    expect(page.locator("h2").first).to_contain_text(protocol.product.name.en)
    page.get_by_role("button", name="Start processing").click()
    t = clock.now()
    if protocol.therapy == "acs":
        plan = [
            (8, {"temperature_c": "37"}),
            (0.25, {"g_force": "2000", "spin_min": "10"}),
            (0.5, {}),
        ]
    else:
        plan = [
            (
                s.hours.target or s.hours.min,
                {"temperature_c": "37", "cell_count_million": "40", "viability_pct": "92"}
                if s.kind == "culture"
                else {},
            )
            for s in protocol.processing
        ]
    for hours, values in plan:
        end = t + timedelta(hours=hours)
        clock.current = end + timedelta(minutes=1)
        record_step(page, site, t, end, **values)
        t = end
    page.get_by_role("button", name="Create units").click()
    expect(page.get_by_role("heading", name="Units")).to_be_visible()
    if protocol.therapy == "acs":
        end = t + timedelta(hours=1)
        clock.current = end + timedelta(minutes=1)
        record_step(page, site, t, end, temperature_c="-20")
    if page.get_by_role("button", name="Print missing labels").count():
        page.get_by_role("button", name="Print missing labels").click()
    while page.get_by_role("button", name="Applied").count():
        page.get_by_role("button", name="Applied").first.click()
    lot = Collection.objects.get(course=course)
    if protocol.product.storage.condition == "frozen":
        # The release gate wants frozen units in a box first; storing opens the box map.
        # The last box is empty (the first holds the other patient's lot).
        last = page.locator("#id_box option").count() - 1
        page.locator("#id_box").select_option(index=last)
        page.get_by_role("button", name="Store unstored units").click()
        expect(page.locator("table.box-map")).to_be_visible()  # the box map it was stored in
        page.goto(f"{base}/lab/lots/{lot.pk}/")
    shot(page, f"30-lot-{protocol.therapy}-labelled")
    expect(page.locator("#release")).not_to_contain_text("not stored")
    for row in protocol.release.specification:
        value = {
            ">=": str(row.limit),
            "<=": str(row.limit),
            ">": str((row.limit or 0) + 1),
            "<": str((row.limit or 0) / 2),
            "=": str(row.limit),
            "between": str(row.limit),
            "not_detected": "not detected",
            "conforms": "conforms",
            "report": "100",
        }[row.operator]
        enter_result(page, row.attribute, value)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", fresh_code(lot.recorded_by))
    if second_signer is not None:
        page.fill("#id_second_username", second_signer.username)
        page.fill("#id_second_password", PASSWORD)
        page.fill("#id_second_otp_token", fresh_code(second_signer))
    page.locator("#release").get_by_role("button", name="Sign").click()
    expect(page.locator(".flash-success")).to_contain_text("Decision signed")
    shot(page, f"31-lot-{protocol.therapy}-released")
    return lot


def bedside_walk(page: Page, base: str, course, clock, verifier, foreign: Unit | None) -> None:
    """Issue, thaw, scan (another patient's unit first, when given), record the injection."""
    session = Appointment.objects.filter(course=course, kind="injection").order_by("sequence")[0]
    clock.current = session.starts_at - timedelta(minutes=20)
    page.goto(f"{base}/injections/sessions/{session.pk}/")
    page.get_by_role("button", name="Issue").click()
    expect(page.locator(".flash-success")).to_contain_text("Issued")
    unit = Unit.objects.get(reservations__appointment=session, reservations__ended_at__isnull=True)
    if unit.frozen:
        page.get_by_role("button", name="Start thawing").click()
        expect(page.locator(".timer")).to_be_visible()
    clock.current = session.starts_at
    patient = course.patient
    if foreign is not None:
        page.fill("#id_wristband", band(patient))
        page.press("#id_wristband", "Enter")
        page.keyboard.type(foreign.identifier + foreign.flags)
        page.press("#id_unit", "Enter")
        page.select_option("#id_region", "knee")
        page.select_option("#id_side", course.regions.get().side)
        page.get_by_role("button", name="Check").click()
        verdict = page.locator("#verdict[data-scan-result=stop]")
        expect(verdict).to_contain_text("STOP: wrong patient")
        expect(verdict).to_contain_text(f"MRN {foreign.patient.mrn}")
        expect(page.locator("form.administer")).to_have_count(0)
        shot(page, "32-bedside-wrong-patient")
    # The site is confirmed first this time, so the scanner's Enter after the unit checks.
    page.select_option("#id_region", "knee")
    page.select_option("#id_side", course.regions.get().side)
    page.fill("#id_wristband", band(patient))
    page.press("#id_wristband", "Enter")
    page.fill("#id_unit", unit.identifier + unit.flags)
    page.press("#id_unit", "Enter")
    expect(page.locator("#verdict[data-scan-result=pass]")).to_contain_text("Match")
    page.select_option("#id_approach", "superolateral")
    page.select_option("#id_anaesthetic", "lidocaine")
    page.fill("#id_anaesthetic_dose_mg", "40")
    page.locator("form.administer").get_by_label("None").check()
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", fresh_code(course.patient and page_user(page)))
    page.select_option("#id_verifier", str(verifier.pk))
    page.fill("#id_verifier_password", PASSWORD)
    page.fill("#id_verifier_otp_token", fresh_code(verifier))
    shot(page, f"33-bedside-{course.protocol.protocol.therapy}-record")
    page.get_by_role("button", name="Sign and record injection").click()
    expect(page.locator(".flash-success")).to_contain_text("Injection recorded")
    record = Administration.objects.get(unit=unit)
    assert record.patient_id == patient.pk and record.second_verifier == verifier
    session.refresh_from_db()
    assert session.status == "done"


_USERS: dict[int, object] = {}


def page_user(page: Page):
    return _USERS[id(page)]


def test_acs_from_the_draw_to_the_injection_with_a_wrong_patient_refused(
    page: Page,
    live_server,
    start_course,
    physician,
    nurse,
    tech,
    released,
    other_patient,
    fixed_clock,
):
    base = live_server.url
    # Another patient's product, already thawed at the bedside: the unit a tired nurse grabs.
    theirs = released(who=other_patient)
    foreign = ready(
        Appointment.objects.filter(course=theirs.course, kind="injection").order_by("sequence")[0],
        nurse,
        fixed_clock,
    )
    course = start_course(earliest=fixed_clock.now().date() + timedelta(days=1))
    from autologic.care import actions as care

    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    collection = Appointment.objects.get(course=course, kind="collection")
    fixed_clock.current = collection.starts_at + timedelta(minutes=30)
    sign_in(page, base, tech)
    course.refresh_from_db()
    lab_walk(page, base, course, fixed_clock)
    page.context.clear_cookies()
    sign_in(page, base, physician)
    _USERS[id(page)] = physician
    bedside_walk(page, base, course, fixed_clock, nurse, foreign)


def test_msc_from_the_harvest_to_the_injection(
    page: Page, live_server, start_course, resources, physician, nurse, tech, manager, fixed_clock
):
    base = live_server.url
    from autologic.care import actions as care

    course = start_course("bm-msc-knee")
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    collection = Appointment.objects.get(course=course, kind="collection")
    fixed_clock.current = collection.starts_at + timedelta(minutes=30)
    sign_in(page, base, tech)
    course.refresh_from_db()
    lab_walk(page, base, course, fixed_clock, second_signer=manager)
    page.context.clear_cookies()
    sign_in(page, base, physician)
    _USERS[id(page)] = physician
    bedside_walk(page, base, course, fixed_clock, nurse, None)


def test_bedside_a_nurse_only_override_is_refused(
    page: Page, live_server, physician, nurse, make_staff, patient, released, fixed_clock
):
    """Giving the unit at the other knee needs a physician as one of the two signers: two
    nurses are refused on screen and nothing is given; with the physician it is recorded."""
    from autologic.clinical import actions as clinical
    from tests.care.conftest import knee

    base = live_server.url
    lot = released()
    clinical.add_region(assessment=lot.course.decision.assessment, data=knee("right"), by=physician)
    second_nurse = make_staff("nurse", username="nurse-two")
    session = Appointment.objects.filter(course=lot.course, kind="injection").order_by("sequence")[
        0
    ]
    unit = ready(session, nurse, fixed_clock)
    sign_in(page, base, nurse)
    page.goto(f"{base}/injections/sessions/{session.pk}/")
    page.select_option("#id_region", "knee")
    page.select_option("#id_side", "right")
    page.fill("#id_wristband", band(patient))
    page.press("#id_wristband", "Enter")
    page.fill("#id_unit", unit.identifier + unit.flags)
    page.press("#id_unit", "Enter")
    verdict = page.locator("#verdict[data-scan-result=override]")
    expect(verdict).to_contain_text("not the planned site")
    expect(page.get_by_test_id("override-rule")).to_contain_text("physician")

    def sign(verifier) -> None:
        page.fill("#id_override_reason", "Left knee operated last week; plan agreed.")
        page.select_option("#id_approach", "superolateral")
        page.select_option("#id_anaesthetic", "lidocaine")
        page.fill("#id_anaesthetic_dose_mg", "40")
        page.locator("form.administer").get_by_label("None").check()
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp_token", fresh_code(nurse))
        page.select_option("#id_verifier", str(verifier.pk))
        page.fill("#id_verifier_password", PASSWORD)
        page.fill("#id_verifier_otp_token", fresh_code(verifier))
        page.get_by_role("button", name="Sign override and record injection").click()

    sign(second_nurse)
    refusal = page.locator("form.administer .error, form.administer .notice-danger")
    expect(refusal.first).to_contain_text("needs a physician")
    shot(page, "34-bedside-nurse-only-override-refused")
    assert not Administration.objects.filter(unit=unit).exists()
    assert Unit.objects.get(pk=unit.pk).status == "thawed"

    sign(physician)
    expect(page.locator(".flash-success")).to_contain_text("Injection recorded")
    record = Administration.objects.get(unit=unit)
    assert record.side == "right" and record.second_verifier == physician
