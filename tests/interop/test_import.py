"""Import over FHIR: a transaction Bundle of conditional creates is all or nothing and
idempotent: 201 on the first import, 200 on a repeat, 412 when a criterion matches several
records.  Answers from another system are scored by the portal's code."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from autologic.audit.models import AuditEvent
from autologic.interop.models import ExternalIdentifier
from autologic.outcomes.domain import registry
from autologic.outcomes.models import Response
from autologic.patients.models import Patient

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"
HOSPITAL = "https://hospital.example/mrn"


def patient_entry(value: str, family: str = "Nakamura", **extra: Any) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:patient-{value}",
        "resource": {
            "resourceType": "Patient",
            "identifier": [{"system": HOSPITAL, "value": value}],
            "name": [{"family": family, "given": ["Aiko"]}],
            "gender": "female",
            "birthDate": extra.pop("birthDate", "1961-03-02"),
            "telecom": [{"system": "phone", "value": "+49 30 1234567"}],
            "communication": [
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "de"}]}}
            ],
            **extra,
        },
        "request": {
            "method": "POST",
            "url": "Patient",
            "ifNoneExist": f"identifier={HOSPITAL}|{value}",
        },
    }


def nrs_entry(subject: str, value: str, pain: int = 6) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": f"{NS}/Questionnaire/NRS",
            "status": "completed",
            "subject": {"reference": subject},
            "authored": "2026-12-01T10:00:00Z",
            "item": [{"linkId": "PAIN", "answer": [{"valueInteger": pain}]}],
        },
        "request": {
            "method": "POST",
            "url": "QuestionnaireResponse",
            "ifNoneExist": f"identifier=https://registry.example/qr|{value}",
        },
    }


def transaction(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def post(fhir, bundle: Any):
    return fhir.http.post(
        "/fhir/",
        orjson.dumps(bundle),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {fhir.token}"},
    )


@pytest.fixture
def importer(fhir_for):
    return fhir_for("system/Patient.write", "system/QuestionnaireResponse.write", "system/*.read")


def statuses(response) -> list[str]:
    assert response.status_code == 200, response.content
    body = orjson.loads(response.content)
    assert body["type"] == "transaction-response"
    return [e["response"]["status"] for e in body["entry"]]


def test_first_import_creates_a_repeat_matches(importer, site) -> None:
    bundle = transaction(patient_entry("H-1"), nrs_entry("urn:uuid:patient-H-1", "Q-1"))
    assert statuses(post(importer, bundle)) == ["201 Created", "201 Created"]
    patient = Patient.objects.get(family_name="Nakamura")
    assert patient.phone == "+49301234567" and patient.preferred_language == "de"
    (answer,) = Response.objects.filter(patient=patient)
    assert answer.mode == "import" and answer.answers == {"PAIN": 6}
    assert answer.missing == registry.get("NRS").score({"PAIN": 6}).missing
    counts = (Patient.objects.count(), Response.objects.count(), AuditEvent.objects.count())
    assert statuses(post(importer, bundle)) == ["200 OK", "200 OK"]
    assert (Patient.objects.count(), Response.objects.count()) == counts[:2]
    body = orjson.loads(post(importer, bundle).content)
    assert body["entry"][0]["response"]["location"] == f"Patient/{patient.pk}"
    # The imported patient reads back with the clinic's own MRN.
    read = importer.json(f"/fhir/Patient/{patient.pk}")
    assert read["identifier"][0]["system"] == f"{NS}/sid/mrn/{site.code}"


def test_all_or_nothing(importer) -> None:
    before = (Patient.objects.count(), AuditEvent.objects.count())
    bad = transaction(patient_entry("H-2"), patient_entry("H-3", birthDate="2099-01-01"))
    response = post(importer, bad)
    assert response.status_code == 422
    outcome = orjson.loads(response.content)["issue"][0]
    assert outcome["expression"] == ["Bundle.entry[1].resource.date_of_birth"]
    assert (Patient.objects.count(), AuditEvent.objects.count()) == before
    assert not ExternalIdentifier.objects.exists()


def test_several_matches_refuse_the_bundle_with_412(importer) -> None:
    statuses(post(importer, transaction(patient_entry("H-4", "Berg"))))
    other = patient_entry("H-4", "Lund")
    other["resource"]["identifier"][0]["system"] = "https://other.example/mrn"
    other["request"]["ifNoneExist"] = "identifier=https://other.example/mrn|H-4"
    statuses(post(importer, transaction(other)))
    ambiguous = patient_entry("H-4", "Sato")
    ambiguous["request"]["ifNoneExist"] = "identifier=H-4"  # no system: both match
    response = post(importer, transaction(ambiguous))
    assert response.status_code == 412
    assert orjson.loads(response.content)["issue"][0]["code"] == "multiple-matches"
    assert not Patient.objects.filter(family_name="Sato").exists()


def test_criteria_are_not_ignored_inside_a_transaction(importer) -> None:
    """spark #520: a server that ignores ifNoneExist in a transaction matches or refuses
    wrongly once other records exist."""
    statuses(
        post(importer, transaction(patient_entry("H-5", "Alpha"), patient_entry("H-6", "Beta")))
    )
    third = post(
        importer, transaction(patient_entry("H-7", "Gamma"), patient_entry("H-5", "Alpha"))
    )
    assert statuses(third) == ["201 Created", "200 OK"]
    assert Patient.objects.filter(family_name__in=["Alpha", "Beta", "Gamma"]).count() == 3


def test_refusals_name_what_is_wrong(importer, fhir_for) -> None:
    plain = patient_entry("H-8")
    del plain["request"]["ifNoneExist"]
    assert post(importer, transaction(plain)).status_code == 400
    unknown = nrs_entry("Patient/999999", "Q-9")
    assert post(importer, transaction(unknown)).status_code == 404
    wrong = nrs_entry("urn:uuid:nobody", "Q-10")
    wrong["resource"]["questionnaire"] = "http://loinc.org/q/123"
    assert post(importer, transaction(wrong)).status_code == 422
    assert post(importer, {"resourceType": "Bundle", "type": "batch"}).status_code == 400
    bad_json = importer.http.post(
        "/fhir/",
        b"{",
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {importer.token}"},
    )
    assert bad_json.status_code == 400
    reader = fhir_for("system/*.read")
    assert post(reader, transaction(patient_entry("H-11"))).status_code == 403
    assert AuditEvent.objects.filter(action="fhir.import").count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_same_new_patient_imported_at_once_is_created_once(site) -> None:
    """Four processes on PostgreSQL import one new patient at a barrier: one creates it, the
    others match it; none fails or deadlocks."""
    import multiprocessing

    from django.db import connection

    from tests.interop.conftest import register
    from tests.interop.race_worker import import_at_once

    if connection.vendor != "postgresql":
        pytest.skip("a race between processes needs PostgreSQL")
    client = register(site, "system/Patient.write")
    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    connection.close()
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(4), context.Queue()
    bundle = transaction(patient_entry("H-RACE", "Racer"))
    workers = [
        context.Process(target=import_at_once, args=(url, client.pk, bundle, barrier, out))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    results = [out.get(timeout=5) for _ in range(4)]
    assert [r for r in results if r[0] != "done"] == []
    assert sorted(r[1][0] for r in results) == ["200 OK", "200 OK", "200 OK", "201 Created"]
    assert Patient.objects.filter(family_name="Racer").count() == 1
    assert ExternalIdentifier.objects.filter(value="H-RACE").count() == 1
