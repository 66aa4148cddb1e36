"""A real third-party FHIR client against a live server: fhirpy (over HTTP, through its own
request building and Bundle paging) reads a patient, searches by identifier, pages through every
patient along ``link[next]`` and walks the injection's Provenance chain; then the Bulk Data
export runs as a client runs it, with ``requests``: kick-off, poll, the task queue's worker,
the manifest and the NDJSON files.  The token comes from the real SMART Backend Services
endpoint with an ES384-signed assertion.

The server is pytest-django's ``live_server`` (a thread of this process serving the test
database), so the test's fixed clock and settings hold on both sides; the export's task is run
by ``autologic worker --once`` in this process between polls, as the worker would run it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
import requests
from django.conf import settings as django_settings
from django.core.management import call_command
from fhirpy import SyncFHIRClient
from joserfc import jwt
from joserfc.jwk import ECKey

from autologic.audit.models import AuditEvent
from autologic.common import clock
from autologic.interop import auth
from autologic.interop.models import ExportJob
from autologic.patients import actions as patients
from autologic.patients.models import Patient
from tests.conftest import patient_data
from tests.interop.chain_fixtures import (  # noqa: F401
    fixed_clock,
    freezer,
    injected,
    make_lot,
    manager,
    nurse,
    released,
    resources,
    start_course,
    tech,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT = "fhirpy-e2e"
MORE_PATIENTS = 35
PAGE = 10


@pytest.fixture
def live(live_server, settings, tmp_path) -> str:
    """The live server's address, which the API writes into links and Content-Location."""
    settings.AUTOLOGIC_PUBLIC_URL = live_server.url
    settings.DATA_DIR = tmp_path
    settings.AUTOLOGIC_FHIR_EXPORT_FILE_BYTES = 8192  # several Patient files
    return str(live_server.url)


def many_patients(site, physician) -> list[Patient]:
    made = []
    for n in range(MORE_PATIENTS):
        data = patient_data(
            family_name=f"Family{n:02d}",
            given_name=f"Given{n:02d}",
            date_of_birth=date(1940, 1, 1) + timedelta(days=397 * n),
        )
        made.append(patients.create_patient(site=site, data=data, by=physician))
    return made


def token_from_the_endpoint(live: str, key: ECKey) -> str:
    """SMART Backend Services over HTTP: client credentials with an ES384-signed assertion."""
    token_url = f"{live}/fhir/auth/token"
    claims = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": token_url,
        "exp": int(clock.now().timestamp()) + 240,
        "jti": str(uuid.uuid4()),
    }
    signed = jwt.encode({"alg": "ES384", "kid": "e2e-1"}, claims, key, algorithms=["ES384"])
    answer = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION,
            "client_assertion": signed,
            "scope": "system/*.read system/$export",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and set(body["scope"].split()) == {
        "system/*.read",
        "system/$export",
    }
    return str(body["access_token"])


def test_fhirpy_reads_searches_pages_and_exports_against_a_live_server(
    live,
    site,
    physician,
    patient,
    injected,  # noqa: F811
) -> None:
    lot, unit, record = injected
    others = many_patients(site, physician)
    key = ECKey.generate_key("P-384", parameters={"kid": "e2e-1"})
    auth.add_client(
        name=CLIENT,
        site=site,
        scopes=["system/*.read", "system/$export"],
        purpose="care",
        now=clock.now(),
        jwks={"keys": [key.as_dict(private=False)]},
    )
    token = token_from_the_endpoint(live, key)
    fhir = SyncFHIRClient(f"{live}/fhir", authorization=f"Bearer {token}")

    # Read.
    read = fhir.reference("Patient", str(patient.pk)).to_resource()
    assert read["resourceType"] == "Patient" and read["id"] == str(patient.pk)
    assert read["name"][0]["family"] == "Müller"

    # Search by identifier (the MRN, system|value).
    mrn = f"{django_settings.AUTOLOGIC_FHIR_NAMESPACE}/sid/mrn/{site.code}"
    target = others[17]
    found = fhir.resources("Patient").search(identifier=f"{mrn}|{target.mrn}").fetch()
    assert [p["id"] for p in found] == [str(target.pk)]
    assert found[0]["birthDate"] == target.date_of_birth.isoformat()

    # Page through every patient, ten at a time, along link[next].
    searches_before = AuditEvent.objects.filter(action="fhir.search").count()
    paged = fhir.resources("Patient").limit(PAGE).fetch_all()
    ids = [p["id"] for p in paged]
    expected = sorted(
        str(pk) for pk in Patient.objects.filter(site=site).values_list("pk", flat=True)
    )
    assert len(expected) == MORE_PATIENTS + 1
    assert sorted(ids) == expected and len(ids) == len(set(ids))  # each one exactly once
    pages = AuditEvent.objects.filter(action="fhir.search").count() - searches_before
    assert pages == -(-len(expected) // PAGE)  # every page was fetched from the server

    # The injection's Provenance chain, from the needle back to the draw.
    (bedside,) = fhir.resources("Provenance").search(target=f"Procedure/inj-{record.pk}").fetch()
    assert [e["what"]["reference"] for e in bedside["entity"]] == [
        f"BiologicallyDerivedProduct/{unit.pk}"
    ]
    given_unit = fhir.reference("BiologicallyDerivedProduct", str(unit.pk)).to_resource()
    (parent,) = [p["reference"] for p in given_unit["parent"]]
    made = fhir.resources("Provenance").search(target=parent).fetch_all()
    release = next(p for p in made if p["id"].startswith("rel-"))
    assert [e["what"]["reference"] for e in release["entity"]] == [f"Specimen/{lot.pk}"]
    (drawn,) = fhir.resources("Provenance").search(target=f"Specimen/{lot.pk}").fetch()
    assert [e["what"]["reference"] for e in drawn["entity"]] == [f"Patient/{patient.pk}"]
    chain = fhir.resources("Provenance").search(patient=patient.pk).limit(PAGE).fetch_all()
    assert {p["id"].split("-")[0] for p in chain} == {"col", "run", "rel", "ue", "adm"}

    # Bulk Data export, with plain HTTP (fhirpy does not show response headers).
    exported = bulk_export(live, token)
    assert sorted(p["id"] for p in exported["Patient"]) == expected
    assert [p["id"] for p in exported["Provenance"]] and {"Specimen", "Procedure"} <= set(exported)


def bulk_export(live: str, token: str) -> dict[str, list[dict[str, Any]]]:
    """Kick off, poll (202 while queued), let the worker run the queued task, poll (200 with
    the manifest), download every file; returns the resources by type."""
    bearer = {"Authorization": f"Bearer {token}"}
    kick_off = requests.get(
        f"{live}/fhir/$export", headers={**bearer, "Prefer": "respond-async"}, timeout=10
    )
    assert kick_off.status_code == 202, kick_off.text
    status_url = kick_off.headers["Content-Location"]
    assert status_url.startswith(f"{live}/fhir/$export-status/")
    polled = requests.get(status_url, headers=bearer, timeout=10)
    assert polled.status_code == 202 and polled.headers["X-Progress"] == "queued"
    assert polled.headers["Retry-After"]

    call_command("worker", once=True)  # the task queue's worker, one round
    assert ExportJob.objects.get().status == "complete"

    done = requests.get(status_url, headers=bearer, timeout=10)
    assert done.status_code == 200, done.text
    manifest = done.json()
    assert manifest["request"] == f"{live}/fhir/$export"
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert len([o for o in manifest["output"] if o["type"] == "Patient"]) > 1  # split by bytes
    by_type: dict[str, list[dict[str, Any]]] = {}
    for output in manifest["output"]:
        assert output["url"].startswith(f"{live}/fhir/$export-file/")
        assert requests.get(output["url"], timeout=10).status_code == 401  # needs the token
        got = requests.get(output["url"], headers=bearer, timeout=10)
        assert got.status_code == 200
        assert got.headers["Content-Type"] == "application/fhir+ndjson"
        lines = got.content.splitlines()
        assert len(lines) == output["count"]
        rows = [orjson.loads(line) for line in lines]
        assert {r["resourceType"] for r in rows} == {output["type"]}
        by_type.setdefault(output["type"], []).extend(rows)
    return by_type
