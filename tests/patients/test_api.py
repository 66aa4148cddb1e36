"""The patient JSON API: per-field errors (never a 500), conflicts, and read logging."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from autologic.audit.models import AuditEvent
from autologic.patients.models import Patient
from tests.conftest import signed_in

BODY = {
    "family_name": "García",
    "given_name": "Lucía",
    "date_of_birth": "1970-02-03",
    "sex": "female",
    "preferred_language": "es",
}


@pytest.fixture
def api(physician) -> Client:
    return signed_in(physician)


def post(client: Client, body: object, raw: str | None = None):
    return client.post(
        "/api/v1/patients",
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
    )


def test_create_then_read_a_patient(api):
    created = post(api, BODY)
    assert created.status_code == 201, created.content
    patient_id = created.json()["id"]
    got = api.get(f"/api/v1/patients/{patient_id}")
    assert got.status_code == 200 and got.json()["family_name"] == "García"
    assert AuditEvent.objects.filter(action="patient.read", object_id=str(patient_id)).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "date_of_birth": "2199-01-01"}, "date_of_birth"),
        ({**BODY, "date_of_birth": "banana"}, "date_of_birth"),
        ({**BODY, "sex": "x"}, "sex"),
        ({**BODY, "family_name": ""}, "family_name"),
        ({**BODY, "email": "@@"}, "email"),
        ({**BODY, "date_of_birth": 12}, "date_of_birth"),
        ({**BODY, "phone": "+34 1"}, "phone"),
        ({**BODY, "family_name": "Garc\u202eía"}, "family_name"),
    ],
)
def test_bad_fields_answer_422_naming_the_field(api, body, field):
    response = post(api, body)
    assert response.status_code == 422, response.content
    assert any(field in err["loc"] for err in response.json()["detail"])
    assert not Patient.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "[]", '"text"', ""])
def test_malformed_json_is_a_client_error_not_a_500(api, raw):
    response = post(api, None, raw=raw)
    assert 400 <= response.status_code < 500


def test_a_body_that_is_not_json_is_a_400_listing_the_problem(api):
    response = post(api, None, raw="{not json")
    assert response.status_code == 400
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body"]]


def test_a_missing_required_field_is_named_without_the_parameter_name(api):
    response = post(api, {k: v for k, v in BODY.items() if k != "sex"})
    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["body", "sex"]]


def test_search_returns_rows(api):
    post(api, BODY)
    rows = api.get("/api/v1/patients", {"q": "garc"}).json()
    assert [r["given_name"] for r in rows] == ["Lucía"]


def test_a_stale_patch_is_a_409_and_changes_nothing(api):
    patient_id = post(api, BODY).json()["id"]
    ok = api.patch(
        f"/api/v1/patients/{patient_id}",
        json.dumps({"version": 1, "phone": "+34 612 345 678"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api.patch(
        f"/api/v1/patients/{patient_id}",
        json.dumps({"version": 1, "phone": "+34 612 345 679"}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert Patient.objects.get().phone == "+34612345678"


def test_phone_numbers_are_stored_e164_through_the_api(api):
    created = post(api, {**BODY, "phone": "030 1234567"})  # the clinic is in Berlin
    assert created.status_code == 201, created.content
    assert created.json()["phone"] == "+49301234567"


def test_unknown_patient_is_404_naming_the_path_parameter(api):
    response = api.get("/api/v1/patients/999999")
    assert response.status_code == 404
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["path", "patient_id"] and problem["type"] == "patient_not_found"


def test_a_duplicate_mrn_is_a_409_conflict(api):
    assert post(api, {**BODY, "mrn": "b-77"}).status_code == 201
    taken = post(api, {**BODY, "given_name": "Ana", "mrn": "B-77"})
    assert taken.status_code == 409, taken.content
    [problem] = taken.json()["detail"]
    assert problem["loc"] == ["body", "mrn"] and problem["type"] == "duplicate_mrn"
    assert Patient.objects.count() == 1


def test_openapi_schema_is_served_to_staff(api):
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/patients" in schema["paths"]
