"""The FHIR API's front door: bearer tokens with scopes, one clinic per client, the
CapabilityStatement, read and search with keyset paging, and every refusal an OperationOutcome
with a stable code."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from autologic.accounts.roles import ACCESS, Gate
from autologic.audit.models import AuditEvent
from autologic.common import clock
from autologic.interop import auth
from autologic.interop.models import AccessToken
from autologic.interop.resources.registry import TYPES
from autologic.patients import actions as patients
from autologic.patients.models import Patient
from tests.conftest import patient_data, signed_in
from tests.interop.conftest import Fhir

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"


def outcome_code(response) -> str:
    body = orjson.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    (coding,) = issue["details"]["coding"]
    assert coding["system"] == f"{NS}/CodeSystem/error" and issue["details"]["text"]
    return coding["code"]


def many_patients(site, by, count: int, start: int = 0) -> list[Patient]:
    return [
        patients.create_patient(
            site=site,
            data=patient_data(
                family_name=f"Family{i:04d}", date_of_birth=date(1950, 1, 1) + timedelta(days=i)
            ),
            by=by,
        )
        for i in range(start, start + count)
    ]


def test_only_the_fhir_api_is_reached_by_bearer_token() -> None:
    by_bearer = {name for name, rule in ACCESS.items() if rule == Gate.FHIR_TOKEN}
    assert by_bearer and all(name.startswith("fhir:") for name in by_bearer)


def test_no_token_is_401_with_a_bearer_challenge(client, physician) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 401 and outcome_code(response) == "token_missing"
    assert response["WWW-Authenticate"] == 'Bearer realm="autologic-fhir"'
    # A signed-in member of staff is no machine client: the session does not authenticate.
    staff = signed_in(physician)
    assert staff.get("/fhir/Patient").status_code == 401
    bad = client.get("/fhir/metadata", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and outcome_code(bad) == "token_unknown"
    assert 'error="invalid_token"' in bad["WWW-Authenticate"]


def test_an_expired_token_is_refused(fhir, fixed_clock) -> None:
    AccessToken.objects.update(expires_at=fixed_clock.now() - timedelta(seconds=1))
    response = fhir.get("/fhir/metadata")
    assert response.status_code == 401 and outcome_code(response) == "token_expired"


def test_the_capability_statement_lists_exactly_what_is_served(fhir) -> None:
    statement = fhir.json("/fhir/metadata")
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    (rest,) = statement["rest"]
    served = {r["type"]: r for r in rest["resource"]}
    assert served.keys() == TYPES.keys()
    for name, entry in served.items():
        assert {p["name"] for p in entry["searchParam"]} == set(TYPES[name].parameters)
    assert served["Patient"]["searchInclude"] == ["Patient:organization"]


def test_a_patient_reads_as_fhir_and_the_read_is_audited(fhir, patient, site) -> None:
    response = fhir.get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200 and response["ETag"] == f'W/"{patient.version}"'
    resource = orjson.loads(response.content)
    assert resource["resourceType"] == "Patient" and resource["id"] == str(patient.pk)
    (mrn,) = resource["identifier"]
    assert mrn == {
        "use": "usual",
        "type": mrn["type"],
        "system": f"{NS}/sid/mrn/{site.code}",
        "value": patient.mrn,
    }
    assert resource["name"] == [{"use": "official", "family": "Müller", "given": ["Jürgen"]}]
    assert resource["gender"] == "male" and resource["birthDate"] == "1958-04-12"
    assert resource["telecom"] == [{"system": "phone", "value": "+49301234567", "use": "mobile"}]
    assert resource["managingOrganization"] == {"reference": f"Organization/{site.pk}"}
    assert resource["meta"]["lastUpdated"].endswith("Z")
    event = AuditEvent.objects.get(action="fhir.read")
    assert (event.object_type, event.object_id) == ("patient", str(patient.pk))
    assert event.actor_id is None and event.actor_name.startswith("FHIR client ")


def test_another_clinics_patient_is_not_found(fhir_for, patient, jalali_site) -> None:
    other = fhir_for(at=jalali_site)
    response = other.get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 404 and outcome_code(response) == "no_such_resource"
    assert "entry" not in other.json("/fhir/Patient")  # FHIR has no empty arrays


def test_a_token_without_the_scope_is_forbidden(fhir_for, patient) -> None:
    narrow = fhir_for("system/Organization.read")
    response = narrow.get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 403 and outcome_code(response) == "scope_missing"
    assert "system/Patient.read" in orjson.loads(response.content)["issue"][0]["details"]["text"]
    assert narrow.get("/fhir/Organization").status_code == 200


def test_a_token_never_has_more_scopes_than_its_client(site) -> None:
    from autologic.common.domain.errors import PermissionRefused
    from tests.interop.conftest import register

    client = register(site, "system/Patient.read")
    with pytest.raises(PermissionRefused):
        auth.issue_token(client=client, requested="system/*.read", now=clock.now())
    _token, row = auth.issue_token(client=client, requested=None, now=clock.now())
    assert row.scopes == "system/Patient.read"


def test_search_pages_by_keyset_without_missing_or_repeating(fhir, site, physician) -> None:
    made = many_patients(site, physician, 120)
    seen: list[str] = []
    page = fhir.json("/fhir/Patient", {"_count": 50})
    pages = 0
    while True:
        pages += 1
        seen += [e["resource"]["id"] for e in page["entry"]]
        assert all(e["search"]["mode"] == "match" for e in page["entry"])
        if pages == 1:  # registered between pages: paging by id neither skips nor repeats
            made += many_patients(site, physician, 3, start=500)
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            break
        assert following[0].startswith("http://127.0.0.1:8000/fhir/Patient?_count=50&_cursor=")
        page = fhir.json(following[0].removeprefix("http://127.0.0.1:8000"))
    assert pages == 3 and seen == [str(p.pk) for p in made]
    event = AuditEvent.objects.filter(action="fhir.search").latest("seq")
    assert event.changes["ids"] == [str(p.pk) for p in made[100:]]


def test_search_by_identifier_id_and_last_updated(fhir, site, physician, fixed_clock) -> None:
    first, second = many_patients(site, physician, 2)
    Patient.objects.filter(pk=second.pk).update(updated_at=fixed_clock.now() + timedelta(days=3))
    mrn_system = f"{NS}/sid/mrn/{site.code}"

    def ids(params) -> list[str]:
        return [e["resource"]["id"] for e in fhir.json("/fhir/Patient", params).get("entry", [])]

    assert ids({"identifier": f"{mrn_system}|{first.mrn}"}) == [str(first.pk)]
    assert ids({"identifier": first.mrn}) == [str(first.pk)]
    assert ids({"identifier": f"http://other.example/mrn|{first.mrn}"}) == []
    assert ids({"_id": f"{second.pk},999999"}) == [str(second.pk)]
    later = (fixed_clock.now() + timedelta(days=1)).date().isoformat()
    assert ids({"_lastUpdated": f"ge{later}"}) == [str(second.pk)]
    assert ids({"_lastUpdated": f"lt{later}"}) == [str(first.pk)]


def test_include_brings_the_clinic_along(fhir, patient, site) -> None:
    bundle = fhir.json("/fhir/Patient", {"_include": "Patient:organization"})
    modes = [(e["search"]["mode"], e["resource"]["resourceType"]) for e in bundle["entry"]]
    assert modes == [("match", "Patient"), ("include", "Organization")]
    organization = bundle["entry"][1]["resource"]
    assert organization["name"] == site.name
    assert organization["identifier"][0] == {"system": f"{NS}/sid/site", "value": site.code}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"name": "Müller"}, "name"),  # not supported: refused, never ignored
        ({"identifier:exact": "x"}, "identifier:exact"),
        ({"_count": "0"}, "_count"),
        ({"_count": "abc"}, "_count"),
        ({"_lastUpdated": "2026-13-01"}, "_lastUpdated"),
        ({"_lastUpdated": "ne2026-01-01"}, "_lastUpdated"),
        ({"_lastUpdated": "2026-01-01T10:00"}, "_lastUpdated"),  # a time needs its zone
        ({"_cursor": "garbage"}, "_cursor"),
        ({"_include": "Patient:general-practitioner"}, "_include"),
        ({"_format": "xml"}, "_format"),
    ],
)
def test_a_bad_search_is_400_naming_the_parameter(fhir, params, parameter) -> None:
    response = fhir.get("/fhir/Patient", params)
    assert response.status_code == 400, response.content
    body = orjson.loads(response.content)
    assert body["issue"][0]["expression"] == [parameter]


def test_unknown_paths_types_and_methods_answer_as_fhir(fhir, patient) -> None:
    assert fhir.get("/fhir/").status_code == 405  # the base takes a transaction (POST) only
    for path in ("/fhir/Nonsense", "/fhir/Patient/1/_history/2"):
        response = fhir.get(path)
        assert response.status_code == 404 and outcome_code(response) in {
            "unknown_type",
            "unknown_path",
        }, path
    posted = fhir.http.post(
        "/fhir/Patient",
        b"{}",
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {fhir.token}"},
    )
    assert posted.status_code == 405 and posted["Allow"] == "GET"
    assert outcome_code(posted) == "not_supported"


def test_a_crash_is_an_outcome_without_details(fhir, patient, monkeypatch) -> None:
    def explode(row, context):
        raise RuntimeError(f"secret {row['family_name']}")

    (part,) = TYPES["Patient"].parts
    broken = dataclasses.replace(part, to_fhir=explode)
    monkeypatch.setitem(TYPES, "Patient", dataclasses.replace(TYPES["Patient"], parts=(broken,)))
    response = fhir.get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 500 and outcome_code(response) == "server_error"
    assert b"secret" not in response.content and b"M\xc3\xbcller" not in response.content


def test_a_registry_client_sees_only_consenting_patients(fhir_for, site, physician) -> None:
    from autologic.patients.models import Consent

    willing, unwilling = many_patients(site, physician, 2)
    Consent.objects.create(
        site=site,
        patient=willing,
        kind="registry",
        given_on=date(2026, 1, 5),
        recorded_by=physician,
        recorded_at=clock.now(),
    )
    registry = fhir_for(purpose="registry")
    ids = [e["resource"]["id"] for e in registry.json("/fhir/Patient")["entry"]]
    assert ids == [str(willing.pk)]
    assert registry.get(f"/fhir/Patient/{unwilling.pk}").status_code == 404


def test_the_command_registers_a_client_and_prints_a_working_token(site, capsys) -> None:
    call_command(
        "fhir_clients",
        "add",
        "hospital-ehr",
        "--site",
        site.code,
        "--scope",
        "system/Patient.read",
        "--print-token",
    )
    token = capsys.readouterr().out.strip()
    assert Fhir(token).get("/fhir/Patient").status_code == 200
    assert Fhir(token).get("/fhir/Organization").status_code == 403
    assert AuditEvent.objects.filter(action="fhir_client.add").count() == 1
    with pytest.raises(CommandError, match="system/Patients.read"):
        call_command(
            "fhir_clients", "add", "typo", "--site", site.code, "--scope", "system/Patients.read"
        )
    call_command("fhir_clients", "disable", "hospital-ehr")
    assert Fhir(token).get("/fhir/Patient").status_code == 401


def test_the_implementation_guide_lists_what_is_served() -> None:
    """docs/fhir/index.md names every served type with exactly its search parameters and
    includes (the CapabilityStatement is generated; the guide is kept true by this test)."""
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs/fhir/index.md").read_text()
    rows = {}
    for line in guide.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in TYPES:
            rows[cells[0]] = cells
    assert rows.keys() == TYPES.keys()
    for name, (_type, params, includes, _ids) in rows.items():
        assert params == ", ".join(f"`{p}`" for p in TYPES[name].parameters), name
        listed = ", ".join(f"`{i}`" for i in TYPES[name].includes) or "—"
        assert includes == listed, name
