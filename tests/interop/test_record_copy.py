"""A copy of a patient's whole record from the clinic's own pages: what it holds, then the file
(a FHIR R4 Bundle built by the same code as ``$everything``), for a subject-access request or a
transfer.  Reading the page and taking the file are both audited; another clinic's patient is
not found; the file passes both outside validators."""

from __future__ import annotations

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from tests.conftest import signed_in
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


def test_the_record_copy_lists_its_parts_and_the_file_is_the_whole_record(
    site,
    patient,
    injected,  # noqa: F811
    make_staff,
    fhir_for,
    tmp_path,
) -> None:
    coordinator = signed_in(make_staff(Role.COORDINATOR))
    chart = coordinator.get(f"/patients/{patient.pk}/")
    assert f'href="/records/patients/{patient.pk}/"' in chart.content.decode()

    page = coordinator.get(f"/records/patients/{patient.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    for words in ("Products and syringes", "Chain of custody and signatures", "Patient details"):
        assert words in text
    assert "BiologicallyDerivedProduct" not in text  # no developer codes on the page
    read = AuditEvent.objects.filter(action="patient.read", object_id=str(patient.pk)).last()
    assert read.changes == {"viewed": "record copy"}

    download = coordinator.get(f"/records/patients/{patient.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/fhir+json"
    assert download["Content-Disposition"] == (
        f'attachment; filename="patient-{patient.pk}-record.json"'
    )
    bundle = orjson.loads(download.content)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "Patient" and bundle["entry"][0]["resource"]["id"] == str(patient.pk)
    assert {"BiologicallyDerivedProduct", "Provenance", "Procedure", "Specimen"} <= set(kinds)

    # The same record a machine client's $everything answers, resource for resource (the
    # access log aside: reading it is itself logged).
    machine = fhir_for().json(f"/fhir/Patient/{patient.pk}/$everything")

    def keys(found: dict) -> set[tuple[str, str]]:
        return {
            (e["resource"]["resourceType"], e["resource"]["id"])
            for e in found["entry"]
            if e["resource"]["resourceType"] != "AuditEvent"
        }

    assert keys(bundle) == keys(machine)

    taken = AuditEvent.objects.filter(action="patient.everything", actor__isnull=False).get()
    assert taken.actor.role == Role.COORDINATOR and taken.object_id == str(patient.pk)
    assert taken.changes["channel"] == "download"
    assert sum(taken.changes["counts"].values()) == len(bundle["entry"])

    report = validate(tmp_path, [bundle])
    assert report["errors"] == []
    get_fhir_model_class("Bundle").model_validate(bundle)


def test_only_record_keepers_of_the_clinic_take_a_copy(
    site, patient, physician, make_staff, jalali_site
) -> None:
    for role, allowed in (
        (Role.PHYSICIAN, True),
        (Role.MANAGER, True),
        (Role.NURSE, False),
        (Role.BILLING, False),
        (Role.LAB_TECHNICIAN, False),
        (Role.RESEARCHER, False),
    ):
        client = signed_in(physician if role == Role.PHYSICIAN else make_staff(role))
        for path in (
            f"/records/patients/{patient.pk}/",
            f"/records/patients/{patient.pk}/download/",
        ):
            assert (client.get(path).status_code == 200) is allowed, (role, path)
    elsewhere = signed_in(make_staff(Role.COORDINATOR, at=jalali_site))
    assert elsewhere.get(f"/records/patients/{patient.pk}/").status_code == 404
    assert elsewhere.get(f"/records/patients/{patient.pk}/download/").status_code == 404
    assert not AuditEvent.objects.filter(action="patient.everything", site=jalali_site).exists()
