"""A machine client of the FHIR API and a way to call it with its bearer token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from django.test import Client

from autologic.accounts.models import Site
from autologic.common import clock
from autologic.common.domain.clock import FixedClock
from autologic.interop import auth
from autologic.interop.models import FhirClient


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[FixedClock]:
    """Time stands still (tokens are issued and checked at the same moment) unless moved."""
    fixed = FixedClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


class Fhir:
    """Calls /fhir with a bearer token, as a machine client would (no session, no CSRF)."""

    def __init__(self, token: str):
        self.token = token
        self.http = Client(enforce_csrf_checks=True)

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.http.get(
            path, params or {}, headers={"Authorization": f"Bearer {self.token}", **headers}
        )

    def json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.get(path, params)
        assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
        return orjson.loads(response.content)


def register(
    site: Site, *scopes: str, name: str = "registry-x", purpose: str = "care"
) -> FhirClient:
    return auth.add_client(
        name=name, site=site, scopes=list(scopes), purpose=purpose, now=clock.now()
    )


@pytest.fixture
def fhir_for(site: Site) -> Callable[..., Fhir]:
    """A client of the clinic with the given scopes (default ``system/*.read``)."""

    def make(*scopes: str, at: Site | None = None, purpose: str = "care", name: str = "") -> Fhir:
        client = register(
            at or site,
            *(scopes or ("system/*.read",)),
            name=name or f"client-{FhirClient.objects.count()}",
            purpose=purpose,
        )
        token, _row = auth.issue_token(client=client, requested=None, now=clock.now())
        return Fhir(token)

    return make


@pytest.fixture
def fhir(fhir_for: Callable[..., Fhir]) -> Fhir:
    return fhir_for()
