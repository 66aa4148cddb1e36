"""The five seed pathways walked in Chromium by the clinic's own staff, in the clinic's language
and calendar (issue 16): seed 000 (ACS for the spine) and 004 (cells for the hip) in Persian at
the Tehran clinic with Jalali dates, 002 (ACS for the knee after conservative treatment) at the
Dubai clinic, and 003 (cultured marrow cells for the knee) in Spanish in Barcelona.

Each walk registers the patient, records the consent and the clinical findings, signs the
eligibility decision, books the course, collects, processes and releases the product, gives the
first injection at the bedside and enters the first questionnaire. Every page visited is
checked: no developer codes, and nothing left in English where the clinic works in another
language (``tests/browser/walk.py``). Screenshots: ``walk-<seed>-<step>.png``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_decimal
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from autologic.accounts import actions as accounts
from autologic.accounts.models import Site, User
from autologic.care import actions as care
from autologic.care.models import Appointment, Course
from autologic.clinical.models import EligibilityDecision
from autologic.common import clock
from autologic.common.domain.clock import FixedClock
from autologic.demo import data
from autologic.injections.models import Administration
from autologic.lab.actions import storage
from autologic.lab.models import Collection, Unit
from autologic.outcomes.models import Response
from autologic.patients.models import Patient
from autologic.protocols.actions import sync_protocols
from autologic.protocols.models import ProtocolVersion
from tests.browser.test_clinic_shell import code_for
from tests.browser.walk import Walk
from tests.conftest import PASSWORD, band

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BARCELONA = {
    "code": "bcn",
    "name": "Autologic Clínica Barcelona",
    "time_zone": "Europe/Madrid",
    "calendar": "gregorian",
    "currency": "EUR",
    "languages": ["es", "en"],
    "default_language": "es",
    "mrn_prefix": "B",
}
# Barcelona names its rooms and equipment in Spanish (the demo's Düsseldorf list, renamed).
SPANISH_NAMES = {
    "Centrifuge": "Centrífuga",
    "Dr. Anna Weber": "Dra. Núria Puig",
    "Dr. Jan Keller": "Dr. Jordi Serra",
    "Freezer −20 °C": "Congelador −20 °C",
    "GMP culture bank": "Sala blanca GMP",
    "Incubator 1 (37 °C)": "Incubadora 1 (37 °C)",
    "Incubator 2 (37 °C)": "Incubadora 2 (37 °C)",
    "Procedure room 1 (C-arm)": "Quirófano 1 (arco en C)",
    "Procedure room 2 (ultrasound)": "Sala 2 (ecografía)",
}
STAFF_NAMES = {
    "thr": ("سارا", "رحیمی"),
    "dxb": ("Layla", "Al Mansoori"),
    "bcn": ("Núria", "Puig"),
}


@dataclass(frozen=True)
class Seed:
    """One seed page's pathway: where, in which language, which protocol and patient."""

    number: str
    site: str
    language: str
    protocol: str
    region: str
    side: str
    detail: str
    family: str
    given: str
    born: date
    sex: str
    phone: str
    guidance: str
    variant: str = ""


SEEDS = [
    Seed(
        "000",
        "thr",
        "fa",
        "acs-spine",
        "spine_lumbar",
        "midline",
        "L4/L5",
        "محمدی",
        "علی",
        date(1968, 3, 2),
        "male",
        "+989121234567",
        "fluoroscopy",
    ),
    Seed(
        "004",
        "thr",
        "fa",
        "cells-hip",
        "hip",
        "right",
        "",
        "احمدی",
        "زهرا",
        date(1961, 9, 30),
        "female",
        "+989351234567",
        "ultrasound",
        variant="adipose",
    ),
    Seed(
        "002",
        "dxb",
        "en",
        "acs-large-joint",
        "knee",
        "left",
        "",
        "Al Hashimi",
        "Fatima",
        date(1970, 5, 14),
        "female",
        "+971501234567",
        "ultrasound",
    ),
    Seed(
        "003",
        "bcn",
        "es",
        "bm-msc-knee",
        "knee",
        "right",
        "",
        "Puig",
        "Montserrat",
        date(1958, 1, 20),
        "female",
        "+34612345678",
        "ultrasound",
    ),
]


@pytest.fixture
def walk_clock() -> Iterator[FixedClock]:
    # Sunday 2026-11-22, 06:00 UTC: a working morning in Tehran and Dubai, early in Barcelona.
    fixed = FixedClock(datetime(2026, 11, 22, 6, 0, tzinfo=UTC))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


def clinic(code: str) -> tuple[Site, dict[str, User]]:
    """The clinic as the demo sets it up: the site, its resources, and one user per role."""
    spec = BARCELONA if code == "bcn" else next(s for s in data.SITES if s["code"] == code)
    site = accounts.create_site(code=code, data={k: v for k, v in spec.items() if k != "code"})
    given, family = STAFF_NAMES[code]
    staff = {}
    for role in ("physician", "nurse", "lab_technician", "coordinator", "manager"):
        user = accounts.create_staff(
            site=site,
            data={
                "username": f"{role}-{code}",
                "first_name": given,
                "last_name": f"{family} {len(staff) + 1}",
                "email": "",
                "role": role,
            },
            password=PASSWORD,
        )
        user.preferred_language = site.default_language
        user.save(update_fields=["preferred_language"])
        TOTPDevice.objects.create(user=user, name="walk", confirmed=True)
        staff[role] = user
    resources = data.RESOURCES["dus" if code == "bcn" else code]
    for row_code, kind, name, capacity, capabilities, hours, username in resources:
        resource = care.add_resource(
            site=site,
            data={
                "kind": kind,
                "code": row_code,
                "name": SPANISH_NAMES.get(name, name) if code == "bcn" else name,
                "capacity": capacity,
                "capabilities": capabilities,
                "hours": hours,
            },
            by=staff["manager"],
        )
        if username and kind == "clinician":
            resource.staff = staff["physician"]
            resource.save(update_fields=["staff"])
        if kind == "freezer":
            storage.add_freezer(
                site=site,
                code=row_code,
                name=name,
                low_c=Decimal("-30"),
                high_c=Decimal("-18"),
                racks=1,
                boxes_per_rack=2,
                resource=resource,
                by=staff["manager"],
                now=clock.now(),
            )
    return site, staff


def sign_in(w: Walk, user: User) -> None:
    """The login page, then the authenticator code; the interface speaks the user's language."""
    w.page.context.clear_cookies()
    w.page.goto(f"{w.base}/accounts/login/")
    w.page.fill("#id_username", user.username)
    w.page.fill("#id_password", PASSWORD)
    w.page.locator("form:has(#id_password) button[type=submit]").first.click()
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    w.page.fill("#id_token", code_for(user))
    w.page.locator("form:has(#id_token) button[type=submit]").first.click()
    expect(w.page.locator("html")).to_have_attribute("lang", w.language)
    w.check()


def fill(w: Walk, values: dict[str, Any]) -> None:
    """Type or choose each value in the field with that name."""
    for name, value in values.items():
        field = w.page.locator(f"#id_{name}")
        tag = field.evaluate("(e) => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if tag.startswith("select"):
            field.select_option(value)
        elif tag.endswith("checkbox"):
            field.set_checked(bool(value))
        else:
            field.fill(value)


def register(w: Walk, seed: Seed) -> Patient:
    w.go("/patients/new/")
    fill(
        w,
        {
            "family_name": seed.family,
            "given_name": seed.given,
            "date_of_birth": w.day(seed.born),
            "sex": seed.sex,
            "phone": seed.phone,
            "preferred_language": seed.language,
        },
    )
    w.shot("01-register")
    w.click("Register patient")
    w.ok()
    patient = Patient.objects.get(family_name=seed.family, given_name=seed.given)
    assert patient.date_of_birth == seed.born
    return patient


def consent(w: Walk, patient: Patient, seed: Seed, physician: User, today: date) -> None:
    w.go(f"/patients/{patient.pk}/consents/new/")
    fill(
        w,
        {
            "kind": "treatment",
            "procedure": seed.protocol,
            "form_version": "2026-1",
            "given_on": w.day(today),
            "signed_by": f"{seed.given} {seed.family}",
            "signer_relation": "self",
        },
    )
    w.sign(physician)
    w.click("Sign and save")
    w.ok()


def record(w: Walk, patient: Patient, kind: str, values: dict[str, Any]) -> None:
    w.go(f"/clinical/{patient.pk}/{kind}/new/")
    fill(w, values)
    w.click("Save", exact=True)
    w.ok()


def findings(w: Walk, patient: Patient, seed: Seed, today: date) -> None:
    """The assessment, the region, and what the protocol asks to have on record before."""
    w.go(f"/clinical/{patient.pk}/assessments/new/")
    fill(w, {"assessed_on": w.day(today), "anaesthesia_risk": "ASA2", "avoids_surgery": True})
    w.click("Save", exact=True)
    w.ok()
    assessment = patient.assessments.get()
    w.go(f"/clinical/{patient.pk}/assessments/{assessment.pk}/regions/new/")
    values: dict[str, Any] = {"region": seed.region, "side": seed.side, "diagnosis": ""}
    if seed.region.startswith("spine"):
        values |= {"detail": seed.detail, "diagnosis": "disc_degeneration", "grade_system": ""}
    else:
        values |= {
            "diagnosis": "osteoarthritis",
            "grade_system": "KL",
            "grade": "2",
            "grade_reader": {"fa": "دکتر نادری", "es": "Dra. Vidal"}.get(w.language, "Dr. Haddad"),
            "grade_read_on": w.day(today - timedelta(days=20)),
        }
    fill(w, values)
    w.shot("02-region")
    w.click("Save", exact=True)
    w.ok()
    earlier = today - timedelta(days=14)
    version = ProtocolVersion.objects.filter(code=seed.protocol).order_by("-version")[0]
    needs = version.protocol.preparation.markers
    markers = [marker.value for marker in needs.tests] if needs else []
    for marker in markers:
        record(
            w,
            patient,
            "marker_test",
            {"marker": marker, "sampled_on": w.day(earlier), "result": "negative"},
        )
    if seed.protocol == "acs-large-joint":  # seed 002: conservative treatment first
        record(
            w,
            patient,
            "conservative",
            {
                "treatment": "physiotherapy",
                "started_on": w.day(today - timedelta(days=120)),
                "ended_on": w.day(today - timedelta(days=30)),
                "result": "failed",
            },
        )
    for study in version.protocol.preparation.studies:  # seed 003's X-ray and Cartigram MRI
        record(
            w,
            patient,
            "study",
            {"kind": study.kind, "performed_on": w.day(earlier), "result": "normal"},
        )
    if seed.protocol == "bm-msc-knee":  # seed 003: the AEMPS authorisation
        record(
            w,
            patient,
            "authorisation",
            {
                "agency": "AEMPS",
                "reference": "AEMPS-2026-0042",
                "scope": "bm-msc-knee",
                "requested_on": w.day(today - timedelta(days=40)),
                "granted_on": w.day(earlier),
            },
        )
    if seed.protocol == "cells-hip":  # seed 004: the medication hold
        record(
            w,
            patient,
            "medication",
            {
                "name": "ناپروکسن",
                "drug_class": "nsaid",
                "held_since": w.day(today - timedelta(days=20)),
            },
        )
    w.go(f"/clinical/{patient.pk}/")
    w.shot("03-clinical-record")


def decide(w: Walk, patient: Patient, seed: Seed, physician: User, planned: date) -> None:
    assessment = patient.assessments.get()
    w.go(f"/clinical/{patient.pk}/assessments/{assessment.pk}/eligibility/")
    w.page.select_option("#protocol", label=None, index=_protocol_index(w, seed))
    w.page.fill("#planned", w.day(planned))
    for box in w.page.locator("input[name=regions]").all():
        box.check()
    w.click("Evaluate")
    w.shot("04-eligibility")
    expect(w.page.locator("[data-testid=verdict]")).to_have_class(re.compile("verdict-eligible$"))
    w.sign(physician)
    w.click("Sign decision")
    w.ok()
    # The protocol the decision used reads like a clinical protocol, in the clinic's words.
    version = ProtocolVersion.objects.filter(code=seed.protocol).order_by("-version")[0]
    w.go(f"/protocols/{version.pk}/")
    w.shot("04b-protocol")


def _protocol_index(w: Walk, seed: Seed) -> int:
    options = w.page.locator("#protocol option").evaluate_all(
        "(items) => items.map((item) => item.value)"
    )
    wanted = str(ProtocolVersion.objects.filter(code=seed.protocol).order_by("-version")[0].pk)
    return options.index(wanted)


def book(w: Walk, patient: Patient, seed: Seed, earliest: date) -> Course:
    decision = EligibilityDecision.objects.get(patient=patient)
    w.go(f"/care/patients/{patient.pk}/decisions/{decision.pk}/course/")
    values: dict[str, Any] = {"earliest_start": w.day(earliest), "guidance": seed.guidance}
    if seed.variant:
        values["variant"] = seed.variant
    fill(w, values)
    w.shot("05-course-new")
    w.click("Create course")
    w.ok(confirmed=True)
    w.click("Schedule the course")
    w.ok(confirmed=True)
    w.shot("06-course-scheduled")
    return Course.objects.get(patient=patient)


def confirm_hold(w: Walk, patient: Patient) -> None:
    """On the day of the harvest, the patient confirms the held drugs were not taken."""
    w.go(f"/clinical/{patient.pk}/medication-hold/confirm/")
    for box in w.page.locator("input[name=classes]").all():
        box.check()
    w.click("Confirm for today")
    w.ok()


def lab(w: Walk, course: Course, clock_: FixedClock, second: User | None) -> Collection:
    """Collect, process, divide, label, store, enter the QC results and sign the release."""
    protocol = course.protocol.protocol.variant(course.variant)
    w.go(f"/lab/courses/{course.pk}/collect/")
    now = clock_.now()
    if w.page.locator("#id_last_intake_at, #id_discharged_at").count():
        # The harvest record is entered after the recovery room: collected an hour ago.
        clock_.current = now = now + timedelta(hours=2)
        fill(w, {"collected_at": w.moment(now - timedelta(hours=1))})
    if w.page.locator("#id_last_intake_at").count():
        fill(w, {"last_intake_at": w.moment(now - timedelta(hours=9))})
    if w.page.locator("#id_anaesthesia").count():
        options = w.page.locator("#id_anaesthesia option").evaluate_all(
            "(items) => items.map((item) => item.value).filter(Boolean)"
        )
        w.page.select_option("#id_anaesthesia", options[-1])
    if w.page.locator("#id_sedation_agent").count():
        w.page.fill(
            "#id_sedation_agent",
            {"fa": "پروپوفول ۶۰ میلی‌گرم", "es": "Propofol 60 mg"}.get(w.language, "Propofol 60 mg"),
        )
    if w.page.locator("#id_discharged_at").count():
        w.page.fill("#id_discharged_at", w.moment(now - timedelta(minutes=10)))
    w.shot("07-collection")
    w.click("Save collection")
    w.ok()
    assert Collection.objects.filter(course=course).exists(), w.page.locator("main").inner_text()
    lot = Collection.objects.get(course=course)
    w.click("Start processing")
    w.ok()
    t = clock_.now()
    for step in protocol.processing:
        hours = max(step.hours.target or step.hours.min, 0.25)
        values = {
            "culture": {"cell_count_million": "40", "viability_pct": "92"},
            "centrifugation": {"g_force": str(step.g_force), "spin_min": str(step.spin_min)},
        }.get(step.kind, {})
        if step.temperature_c is not None:
            values["temperature_c"] = f"{step.temperature_c.target or step.temperature_c.min:g}"
        if step.kind == "freezing":
            w.click("Create units")
            w.ok()
        end = t + timedelta(hours=hours)
        clock_.current = end + timedelta(minutes=1)
        form = w.page.locator("form:has(#id_started_at)")
        form.locator("#id_started_at").fill(w.moment(t))
        form.locator("#id_ended_at").fill(w.moment(end))
        for name, value in values.items():
            if form.locator(f"#id_{name}").count():
                form.locator(f"#id_{name}").fill(value)
        w.click("Save step")
        w.ok()
        t = end
    if w.page.get_by_role("button", name=w._("Create units")).count():
        w.click("Create units")
        w.ok()
    if w.page.get_by_role("button", name=w._("Print missing labels")).count():
        w.click("Print missing labels")
    while w.page.get_by_role("button", name=w._("Applied")).count():
        w.click("Applied")
    if protocol.product.storage.condition == "frozen":
        w.page.locator("#id_box").select_option(index=1)
        w.click("Store unstored units")
        w.ok()
        w.go(f"/lab/lots/{lot.pk}/")
    for row in protocol.release.specification:
        # Numbers as the clinic writes them: a decimal comma in Spanish, Persian digits in Persian.
        limit = row.limit or 0
        number = {">": limit + 1, "<": limit / 2, "report": 100}.get(row.operator, limit)
        value = {"not_detected": "not detected", "conforms": "conforms"}.get(
            row.operator, format_decimal(number, locale=w.site.default_language)
        )
        if w.language == "fa":
            value = value.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        result = w.page.locator(f"#qc tr[data-attribute={row.attribute}]")
        if result.locator("select[name=value]").count():
            result.locator("select[name=value]").select_option(value)
        else:
            result.locator("input[name=value]").fill(value)
        result.get_by_role("button", name=w._("Record"), exact=True).click()
        w.ok()
        expect(w.page.locator(f"#qc tr[data-attribute={row.attribute}] .qc-result")).to_have_count(
            1
        )
        w.check()
    w.shot("08-lot-results")
    w.sign(lot.recorded_by)
    if second is not None:
        w.page.fill("#id_second_username", second.username)
        w.sign(second, prefix="second_")
    w.click("Sign", within="#release", exact=True)
    w.ok(confirmed=True)
    w.shot("09-lot-released")
    return lot


def bedside(w: Walk, course: Course, clock_: FixedClock, physician: User, nurse: User) -> None:
    session = Appointment.objects.filter(course=course, kind="injection").order_by("sequence")[0]
    clock_.current = session.starts_at - timedelta(minutes=30)
    w.go(f"/injections/sessions/{session.pk}/")
    w.click("Issue")
    w.ok(confirmed=True)
    unit = Unit.objects.get(reservations__appointment=session, reservations__ended_at__isnull=True)
    if unit.frozen:
        w.click("Start thawing")
        w.ok()
    clock_.current = session.starts_at
    region = course.regions.get()
    w.page.select_option("#id_region", region.region)
    if w.page.locator("#id_side option").count() > 1:
        w.page.select_option("#id_side", region.side)
    if region.detail and w.page.locator("#id_level").count():
        w.page.fill("#id_level", region.detail)
    w.page.fill("#id_wristband", band(course.patient))
    w.page.press("#id_wristband", "Enter")
    w.page.fill("#id_unit", unit.identifier + unit.flags)
    w.page.press("#id_unit", "Enter")
    expect(w.page.locator("#verdict[data-scan-result=pass]")).to_be_visible()
    w.check()
    approaches = w.page.locator("#id_approach option").evaluate_all(
        "(items) => items.map((item) => item.value).filter(Boolean)"
    )
    w.page.select_option("#id_approach", approaches[0])
    w.page.select_option("#id_anaesthetic", "lidocaine")
    w.page.fill("#id_anaesthetic_dose_mg", "40")
    w.page.locator("form.administer input[name=reactions][value=none]").check()
    w.sign(physician)
    w.page.select_option("#id_verifier", str(nurse.pk))
    w.sign(nurse, prefix="verifier_")
    w.shot("10-bedside")
    w.click("Sign and record injection")
    w.ok(confirmed=True)
    assert Administration.objects.get(unit=unit).patient_id == course.patient_id


def questionnaire(w: Walk, course: Course) -> None:
    """The first follow-up questionnaire typed in from paper: pain on the NRS."""
    w.go(f"/outcomes/patients/{course.patient_id}/")
    w.shot("11-outcomes")
    with w.page.expect_navigation():
        w.page.locator("[data-testid^=enter-NRS]").first.click()
    w.check()
    w.page.locator("input[type=radio][value='6'], select option[value='6']").first.check()
    w.click("Save and score")
    w.ok()
    assert Response.objects.filter(patient=course.patient).exists()
    w.shot("12-scored")


@pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""),
    reason="the walks check words and calendars, which do not depend on the database; they run "
    "on SQLite to keep CI under 40 minutes (the PostgreSQL suite keeps the concurrency tests)",
)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed-{s.number}-{s.language}")
def test_a_seed_pathway_walked_in_the_clinics_language(
    seed: Seed, page: Page, live_server, walk_clock: FixedClock
) -> None:
    assert sync_protocols().ok
    site, staff = clinic(seed.site)  # after the clock is set: the freezer's start
    w = Walk(page, live_server.url, seed.language, site, seed.number)
    today = walk_clock.now().date()

    sign_in(w, staff["coordinator"])
    patient = register(w, seed)
    sign_in(w, staff["physician"])
    consent(w, patient, seed, staff["physician"], today)
    findings(w, patient, seed, today)
    decide(w, patient, seed, staff["physician"], today + timedelta(days=2))
    sign_in(w, staff["coordinator"])
    course = book(w, patient, seed, today + timedelta(days=1))

    collection = Appointment.objects.get(course=course, kind="collection")
    walk_clock.current = collection.starts_at + timedelta(minutes=30)
    if course.protocol.protocol.preparation.medication_hold is not None:  # seed 004
        sign_in(w, staff["nurse"])
        confirm_hold(w, patient)
    sign_in(w, staff["lab_technician"])
    second = staff["manager"] if course.protocol.protocol.release.signatures > 1 else None
    lab(w, course, walk_clock, second)
    sign_in(w, staff["physician"])
    bedside(w, course, walk_clock, staff["physician"], staff["nurse"])
    sign_in(w, staff["coordinator"])
    questionnaire(w, course)
    assert len(w.visited) > 20
