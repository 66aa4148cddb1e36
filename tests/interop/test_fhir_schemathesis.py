"""Schemathesis drives /fhir in-process from an OpenAPI document generated from the served types
(``tests.interop.openapi``): every search, read, the CapabilityStatement, ``$everything``, the
``$export`` kick-off and the import transaction, with schema-valid and schema-violating requests
and a token that may do everything.  No request makes the server fail (no 5xx), every status
and content type is one the document states, and every body is a FHIR resource of the kind
stated (an OperationOutcome for a refusal).  The seed is fixed and the examples bounded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from autologic.common import clock
from autologic.interop import auth
from autologic.interop.resources.registry import TYPES
from autologic.patients import actions as patients
from tests.conftest import patient_data
from tests.interop.conftest import register
from tests.interop.openapi import fhir_openapi

SCOPES = (
    "system/*.read",
    "system/$export",
    "system/Patient.write",
    "system/QuestionnaireResponse.write",
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
RUN: Counter[str] = Counter()  # cases per operation, for the summary

schema = schemathesis.openapi.from_dict(
    fhir_openapi(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": 1402,
            # Every method the API does not serve answers 405; two of them are enough here.
            "phases": {"coverage": {"unexpected-methods": ["post", "delete"]}},
            "generation": {
                "mode": "all",
                "max-examples": 6,
                "deterministic": True,
                "with-security-parameters": False,
            },
        }
    ),
)
schema.app = get_wsgi_application()


def test_the_document_covers_every_served_type() -> None:
    paths = fhir_openapi()["paths"]
    for name, rtype in TYPES.items():
        search = paths[f"/fhir/{name}"]["get"]
        given = {p["name"] for p in search["parameters"]}
        assert set(rtype.parameters) <= given and {"_count", "_format"} <= given, name
        assert f"/fhir/{name}/{{id}}" in paths


@pytest.fixture
def in_process() -> Iterator[None]:
    """Requests share the test's connection and transaction, as with Django's test client."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(site, physician, in_process) -> dict[str, str]:
    """A clinic with a few patients, and a token that may read, export and import."""
    for n, (family, given) in enumerate((("Keller", "Anna"), ("Rossi", "Marco"), ("Sato", "Yui"))):
        patients.create_patient(
            site=site,
            data=patient_data(
                family_name=family, given_name=given, date_of_birth=date(1950 + n, 3, 1 + n)
            ),
            by=physician,
        )
    client = register(site, *SCOPES, name="schemathesis")
    token, _row = auth.issue_token(client=client, requested=None, now=clock.now())
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", autouse=True)
def _summary() -> Iterator[None]:
    yield
    if RUN:
        total = sum(RUN.values())
        print(f"\nschemathesis over /fhir: {len(RUN)} operations, {total} cases")


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path  # where an export kicked off would write


@schema.parametrize()
@hypothesis.settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@pytest.mark.django_db
def test_fhir_answers_every_request_without_a_server_error(case, bearer) -> None:
    RUN[case.operation.label] += 1
    case.call_and_validate(headers=bearer, checks=CHECKS)


# Requests at the edges the generated ones did not reach (found by probing the parsers by
# hand): a digit that int() does not take, an id beyond a 64-bit key, the last representable
# day, and Bundle entries of the wrong JSON type.  Each must be refused (4xx), never fail.
HUGE = "99999999999999999999999"
TRANSACTION = '{"resourceType": "Bundle", "type": "transaction", "entry": [%s]}'
PATIENT_ENTRY = (
    '{"request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=urn:x|1"}, '
    '"resource": {"resourceType": "Patient", %s}}'
)
EDGES = [
    ("GET", "/fhir/Patient?_count=%C2%B2", None),  # "²".isdigit() is True; int("²") fails
    ("GET", "/fhir/Patient/%C2%B2", None),
    ("GET", "/fhir/Patient?_id=%C2%B2", None),
    ("GET", f"/fhir/Patient/{HUGE}", None),
    ("GET", f"/fhir/Patient?_id={HUGE}", None),
    ("GET", f"/fhir/Observation/kl-{HUGE}", None),
    ("GET", f"/fhir/Observation?patient={HUGE}", None),
    ("GET", f"/fhir/Patient/{HUGE}/$everything", None),
    ("GET", "/fhir/Patient?_lastUpdated=9999-12-31", None),
    ("GET", "/fhir/Patient?_lastUpdated=gt9999-12-31", None),
    ("POST", "/fhir/", TRANSACTION % "1"),
    ("POST", "/fhir/", TRANSACTION % (PATIENT_ENTRY % '"name": "x", "identifier": "y"')),
    ("POST", "/fhir/", TRANSACTION % (PATIENT_ENTRY % '"name": [1], "identifier": [1]')),
]


@pytest.mark.parametrize(("method", "path", "body"), EDGES)
@pytest.mark.django_db
def test_an_edge_request_is_refused_not_failed(client, bearer, method, path, body) -> None:
    if method == "GET":
        response = client.get(path, headers=bearer)
    else:
        response = client.post(path, body, content_type="application/fhir+json", headers=bearer)
    assert response.status_code < 500, (method, path, body, response.content)
    assert response["Content-Type"].startswith("application/fhir+json")
