"""One error path: a refused operation gets the same status, code and message from the JSON API
and from the FHIR API, because both answer from ``common.refusals.refusal_for``."""

from __future__ import annotations

import orjson
import pytest
from django.test import RequestFactory
from ninja import NinjaAPI

from autologic import api_errors
from autologic.common.domain.errors import (
    BadQuery,
    ConflictError,
    NotFound,
    PermissionRefused,
    Unauthenticated,
    ValidationFailed,
)
from autologic.common.messages import MESSAGES
from autologic.interop.views import refused

KINDS = [
    (ValidationFailed("invalid_mrn", "An MRN …", field="mrn"), 422, "business-rule"),
    (BadQuery("invalid_search", "_count must be …", field="_count"), 400, "invalid"),
    (ConflictError("stale_patient", "Someone else saved …"), 409, "conflict"),
    (NotFound("no_such_resource", "No Patient with id 9.", field="id"), 404, "not-found"),
    (PermissionRefused("physician_only", "Only a physician …"), 403, "forbidden"),
    (Unauthenticated("token_expired", "This token has expired."), 401, "login"),
    (BadQuery("not_supported", "Only JSON is served.", field="_format"), 400, "not-supported"),
]


@pytest.fixture(scope="module")
def json_api() -> NinjaAPI:
    api = NinjaAPI(urls_namespace="refusal-parity")
    api_errors.install(api)
    return api


@pytest.mark.parametrize(("exc", "status", "issue"), KINDS, ids=lambda v: getattr(v, "code", v))
def test_json_and_fhir_agree_on_every_kind_of_refusal(json_api, exc, status, issue) -> None:
    request = RequestFactory().get("/")
    as_json = json_api.on_exception(request, exc)
    as_fhir = refused(exc)
    assert as_json.status_code == as_fhir.status_code == status
    outcome = orjson.loads(as_fhir.content)["issue"][0]
    assert outcome["code"] == issue and outcome["details"]["coding"][0]["code"] == exc.code
    body = orjson.loads(as_json.content)["detail"]
    message = body if isinstance(body, str) else body[0]["msg"]
    assert message == outcome["details"]["text"]
    if isinstance(body, list):
        assert body[0]["type"] == exc.code
        assert body[0]["loc"][1:] == ([exc.field] if exc.field else [])


def test_the_catalogue_gives_the_message_in_both(json_api) -> None:
    """A catalogued code shows the catalogue's wording, not the raised English text."""
    exc = ValidationFailed("invalid_mrn", "raw text", field="mrn")
    outcome = orjson.loads(refused(exc).content)["issue"][0]
    assert outcome["details"]["text"] == str(MESSAGES["invalid_mrn"]) != "raw text"
