"""One system per business identifier (fhir.md §3): the MRN in the system the clinic's own
record system assigned, and product identifiers in ISBT 128's system when a licensed FIN made
them, in the platform's internal one otherwise, so an internal identifier is never taken for a
real ISBT 128 one."""

from __future__ import annotations

import orjson
import pytest

from autologic.accounts.forms import SiteForm
from autologic.interop.resources.coding import ICCBBA_DIN
from autologic.lab.models import Unit
from tests.interop.chain_fixtures import (  # noqa: F401
    fixed_clock,
    freezer,
    make_lot,
    manager,
    released,
    resources,
    start_course,
    tech,
)

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"
OID = "urn:oid:1.2.276.0.76.3.1.42"


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_the_mrn_carries_the_system_the_clinic_was_assigned(site, patient, fhir_for) -> None:
    fhir = fhir_for()
    platform = f"{NS}/sid/mrn/{site.code}"
    assert fhir.json(f"/fhir/Patient/{patient.pk}")["identifier"][0]["system"] == platform

    site.mrn_system = OID
    site.save()
    fhir = fhir_for()
    first = fhir.json(f"/fhir/Patient/{patient.pk}")["identifier"][0]
    assert (first["system"], first["value"]) == (OID, patient.mrn)
    for system in (OID, platform):  # what was sent before the change is still found
        found = fhir.json("/fhir/Patient", {"identifier": f"{system}|{patient.mrn}"})
        assert ids(found) == [str(patient.pk)]
    other = fhir.json("/fhir/Patient", {"identifier": f"urn:oid:1.2.3|{patient.mrn}"})
    assert ids(other) == []


def test_an_import_matches_the_patient_by_the_clinics_own_mrn_system(
    site, patient, fhir_for
) -> None:
    site.mrn_system = OID
    site.save()
    fhir = fhir_for("system/Patient.write", "system/*.read")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:7a7e0e3c-5f3a-4b55-9a53-0b0f7c1f5e01",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": OID, "value": patient.mrn}],
                    "name": [{"family": patient.family_name, "given": [patient.given_name]}],
                    "gender": patient.sex,
                    "birthDate": patient.date_of_birth.isoformat(),
                },
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": f"identifier={OID}|{patient.mrn}",
                },
            }
        ],
    }
    answer = fhir.http.post(
        "/fhir/",
        orjson.dumps(bundle),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {fhir.token}"},
    )
    assert answer.status_code == 200, answer.content
    entry = orjson.loads(answer.content)["entry"][0]["response"]
    assert entry["status"].startswith("200") and entry["location"].startswith(
        f"Patient/{patient.pk}"
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (OID, True),
        ("https://kis.example-klinik.de/mrn", True),
        ("", True),
        ("1.2.276.0.76", False),
        ("urn:oid:1.02.3", False),
        ("https://has a space", False),
        ("ftp://x.example", False),
    ],
)
def test_the_clinic_settings_take_only_an_oid_or_an_address(site, value, valid) -> None:
    data = {
        "name": site.name,
        "time_zone": site.time_zone,
        "calendar": site.calendar,
        "currency": site.currency,
        "languages": site.languages or ["en"],
        "default_language": site.default_language,
        "mrn_prefix": site.mrn_prefix,
        "iccbba_fin": "",
        "mrn_system": value,
    }
    form = SiteForm(data)
    assert form.is_valid() is valid, form.errors
    if not valid:
        assert list(form.errors) == ["mrn_system"]


def product_identifiers(fhir, unit: Unit) -> dict[str, str]:
    resource = fhir.json(f"/fhir/BiologicallyDerivedProduct/{unit.pk}")
    return {i["value"]: i["system"] for i in resource["identifier"]}


def test_internal_identifiers_keep_the_platform_systems(site, released, fhir_for) -> None:  # noqa: F811
    lot = released()
    unit = Unit.objects.filter(collection=lot, parent__isnull=False).first()
    assert unit.identifier.startswith("0")  # the clinic's internal facility code
    systems = product_identifiers(fhir_for(), unit)
    assert systems == {
        unit.identifier: f"{NS}/sid/unit",
        unit.identifier[:13]: f"{NS}/sid/din",
        lot.chain.identifier: f"{NS}/sid/coi",
    }


def test_a_licensed_clinics_identifiers_are_named_as_isbt_128(site, released, fhir_for) -> None:  # noqa: F811
    site.iccbba_fin = "A9999"
    site.save()
    lot = released()
    unit = Unit.objects.filter(collection=lot, parent__isnull=False).first()
    assert unit.identifier.startswith("A9999")
    fhir = fhir_for()
    systems = product_identifiers(fhir, unit)
    assert systems == {
        unit.identifier: f"{NS}/sid/isbt128-unit",
        unit.identifier[:13]: ICCBBA_DIN,
        lot.chain.identifier: f"{NS}/sid/isbt128-coi",
    }
    din = unit.identifier[:13]
    by_isbt = fhir.json("/fhir/BiologicallyDerivedProduct", {"identifier": f"{ICCBBA_DIN}|{din}"})
    assert str(unit.pk) in ids(by_isbt)
    specimen = fhir.json(f"/fhir/Specimen/{lot.pk}")
    assert specimen["accessionIdentifier"] == {"system": ICCBBA_DIN, "value": din}
    assert specimen["identifier"] == [
        {"system": f"{NS}/sid/isbt128-coi", "value": lot.chain.identifier}
    ]
