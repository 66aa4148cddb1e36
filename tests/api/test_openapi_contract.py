"""The OpenAPI schema tells the truth: schemathesis drives the API in-process and finds nothing.

Every operation is exercised with schema-valid and schema-violating requests (examples, coverage
and fuzzing phases) and every built-in check runs on every response: no 500, every status and
content type documented, every body as the schema describes it, invalid data refused, valid data
accepted, authentication enforced. The examples are bounded and the seed fixed, so a run is
repeatable and short.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import hypothesis
import phonenumbers
import pytest
import schemathesis
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from autologic.api import api
from autologic.common import clock
from autologic.common.domain.calendars import DATE_RANGE
from autologic.patients.domain import MAX_AGE_YEARS
from autologic.patients.forms import PatientForm
from tests.conftest import signed_in

STAFF_SESSION = "openapi-contract-staff-session"
CSRF_SECRET = "openapicontractcsrfsecret0000000"  # Django's cookie form: 32 letters and digits


def birth_dates() -> st.SearchStrategy[str]:
    """ISO dates a patient can have been born on: before today, at most 130 years ago."""
    today = clock.now().date()
    earliest = max(date(today.year - MAX_AGE_YEARS, 1, 1), DATE_RANGE.earliest)
    return st.dates(earliest, today - timedelta(days=1)).map(date.isoformat)


# The API's one date is a birth date, whose range depends on today: JSON Schema cannot state it
# (the schema's description does), so schema-valid data draws dates inside it.
schemathesis.openapi.format("date", birth_dates())


def phone_numbers() -> st.SearchStrategy[str]:
    """Numbers that exist (libphonenumber's examples): international for the four countries,
    or national for the test clinic's (Germany); ``format: phone`` cannot be a regular
    expression, the schema's description states it."""
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    numbers = [
        phonenumbers.example_number_for_type(region, kind) for region in REGIONS for kind in kinds
    ]
    international = [
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL) for n in numbers
    ]
    national = [
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
        for n in numbers
        if phonenumbers.region_code_for_number(n) == "DE"
    ]
    return st.sampled_from(["", *international, *national])


REGIONS = ("DE", "ES", "AE", "IR")
schemathesis.openapi.format("phone", phone_numbers())


def served_schema() -> dict:
    """The OpenAPI document as /api/v1/openapi.json sends it (JSON keys are strings)."""
    return json.loads(json.dumps(api.get_openapi_schema()))


schema = schemathesis.openapi.from_dict(
    served_schema(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": 1402,
            "generation": {
                "mode": "all",
                "max-examples": 30,
                "deterministic": True,
                "with-security-parameters": False,
            },
        }
    ),
)
schema.app = get_wsgi_application()


@schema.auth(refresh_interval=None)
class StaffSession:
    """A physician's session (password and second factor) with the CSRF pair Django checks."""

    def get(self, case, context) -> str:
        return STAFF_SESSION

    def set(self, case, data, context) -> None:
        case.cookies = {
            **(case.cookies or {}),
            settings.SESSION_COOKIE_NAME: data,
            settings.CSRF_COOKIE_NAME: CSRF_SECRET,
        }
        case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_SECRET}


@pytest.fixture
def in_process() -> Iterator[None]:
    """Requests share the test's connection and transaction, as with Django's test client."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def staff_session(physician, in_process) -> None:
    """Sign a physician in and give the session the key the auth provider sends."""
    key = signed_in(physician).session.session_key
    Session.objects.filter(session_key=key).update(session_key=STAFF_SESSION)


def test_the_schema_under_test_is_the_one_served(physician):
    served = signed_in(physician).get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == served_schema()


def test_required_fields_are_marked_required():
    """A field the form requires is required in the schema, or its default is one the form takes."""
    body = served_schema()["components"]["schemas"]["PatientIn"]
    for name, field in PatientForm.base_fields.items():
        if not field.required or name not in body["properties"]:
            continue
        default = body["properties"][name].get("default")
        assert name in body["required"] or field.clean(default), name


@schema.parametrize()
@hypothesis.settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_openapi_schema_tells_the_truth(case, staff_session):
    case.call_and_validate()


class Workflow(schema.as_state_machine()):
    """Create, read and change patients along the links the schema implies; each run of steps
    starts from the same database (a savepoint), so a run can be replayed."""

    def setup(self) -> None:
        self.savepoint = transaction.savepoint()

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)


def test_openapi_schema_tells_the_truth_across_calls(staff_session):
    Workflow.run(
        settings=hypothesis.settings(
            max_examples=25,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
    )
