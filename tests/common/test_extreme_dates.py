"""Every typed date and date-time, in forms and in query strings, is bounded: extreme values get a
message naming the range (or the page with that message), never a 500.

The walk covers every page that reads a date from a form field or from the query string, at a
Gregorian clinic (Berlin) and, where the clinic's calendar is used, at a Jalali clinic (Tehran).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from autologic.adverse_events import actions as ae
from autologic.care import actions as care
from autologic.clinical import actions as clinical
from autologic.lab.actions import collection as lab
from autologic.outcomes.domain import registry
from tests.adverse_events.conftest import (  # noqa: F401
    NOW,
    SERIOUS,
    administration,
    after,
    fixed_clock,
    freezer,
    inject,
    knee,
    make_lot,
    manager,
    nurse,
    released,
    report,
    resources,
    start_course,
    tech,
)
from tests.conftest import PASSWORD, signed_in, totp_now

pytestmark = pytest.mark.django_db

# The shared bounds: any typed date, and the time of anything that happens in the clinic.
DATES = ("1900-01-01", "2200-12-31")
TIMES = ("2000-01-01", "2200-12-31")
JALALI_DATES = ("1278/10/11", "1579/10/10")  # the same two days as DATES, in Jalali

OUTSIDE_DATES = ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31", "0000-01-01"]
EDGE_DATES = ["1900-01-01", "2200-12-31"]
OUTSIDE_TIMES = ["0001-01-01T00:00", "1999-12-31T23:59", "2201-01-01T00:00", "9999-12-31T23:59"]
EDGE_TIMES = ["2000-01-01T00:00", "2200-12-31T23:59"]
OUTSIDE_LOGGER = [
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:30:00",
    "9999-12-31T23:59:59-05:00",
    "1999-12-31T23:00:00Z",
]
OUTSIDE_JALALI = ["0001/01/01", "1278/10/10", "1579/10/11", "9999/12/29"]
EDGE_JALALI = ["1278/10/11", "1579/10/10"]
FRIENDLY = {200, 201, 302, 400, 409, 422}


@dataclass
class World:
    """Everything the pages need: a patient with an injection given, and signed-in staff."""

    request: pytest.FixtureRequest
    cache: dict[str, Any]

    def get(self, name: str) -> Any:
        """A fixture or a made object, built on first use."""
        if name not in self.cache:
            self.cache[name] = BUILDERS[name](self)
        return self.cache[name]

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)


def _administration(world: World) -> Any:
    return world.fixture("administration")


def _patient(world: World) -> Any:
    return world.get("administration").patient


def _physician(world: World) -> Client:
    return signed_in(world.fixture("physician"))


def _manager(world: World) -> Client:
    return signed_in(world.fixture("manager"))


def _assessment(world: World) -> Any:
    physician = world.fixture("physician")
    made = clinical.create_assessment(
        patient=world.get("patient"),
        data={"assessed_on": date(2026, 11, 2), "comorbidities": [], "avoids_surgery": False},
        by=physician,
    )
    clinical.add_region(assessment=made, data=knee(), by=physician)
    return made


def _fresh_course(world: World) -> Any:
    """A scheduled course that has no collection yet."""
    clock = world.fixture("fixed_clock")
    world.get("administration")
    clock.current = NOW
    course = world.fixture("start_course")()
    outcome = care.schedule_course(
        course=course, by=world.fixture("physician"), expected_version=course.version
    )
    assert outcome.ok, outcome.explanation
    return course


def _processing_lot(world: World) -> Any:
    """A collection whose processing has started, so the lot page offers the step form."""
    physician = world.fixture("physician")
    collection = lab.record_collection(
        course=world.get("fresh_course"),
        collected_at=NOW,
        collected_by=physician,
        volume_ml=Decimal(60),
        containers=6,
        container_type="10 mL glass-bead syringe",
        notes="",
        by=physician,
        now=NOW,
    )
    lab.start_run(collection, by=world.fixture("tech"), now=NOW)
    return collection


def _event(world: World) -> Any:
    given = world.get("administration")
    onset = world.fixture("after")(given)
    return ae.record_adverse_event(
        given.patient,
        report(onset=onset, administration_id=given.pk, **SERIOUS),
        by=world.fixture("nurse"),
        now=world.fixture("fixed_clock").now(),
    )


def _jalali_staff(world: World) -> Client:
    site = world.fixture("jalali_site")
    return signed_in(world.fixture("make_staff")("physician", at=site, username="doc-thr"))


BUILDERS: dict[str, Callable[[World], Any]] = {
    "administration": _administration,
    "patient": _patient,
    "physician": _physician,
    "manager": _manager,
    "assessment": _assessment,
    "fresh_course": _fresh_course,
    "processing_lot": _processing_lot,
    "event": _event,
    "jalali": _jalali_staff,
}


@dataclass(frozen=True)
class Case:
    """One page and one field: how to send a value to it, and what values to try."""

    name: str
    send: Callable[[World, str], Any]
    outside: list[str]
    edges: list[str]
    bounds: tuple[str, str]
    names_range: bool = True


def _query(client: str, path: Callable[[World], str], param: str, extra: str = "") -> Callable:
    def send(world: World, value: str) -> Any:
        return world.get(client).get(f"{path(world)}?{extra}{param}={value}")

    return send


def _form(
    client: str, path: Callable[[World], str], data: Callable[[World], dict], field: str
) -> Callable:
    def send(world: World, value: str) -> Any:
        return world.get(client).post(path(world), {**data(world), field: value}, follow=True)

    return send


def _patient_fields(world: World) -> dict[str, Any]:
    return {
        "family_name": "Edge",
        "given_name": "Case",
        "sex": "female",
        "preferred_language": "en",
    }


def _consent(world: World) -> dict[str, Any]:
    return {
        "kind": "treatment",
        "form_version": "v1",
        "signed_by": "Jürgen Müller",
        "signer_relation": "self",
        "password": PASSWORD,
        "otp_token": totp_now(world.fixture("physician")),
    }


def _ae_form(world: World) -> dict[str, Any]:
    given = world.get("administration")
    world.fixture("after")(given)
    return {
        "term": "joint_effusion",
        "onset_at": (given.given_at + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "grade": "2",
        "related_product": "possible",
        "related_procedure": "probable",
        "outcome": "recovered",
        "description": "Swollen knee the day after the injection.",
        "action_taken": "Aspiration, 20 mL.",
        "administration": str(given.pk),
    }


def _ae_update(world: World) -> dict[str, Any]:
    event = world.get("event")
    return {
        "grade": "3",
        "serious": "on",
        "criteria": "hospitalisation",
        "related_product": "possible",
        "related_procedure": "probable",
        "outcome": "recovered",
        "action_taken": "Aspiration.",
        "version": str(event.version),
    }


def _paper_form(world: World) -> dict[str, Any]:
    course = world.get("administration").appointment.course
    baseline = course.appointments.get(key="fu-baseline")
    return {
        "appointment": baseline.pk,
        "region": course.regions.get(region="knee").pk,
        "instrument": "NRS",
        "PAIN": "4",
    }


def _licence(world: World) -> dict[str, Any]:
    needing = next(i for i in registry.INSTRUMENTS.values() if i.licence.needs_clearance)
    return {"instrument": needing.id, "reference": "L-1"}


def _api_create(world: World, value: str) -> Any:
    body = {**_patient_fields(world), "date_of_birth": value}
    return world.get("physician").post(
        "/api/v1/patients", json.dumps(body), content_type="application/json"
    )


def _logger_file(world: World, value: str) -> Any:
    upload = SimpleUploadedFile("logger.csv", f"timestamp,celsius\n{value},-20\n".encode())
    return world.get("manager").post(_readings_url(world), {"file": upload}, follow=True)


def _patient_url(suffix: str) -> Callable[[World], str]:
    return lambda world: f"/patients/{world.get('patient').pk}/{suffix}"


def _clinical_url(suffix: str) -> Callable[[World], str]:
    return lambda world: f"/clinical/{world.get('patient').pk}/{suffix}"


def _eligibility(world: World) -> str:
    assessment = world.get("assessment")
    return f"/clinical/{assessment.patient_id}/assessments/{assessment.pk}/eligibility/"


def _protocol(world: World) -> str:
    return f"protocol={world.fixture('protocols')['acs-large-joint'].pk}&"


def _eligibility_query(world: World, value: str) -> Any:
    return world.get("physician").get(f"{_eligibility(world)}?{_protocol(world)}planned={value}")


def _course_new(world: World) -> str:
    course = world.get("administration").appointment.course
    return f"/care/patients/{course.patient_id}/decisions/{course.decision_id}/course/"


def _region_url(world: World) -> str:
    assessment = world.get("assessment")
    return f"/clinical/{assessment.patient_id}/assessments/{assessment.pk}/regions/new/"


def _step_url(world: World) -> str:
    return f"/lab/lots/{world.get('processing_lot').pk}/step/"


def _readings_url(world: World) -> str:
    return f"/lab/storage/freezers/{world.fixture('freezer').pk}/readings/"


def _collect_url(world: World) -> str:
    return f"/lab/courses/{world.get('fresh_course').pk}/collect/"


def _static(url: str) -> Callable[[World], str]:
    return lambda world: url


def _edit(world: World) -> dict[str, Any]:
    patient = world.get("patient")
    patient.refresh_from_db()
    return {**_patient_fields(world), "version": patient.version}


def _imaging(world: World) -> dict[str, Any]:
    return {"modality": "mri", "region": "knee", "side": "left", "findings": "Effusion."}


def _authorisation(world: World) -> dict[str, Any]:
    return {"agency": "AEMPS", "reference": "X-1", "scope": "acs-large-joint"}


def _date_case(name: str, send: Callable[[World, str], Any]) -> Case:
    return Case(name, send, OUTSIDE_DATES, EDGE_DATES, DATES)


def _time_case(name: str, send: Callable[[World, str], Any]) -> Case:
    return Case(name, send, OUTSIDE_TIMES, EDGE_TIMES, TIMES)


CASES = [
    # Query strings
    _date_case("bedside day", _query("physician", _static("/injections/"), "date")),
    _date_case("calendar day", _query("physician", _static("/care/calendar/"), "date")),
    _date_case(
        "calendar week", _query("physician", _static("/care/calendar/"), "date", "view=week&")
    ),
    _date_case("eligibility planned collection", _eligibility_query),
    # A date-shaped search outside the range is read as an MRN, like any other non-date.
    Case(
        "patient search",
        _query("physician", _static("/patients/"), "q"),
        OUTSIDE_DATES,
        EDGE_DATES,
        DATES,
        names_range=False,
    ),
    # Date fields
    _date_case(
        "new patient's birth date",
        _form("physician", _static("/patients/new/"), _patient_fields, "date_of_birth"),
    ),
    _date_case(
        "patient edit's birth date",
        _form("physician", _patient_url("edit/"), _edit, "date_of_birth"),
    ),
    _date_case("patient API birth date", _api_create),
    _date_case(
        "consent signing date",
        _form("physician", _patient_url("consents/new/"), _consent, "given_on"),
    ),
    _date_case(
        "assessment date",
        _form(
            "physician",
            _clinical_url("assessments/new/"),
            lambda world: {"complaint": "Knee pain"},
            "assessed_on",
        ),
    ),
    _date_case(
        "imaging date of a region",
        _form(
            "physician",
            _region_url,
            lambda world: {k: v for k, v in knee().items() if k != "grade_read_on"},
            "grade_read_on",
        ),
    ),
    _date_case(
        "imaging study date",
        _form("physician", _clinical_url("imaging/new/"), _imaging, "performed_on"),
    ),
    _date_case(
        "medication on hold since",
        _form(
            "physician",
            _clinical_url("medication/new/"),
            lambda world: {"name": "Ibuprofen", "drug_class": "nsaid"},
            "held_since",
        ),
    ),
    _date_case(
        "medication stopped on",
        _form(
            "physician",
            _clinical_url("medication/new/"),
            lambda world: {"name": "Ibuprofen", "drug_class": "nsaid"},
            "stopped_on",
        ),
    ),
    _date_case(
        "pre-operative study date",
        _form(
            "physician",
            _clinical_url("study/new/"),
            lambda world: {"kind": "ecg", "result": "normal"},
            "performed_on",
        ),
    ),
    _date_case(
        "authorisation requested on",
        _form("physician", _clinical_url("authorisation/new/"), _authorisation, "requested_on"),
    ),
    _date_case(
        "authorisation granted on",
        _form(
            "physician",
            _clinical_url("authorisation/new/"),
            lambda world: {**_authorisation(world), "requested_on": "2026-11-10"},
            "granted_on",
        ),
    ),
    _date_case(
        "authorisation expires on",
        _form(
            "physician",
            _clinical_url("authorisation/new/"),
            lambda world: {**_authorisation(world), "requested_on": "2026-11-10"},
            "expires_on",
        ),
    ),
    _date_case(
        "course earliest start",
        _form(
            "physician",
            _course_new,
            lambda world: {"injections": "5", "guidance": "ultrasound"},
            "earliest_start",
        ),
    ),
    _date_case(
        "closing day",
        _form(
            "manager",
            _static("/care/resources/closed-days/"),
            lambda world: {"closed-reason": "Edge"},
            "closed-day",
        ),
    ),
    _date_case(
        "adverse event resolved on",
        _form(
            "physician",
            lambda world: f"/adverse-events/patients/{world.get('patient').pk}/new/",
            _ae_form,
            "resolved_on",
        ),
    ),
    _date_case(
        "adverse event follow-up resolved on",
        _form(
            "physician",
            lambda world: f"/adverse-events/{world.get('event').pk}/follow-up/",
            _ae_update,
            "resolved_on",
        ),
    ),
    _date_case(
        "paper questionnaire date",
        _form(
            "physician",
            lambda world: f"/outcomes/patients/{world.get('patient').pk}/enter/",
            _paper_form,
            "completed_on",
        ),
    ),
    _date_case(
        "licence valid until",
        _form("manager", _static("/portal/licences/"), _licence, "valid_until"),
    ),
    # Date-time fields
    _time_case(
        "collection time",
        _form(
            "physician",
            _collect_url,
            lambda world: {
                "collected_by": world.fixture("physician").pk,
                "volume_ml": "60",
                "containers": "6",
                "container_type": "10 mL glass-bead syringe",
            },
            "collected_at",
        ),
    ),
    _time_case(
        "processing step start",
        _form(
            "manager",
            _step_url,
            lambda world: {"key": "incubation", "passage": "0", "temperature_c": "37"},
            "started_at",
        ),
    ),
    _time_case(
        "processing step end",
        _form(
            "manager",
            _step_url,
            lambda world: {
                "key": "incubation",
                "passage": "0",
                "temperature_c": "37",
                "started_at": "2026-11-21T08:00",
            },
            "ended_at",
        ),
    ),
    _time_case(
        "freezer reading time",
        _form("manager", _readings_url, lambda world: {"celsius": "-20"}, "at"),
    ),
    Case("data-logger file time", _logger_file, OUTSIDE_LOGGER, [], TIMES),
    _time_case(
        "adverse event onset",
        _form(
            "physician",
            lambda world: f"/adverse-events/patients/{world.get('patient').pk}/new/",
            _ae_form,
            "onset_at",
        ),
    ),
    # A Jalali clinic types Jalali dates.
    Case(
        "Jalali bedside day",
        _query("jalali", _static("/injections/"), "date"),
        OUTSIDE_JALALI,
        EDGE_JALALI,
        JALALI_DATES,
    ),
    Case(
        "Jalali calendar day",
        _query("jalali", _static("/care/calendar/"), "date"),
        OUTSIDE_JALALI,
        EDGE_JALALI,
        JALALI_DATES,
    ),
    Case(
        "Jalali new patient's birth date",
        _form("jalali", _static("/patients/new/"), _patient_fields, "date_of_birth"),
        OUTSIDE_JALALI,
        EDGE_JALALI,
        JALALI_DATES,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_extreme_dates_never_give_500(case: Case, request: pytest.FixtureRequest) -> None:
    world = World(request, {})
    problems = []
    for value in [*case.outside, *case.edges]:
        response = case.send(world, value)  # an exception in the view fails the test here
        text = response.content.decode()
        if response.status_code not in FRIENDLY:
            problems.append(f"{value}: status {response.status_code}")
        elif (
            case.names_range
            and value in case.outside
            and f"from {case.bounds[0]} to {case.bounds[1]}" not in text
        ):
            problems.append(f"{value}: the page does not name the range")
    assert not problems, problems
