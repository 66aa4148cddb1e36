"""The chain from draw to needle over FHIR: an external client with a token starts at the
injection and, following only Provenance ``target`` and ``entity`` references and the units'
``parent``, reaches the unit given, its lot, the QC release with its signatures, the collection
and the patient.  Every resource on the way passes both outside validators."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from autologic.audit.models import AuditEvent
from autologic.interop.resources.registry import TYPES
from autologic.lab.models import Unit
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
from tests.interop.validators import validate

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"


def refs(resource: dict[str, Any], element: str) -> list[str]:
    return [
        item["reference"] if "reference" in item else item["what"]["reference"]
        for item in resource.get(element, [])
    ]


def test_from_the_needle_back_to_the_draw(fhir_for, injected, patient, physician, nurse) -> None:
    lot, unit, record = injected
    fhir = fhir_for()  # after the clock moved: the token is issued now
    seen: list[dict[str, Any]] = []

    def get(path: str, **params: Any) -> dict[str, Any]:
        body = fhir.json(path, params or None)
        seen.append(body)
        seen.extend(e["resource"] for e in body.get("entry", []))
        return body

    def provenance_of(target: str) -> list[dict[str, Any]]:
        bundle = get("/fhir/Provenance", target=target)
        return [e["resource"] for e in bundle.get("entry", [])]

    injection = get(f"/fhir/Procedure/inj-{record.pk}")
    assert injection["subject"] == {"reference": f"Patient/{patient.pk}"}
    site = injection["bodySite"][0]
    assert site["coding"][0]["code"] == "knee"
    assert site["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "419161000"

    (bedside,) = provenance_of(f"Procedure/inj-{record.pk}")
    assert refs(bedside, "entity") == [f"BiologicallyDerivedProduct/{unit.pk}"]
    assert {s["who"]["reference"] for s in bedside["signature"]} == {
        f"Practitioner/{physician.pk}",
        f"Practitioner/{nurse.pk}",
    }
    assert [a["type"]["coding"][0]["code"] for a in bedside["agent"]] == ["performer", "verifier"]

    given_unit = get(f"/fhir/BiologicallyDerivedProduct/{unit.pk}")
    assert given_unit["identifier"][0] == {"system": f"{NS}/sid/unit", "value": unit.identifier}
    assert given_unit["extension"][0]["valueCode"] == "administered"
    assert given_unit["status"] == "unavailable" and given_unit["productCategory"] == "fluid"
    custody = provenance_of(f"BiologicallyDerivedProduct/{unit.pk}")
    moves = [p["activity"]["coding"][0]["code"] for p in custody]
    assert moves == list(unit.events.order_by("at", "id").values_list("move", flat=True))
    assert len(moves) >= 4  # made, released, reserved, issued, thawed, administered …

    (parent,) = refs(given_unit, "parent")
    root = Unit.objects.get(collection=lot, parent__isnull=True)
    assert parent == f"BiologicallyDerivedProduct/{root.pk}"
    made = provenance_of(parent)
    kinds = {p["id"].split("-")[0]: p for p in made if not p["id"].startswith("ue-")}
    assert set(kinds) == {"run", "rel"}
    release = kinds["rel"]
    assert release["activity"]["coding"][0]["code"] == "qc-release"
    (signature, *_more) = release["signature"]
    assert signature["who"]["reference"].startswith("Practitioner/") and signature["when"]
    assert signature["type"][0]["system"] == "urn:iso-astm:E1762-95:2013"
    (specimen_ref,) = refs(release, "entity")
    assert specimen_ref == f"Specimen/{lot.pk}"

    specimen = get(f"/fhir/{specimen_ref}")
    assert specimen["identifier"][0]["value"] == lot.chain.identifier
    (drawn,) = provenance_of(specimen_ref)
    assert refs(drawn, "entity") == [f"Patient/{patient.pk}"]
    assert f"Procedure/col-{lot.pk}" in refs(drawn, "target")
    get(f"/fhir/Procedure/col-{lot.pk}")
    get(f"/fhir/Patient/{patient.pk}")

    with_targets = get(
        "/fhir/Provenance", patient=f"Patient/{patient.pk}", _include="Provenance:target"
    )
    included = {
        e["resource"]["resourceType"]
        for e in with_targets["entry"]
        if e["search"]["mode"] == "include"
    }
    assert {"Specimen", "BiologicallyDerivedProduct", "Procedure"} <= included
    get(
        "/fhir/BiologicallyDerivedProduct",
        patient=patient.pk,
        _include="BiologicallyDerivedProduct:parent",
    )
    get("/fhir/Specimen", patient=patient.pk)
    get("/fhir/Procedure", patient=patient.pk)

    emitted = [r for r in seen if r.get("resourceType")]
    report = validate_here(emitted)
    assert {(e["validator"], e["type"], e["at"], e["message"]) for e in report["errors"]} == set()
    assert {"Provenance", "BiologicallyDerivedProduct", "Specimen", "Procedure"} <= set(
        report["types"]
    )
    for resource in emitted:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


_tmp: list[Any] = []


@pytest.fixture(autouse=True)
def _tmp_dir(tmp_path):
    _tmp[:] = [tmp_path]


def validate_here(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return validate(_tmp[0], resources)


def test_another_clinic_and_a_registry_client_see_no_chain(
    fhir_for, injected, jalali_site, patient
) -> None:
    lot, unit, record = injected
    for client in (fhir_for(at=jalali_site), fhir_for(purpose="registry")):
        for path in (
            f"/fhir/Procedure/inj-{record.pk}",
            f"/fhir/BiologicallyDerivedProduct/{unit.pk}",
            f"/fhir/Specimen/{lot.pk}",
            f"/fhir/Provenance/adm-{record.pk}",
        ):
            assert client.get(path).status_code == 404, path
        assert "entry" not in client.json("/fhir/Provenance")


def test_everything_is_the_whole_record_of_one_patient(fhir_for, injected, patient) -> None:
    lot, unit, record = injected
    fhir = fhir_for()
    bundle = fhir.json(f"/fhir/Patient/{patient.pk}/$everything")
    got = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]}
    expected = {("Patient", str(patient.pk)), ("Organization", str(patient.site_id))}
    for name, rtype in TYPES.items():
        if "patient" in rtype.parameters:
            found = fhir.json(f"/fhir/{name}", {"patient": patient.pk, "_count": 1000})
            expected |= {(name, e["resource"]["id"]) for e in found.get("entry", [])}
    # Reading the record is itself audited: later searches find one more AuditEvent.
    assert got <= expected and {k for k in expected - got if k[0] != "AuditEvent"} == set()
    assert ("Procedure", f"inj-{record.pk}") in got and ("Provenance", f"adm-{record.pk}") in got
    assert ("BiologicallyDerivedProduct", str(unit.pk)) in got
    mentioned = {
        ref
        for e in bundle["entry"]
        for ref in re.findall(r'"(Patient/\d+)"', orjson.dumps(e["resource"]).decode())
    }
    assert mentioned == {f"Patient/{patient.pk}"}  # nobody else's record
    event = AuditEvent.objects.get(action="patient.everything")
    assert event.object_id == str(patient.pk) and event.changes["counts"]["Provenance"] >= 5


def test_everything_needs_every_type_and_is_not_for_registries(fhir_for, patient) -> None:
    narrow = fhir_for("system/Patient.read")
    refused = narrow.get(f"/fhir/Patient/{patient.pk}/$everything")
    assert refused.status_code == 403
    registry = fhir_for(purpose="registry")
    assert registry.get(f"/fhir/Patient/{patient.pk}/$everything").status_code == 403
    assert fhir_for().get("/fhir/Patient/999999/$everything").status_code == 404
