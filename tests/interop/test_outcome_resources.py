"""PROMs, adverse events and the audit trail over FHIR: Questionnaire (the instruments, without
licensed wording), QuestionnaireResponse, the PROM-score part of Observation (each score
re-computes from the response it is derived from), AdverseEvent (CTCAE grade → severity, ICH
outcome → R4 outcome, the injection Procedure as the suspect) and AuditEvent.  Every resource
emitted passes both outside validators and parses as R4B."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from autologic.audit.models import AuditEvent
from autologic.care.models import Appointment
from autologic.common import clock
from autologic.injections import actions as bedside
from autologic.outcomes.domain import registry, womac
from autologic.outcomes.models import Response, Score
from tests.conftest import band
from tests.injections.conftest import (  # noqa: F401
    freezer,
    given,
    nurse,
    ready,
    released,
    sessions,
)
from tests.interop.conftest import Fhir
from tests.interop.validators import validate
from tests.interop.world_outcomes import (
    adverse_event,
    draft,
    follow_up_event,
    koos,
    outcomes_world,
    prom,
    registry_consent,
)
from tests.lab.conftest import (  # noqa: F401
    NOW,
    fixed_clock,
    make_lot,
    manager,
    proof,
    resources,
    start_course,
    tech,
)

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"
ODI_TWO_MISSING = {f"Q{n}": 2 for n in range(1, 9)} | {"Q9": None, "Q10": None}


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    assert bundle["resourceType"] == "Bundle"
    return [e["resource"] for e in bundle.get("entry", [])]


def every_page(fhir: Fhir, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    found, bundle = [], fhir.json(path, params)
    while True:
        found += entries(bundle)
        nxt = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not nxt:
            return found
        bundle = fhir.json("/fhir" + nxt[0].split("/fhir", 1)[1])


@pytest.fixture
def proms(patient, physician, fixed_clock) -> dict[str, Response]:
    """A complete KOOS (also scored as WOMAC) entered from paper, an NRS and the follow-up
    questions answered by the patient on a tablet, and an ODI with two sections missing."""
    fixed_clock.current = NOW + timedelta(days=10)
    now = fixed_clock.now()
    return {
        "KOOS": prom(patient, "KOOS", koos(1) | {"P9": None}, by=physician, now=now),
        "NRS": prom(patient, "NRS", {"PAIN": 7}, by=physician, now=now, staff_entered=False),
        "FOLLOWUP": prom(
            patient, "FOLLOWUP", {"ACTIVITIES": 1, "SURGERY": 0}, by=physician, now=now
        ),
        "ODI": prom(patient, "ODI", ODI_TWO_MISSING, by=physician, now=now),
    }


@pytest.fixture
def injected(released, physician, nurse, patient, fixed_clock):
    """An ACS lot released and its first unit injected after the bedside check."""
    fixed_clock.current = NOW
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    record = bedside.administer(
        first,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    return lot, record


# --- Questionnaire -------------------------------------------------------------------------


def test_questionnaires_are_the_instruments_without_licensed_wording(fhir) -> None:
    found = every_page(fhir, "/fhir/Questionnaire", {"_count": 5})
    assert [q["id"] for q in found] == sorted(q["id"] for q in found)
    by_name = {q["name"]: q for q in found}
    assert set(by_name) == set(registry.INSTRUMENTS)
    koos_q = fhir.json("/fhir/Questionnaire/KOOS-2012")
    assert koos_q == by_name["KOOS"]
    assert koos_q["url"] == f"{NS}/Questionnaire/KOOS" and koos_q["version"] == "2012"
    assert by_name["KOOS_JR"]["id"] == "KOOS-JR-2016"
    assert by_name["KOOS_JR"]["copyright"].startswith("© Hospital for Special Surgery")
    for name, questionnaire in by_name.items():
        instrument = registry.get(name)
        assert [i["linkId"] for i in questionnaire["item"]] == [i.id for i in instrument.items]
        ranges = [[x["valueInteger"] for x in i["extension"]] for i in questionnaire["item"]]
        assert ranges == [[i.low, i.high] for i in instrument.items]
        texts = [i["text"] for i in questionnaire["item"] if "text" in i]
        # Only Autologic's own questions carry wording; no licensed item text ever leaves.
        assert bool(texts) == (instrument.licence.holder == "Autologic"), name
    assert by_name["FOLLOWUP"]["item"][1]["text"] == (
        "Since your treatment, have you had surgery on this joint?"
    )
    assert [q["id"] for q in entries(fhir.json("/fhir/Questionnaire", {"_id": "NRS-1"}))] == [
        "NRS-1"
    ]
    assert fhir.get("/fhir/Questionnaire/KOOS").status_code == 404


# --- QuestionnaireResponse and scores --------------------------------------------------------


def test_a_response_reads_with_its_answers_and_finds_by_patient_identifier_questionnaire(
    fhir_for, proms, patient, physician, site
) -> None:
    fhir = fhir_for()
    response = proms["KOOS"]
    qr = fhir.json(f"/fhir/QuestionnaireResponse/{response.pk}")
    assert qr["status"] == "completed" and qr["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert qr["identifier"] == {
        "system": f"{NS}/sid/questionnaire-response/{site.code}",
        "value": f"{site.code}-{response.pk}",
    }
    assert qr["questionnaire"] == f"{NS}/Questionnaire/KOOS|2012"
    assert qr["author"] == {"reference": f"Practitioner/{physician.pk}"}
    assert qr["source"] == {"reference": f"Patient/{patient.pk}"}
    assert qr["authored"] == "2026-12-01T09:00:00.000Z" and qr["meta"]["versionId"] == "1"
    answered = {i["linkId"]: i["answer"][0]["valueInteger"] for i in qr["item"]}
    assert answered == {k: v for k, v in response.answers.items() if v is not None}
    assert "P9" not in answered and len(answered) == 41  # unanswered: no item, no null
    by_tablet = fhir.json(f"/fhir/QuestionnaireResponse/{proms['NRS'].pk}")
    assert by_tablet["author"] == {"reference": f"Patient/{patient.pk}"}

    def ids(params: dict[str, Any]) -> list[str]:
        return [r["id"] for r in entries(fhir.json("/fhir/QuestionnaireResponse", params))]

    all_ids = [str(r.pk) for r in sorted(proms.values(), key=lambda r: r.pk)]
    assert ids({"patient": f"Patient/{patient.pk}"}) == all_ids
    assert ids({"patient": "999999"}) == []
    assert ids({"identifier": f"{NS}/sid/questionnaire-response/{site.code}|ber-{response.pk}"})
    assert ids({"identifier": f"ber-{response.pk}"}) == [str(response.pk)]
    assert ids({"identifier": f"other|ber-{response.pk}"}) == []
    assert ids({"questionnaire": "Questionnaire/NRS-1"}) == [str(proms["NRS"].pk)]
    assert ids({"status": "in-progress"}) == []
    assert ids({"authored": "2026-12-01"}) == all_ids
    assert ids({"_lastUpdated": "lt2026-12-01"}) == []
    bundle = fhir.json(
        "/fhir/QuestionnaireResponse",
        {
            "_id": str(response.pk),
            "_include": ["QuestionnaireResponse:patient", "QuestionnaireResponse:questionnaire"],
        },
    )
    assert sorted(f"{r['resourceType']}/{r['id']}" for r in entries(bundle)) == [
        f"Patient/{patient.pk}",
        "Questionnaire/KOOS-2012",
        f"QuestionnaireResponse/{response.pk}",
    ]


def test_each_score_recomputes_from_the_response_it_is_derived_from(fhir_for, proms) -> None:
    fhir = fhir_for()  # the token is issued after the data, at the clock's last time
    scores = every_page(fhir, "/fhir/Observation", {"category": "survey", "_count": 7})
    assert len(scores) == Score.objects.count() > 10
    for observation in scores:
        assert observation["id"].startswith("score-") and observation["status"] == "final"
        (code,) = observation["code"]["coding"]
        assert code["system"] == f"{NS}/CodeSystem/score"
        instrument, name = code["code"].split(".")
        (source,) = observation["derivedFrom"]
        qr = fhir.json(f"/fhir/{source['reference']}")
        answers = {i["linkId"]: i["answer"][0]["valueInteger"] for i in qr["item"]}
        asked = qr["questionnaire"].split("|")[0].rsplit("/", 1)[1]
        rescored = (
            womac.derive(registry.get(asked), answers)
            if instrument != asked
            else registry.get(instrument).score(answers)
        )
        assert observation["method"]["coding"][0]["code"] == rescored.algorithm
        assert rescored.instrument_version in observation["method"]["text"]
        expected = rescored.scores[name].value
        if expected is None:
            assert "valueQuantity" not in observation
            assert observation["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
            assert observation["note"][0]["text"] == rescored.scores[name].reason
        else:
            assert observation["valueQuantity"]["value"] == pytest.approx(expected, abs=1e-12)
            assert observation["valueQuantity"]["system"] == "http://unitsofmeasure.org"
        assert observation["subject"] == qr["subject"]
        assert observation["effectiveDateTime"] == "2026-11-30"
    pain = [o for o in scores if o["code"]["coding"][0]["code"] == "NRS.pain"]
    assert [o["valueQuantity"]["value"] for o in pain] == [7.0]
    odi = [o for o in scores if o["code"]["coding"][0]["code"] == "ODI.percent"]
    assert "dataAbsentReason" in odi[0]
    womac_from_koos = [o for o in scores if o["code"]["coding"][0]["code"].startswith("WOMAC.")]
    assert womac_from_koos and all("from KOOS" in o["method"]["text"] for o in womac_from_koos)

    def ids(params: dict[str, Any]) -> list[str]:
        return [r["id"] for r in entries(fhir.json("/fhir/Observation", params))]

    koos_scores = Score.objects.filter(response=proms["KOOS"]).order_by("pk")
    assert ids({"derived-from": f"QuestionnaireResponse/{proms['KOOS'].pk}"}) == [
        f"score-{s.pk}" for s in koos_scores
    ]
    assert ids({"code": f"{NS}/CodeSystem/score|NRS.pain"}) == [pain[0]["id"]]
    assert ids({"code": "KOOS.pain,NRS.pain"}) == sorted(
        [pain[0]["id"], f"score-{koos_scores.get(name='pain', instrument='KOOS').pk}"],
        key=lambda i: int(i.split("-")[1]),
    )
    assert ids({"code": "http://loinc.org|NRS.pain"}) == []
    assert ids({"_id": pain[0]["id"]}) == [pain[0]["id"]]
    assert ids({"date": "2026-11-30", "code": "NRS.pain"}) == [pain[0]["id"]]
    assert ids({"date": "ge2026-12-01"}) == []
    assert fhir.json(f"/fhir/Observation/{pain[0]['id']}") == pain[0]
    assert fhir.get("/fhir/Observation/score-999999").status_code == 404


def test_a_response_in_progress_has_no_scores(fhir_for, injected, patient, fixed_clock) -> None:
    lot, _record = injected
    baseline = Appointment.objects.get(course=lot.course, key="fu-baseline")
    knee = lot.course.regions.get(region="knee")
    response = draft(patient, baseline, knee, "KOOS", {"P1": 2, "P2": 1}, now=fixed_clock.now())
    fhir = fhir_for()
    qr = fhir.json(f"/fhir/QuestionnaireResponse/{response.pk}")
    assert qr["status"] == "in-progress" and qr["language"] == "de"
    assert [i["linkId"] for i in qr["item"]] == ["P1", "P2"]
    assert qr["authored"] == qr["meta"]["lastUpdated"]
    found = entries(fhir.json("/fhir/QuestionnaireResponse", {"status": "in-progress"}))
    assert [r["id"] for r in found] == [str(response.pk)]
    derived = {"derived-from": f"QuestionnaireResponse/{response.pk}"}
    assert entries(fhir.json("/fhir/Observation", derived)) == []


# --- AdverseEvent ----------------------------------------------------------------------------

CASES = [  # (term, judgement, severity, outcome)
    ("arthralgia", {}, "mild", "recovering"),
    ("headache", {"grade": 2, "outcome": "not_recovered"}, "moderate", "ongoing"),
    (
        "joint_infection",
        {"grade": 3, "serious": True, "criteria": ("hospitalisation",), "outcome": "recovered"},
        "severe",
        "resolved",
    ),
    (
        "allergic_reaction",
        {
            "grade": 4,
            "serious": True,
            "criteria": ("life_threatening",),
            "outcome": "recovered_with_sequelae",
        },
        "severe",
        "resolvedWithSequelae",
    ),
    (
        "fever",
        {"grade": 5, "serious": True, "criteria": ("death",), "outcome": "fatal"},
        "severe",
        "fatal",
    ),
    ("other", {"outcome": "unknown"}, "mild", "unknown"),
]


def test_adverse_events_map_grade_outcome_and_the_injection(
    fhir_for, injected, patient, physician, fixed_clock
) -> None:
    _lot, record = injected
    onset = record.given_at + timedelta(hours=2)
    fixed_clock.current = record.given_at + timedelta(days=1)
    now = fixed_clock.now()
    events = []
    for n, (term, judgement, _severity, _outcome) in enumerate(CASES):
        if judgement.get("outcome") in ("recovered", "recovered_with_sequelae"):
            judgement = judgement | {"resolved_on": now.date()}
        events.append(
            adverse_event(
                patient,
                by=physician,
                onset=onset,
                now=now,
                term=term,
                administration_id=record.pk if n == 0 else None,
                **judgement,
            )
        )
    fixed_clock.current += timedelta(hours=1)
    follow_up_event(events[1], by=physician, now=fixed_clock.now(), grade=2, outcome="recovering")
    fhir = fhir_for()
    found = entries(fhir.json("/fhir/AdverseEvent", {"patient": f"Patient/{patient.pk}"}))
    assert [r["id"] for r in found] == [str(e.pk) for e in events]
    for resource, event, (_t, judgement, severity, outcome) in zip(
        found, events, CASES, strict=True
    ):
        assert resource["actuality"] == "actual"
        assert resource["severity"]["coding"][0]["code"] == severity
        expected_outcome = "recovering" if event == events[1] else outcome
        assert resource["outcome"]["coding"][0]["code"] == expected_outcome
        grade = {e["url"]: e for e in resource["extension"]}[
            f"{NS}/StructureDefinition/ctcae-grade"
        ]
        assert grade["valueInteger"] == judgement.get("grade", 1)
        assert resource["seriousness"]["coding"][0]["code"] == (
            "Serious" if judgement.get("serious") else "Non-serious"
        )
        (meddra,) = resource["event"]["coding"]
        assert meddra["system"] == "http://terminology.hl7.org/CodeSystem/mdr"
        assert meddra["code"] == str(event.meddra_code)
        assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert resource["recorder"] == {"reference": f"Practitioner/{physician.pk}"}
        assert resource["date"] == onset.isoformat().replace("+00:00", ".000Z")
    first = found[0]
    (suspect,) = first["suspectEntity"]
    assert suspect["instance"] == {"reference": f"Procedure/inj-{record.pk}"}
    assert [c["assessment"]["coding"][0]["code"] for c in suspect["causality"]] == [
        "Unlikely",
        "Possible",
    ]
    assert all("suspectEntity" not in r for r in found[1:])
    assert found[5]["event"]["text"].endswith(": Knee stiffness")
    assert found[1]["meta"]["versionId"] == "2"
    assert fhir.json(f"/fhir/AdverseEvent/{events[2].pk}") == found[2]
    by_subject = entries(fhir.json("/fhir/AdverseEvent", {"subject": str(patient.pk)}))
    assert by_subject == found
    assert entries(fhir.json("/fhir/AdverseEvent", {"date": "lt2026-01-01"})) == []
    assert entries(fhir.json("/fhir/AdverseEvent", {"_id": str(events[3].pk)})) == [found[3]]


# --- AuditEvent ------------------------------------------------------------------------------


def test_audit_events_name_the_agent_the_action_and_the_patient(
    fhir_for, proms, patient, physician, site
) -> None:
    fhir = fhir_for()
    fhir.json(f"/fhir/Patient/{patient.pk}")  # audited as fhir.read
    found = every_page(fhir, "/fhir/AuditEvent", {"patient": f"Patient/{patient.pk}"})
    rows = AuditEvent.objects.filter(object_type="patient", object_id=str(patient.pk))
    assert [r["id"] for r in found] == [str(e.seq) for e in rows.order_by("seq")]
    by_action = {r["subtype"][-1]["code"]: r for r in found}
    submitted = by_action["prom.submitted"]
    assert submitted["type"]["code"] == "110110" and submitted["action"] == "C"
    assert submitted["agent"] == [
        {
            "who": {"reference": f"Practitioner/{physician.pk}", "display": physician.printed_name},
            "requestor": True,
        }
    ]
    assert submitted["entity"][0]["what"] == {"reference": f"Patient/{patient.pk}"}
    assert submitted["source"]["observer"] == {"reference": f"Organization/{site.pk}"}
    assert submitted["outcome"] == "0"
    read = by_action["fhir.read"]
    assert read["type"]["code"] == "rest" and read["action"] == "R"
    assert read["subtype"][0]["code"] == "read"
    (agent,) = read["agent"]
    assert "reference" not in agent["who"] and agent["who"]["display"].startswith("FHIR client")
    searches = entries(fhir.json("/fhir/AuditEvent", {"date": "ge2026-11-01"}))
    assert any(r["subtype"][-1]["code"] == "fhir.search" and r["action"] == "E" for r in searches)
    assert entries(fhir.json("/fhir/AuditEvent", {"date": "lt2026-01-01"})) == []
    assert entries(fhir.json("/fhir/AuditEvent", {"_lastUpdated": "lt2026-01-01"})) == []
    assert all(r["meta"]["lastUpdated"] == r["recorded"] for r in found)
    one = found[0]
    assert fhir.json(f"/fhir/AuditEvent/{one['id']}") == one
    assert [r["id"] for r in entries(fhir.json("/fhir/AuditEvent", {"_id": one["id"]}))] == [
        one["id"]
    ]


# --- Who sees what ---------------------------------------------------------------------------

PATIENT_DATA = ("QuestionnaireResponse", "Observation", "AdverseEvent", "AuditEvent")


def test_a_registry_client_sees_only_a_consenting_patients_data_and_another_clinic_none(
    fhir_for, proms, patient, physician, jalali_site, fixed_clock
) -> None:
    adverse_event(
        patient,
        by=physician,
        onset=fixed_clock.now() - timedelta(hours=3),
        now=fixed_clock.now(),
    )
    elsewhere = fhir_for(at=jalali_site)
    registry_client = fhir_for(purpose="registry")
    for client in (elsewhere, registry_client):
        for name in PATIENT_DATA:
            found = entries(client.json(f"/fhir/{name}"))
            if client is elsewhere and name == "AuditEvent":  # its own clinic's trail only
                theirs = AuditEvent.objects.filter(site=jalali_site).values_list("seq", flat=True)
                assert found and {r["id"] for r in found} <= {str(s) for s in theirs}
                observers = {r["source"]["observer"]["reference"] for r in found}
                assert observers == {f"Organization/{jalali_site.pk}"}
            else:
                assert found == [], name
        assert client.get(f"/fhir/QuestionnaireResponse/{proms['KOOS'].pk}").status_code == 404
        score = Score.objects.filter(response=proms["NRS"]).get()
        assert client.get(f"/fhir/Observation/score-{score.pk}").status_code == 404
    assert len(entries(elsewhere.json("/fhir/Questionnaire"))) == len(registry.INSTRUMENTS)

    registry_consent(patient, physician, fixed_clock.now())
    for name in PATIENT_DATA:
        seen = entries(registry_client.json(f"/fhir/{name}"))
        assert seen, name
        if name == "AuditEvent":
            assert all(r["entity"][0]["what"]["reference"] == f"Patient/{patient.pk}" for r in seen)
        else:
            assert all(
                r.get("subject", {}).get("reference") == f"Patient/{patient.pk}" for r in seen
            )


# --- Outside validators ----------------------------------------------------------------------


def test_everything_emitted_passes_both_validators_and_parses_as_r4b(
    tmp_path, fhir_for, injected, proms, patient, physician, fixed_clock
) -> None:
    lot, record = injected
    fixed_clock.current = NOW + timedelta(days=11)
    for n, (term, judgement, _s, _o) in enumerate(CASES):
        if judgement.get("outcome") in ("recovered", "recovered_with_sequelae"):
            judgement = judgement | {"resolved_on": date(2026, 12, 1)}
        adverse_event(
            patient,
            by=physician,
            onset=record.given_at + timedelta(hours=2),
            now=fixed_clock.now(),
            term=term,
            administration_id=record.pk if n == 0 else None,
            **judgement,
        )
    baseline = Appointment.objects.get(course=lot.course, key="fu-baseline")
    knee = lot.course.regions.get(region="knee")
    draft(patient, baseline, knee, "KOOS", {"P1": 2}, now=fixed_clock.now())
    fhir = fhir_for()
    fhir.json(f"/fhir/Patient/{patient.pk}")
    resources: list[dict[str, Any]] = []
    for name, params in (
        ("Questionnaire", {"_count": 100}),
        ("QuestionnaireResponse", {"_include": "QuestionnaireResponse:questionnaire"}),
        ("Observation", {"_count": 200}),
        ("AdverseEvent", {"_include": "AdverseEvent:subject"}),
        ("AuditEvent", {"_count": 1000}),
    ):
        bundle = fhir.json(f"/fhir/{name}", params)
        found = entries(bundle)
        assert any(r["resourceType"] == name for r in found), name
        resources += [bundle, *found]
        resources += [fhir.json(f"/fhir/{r['resourceType']}/{r['id']}") for r in found[:3]]
    types = {r["resourceType"] for r in resources}
    assert {"Questionnaire", "QuestionnaireResponse", "Observation"} <= types
    assert {"AdverseEvent", "AuditEvent", "Bundle"} <= types
    report = validate(tmp_path, resources)
    assert report["errors"] == []
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_the_shared_world_has_every_outcome_and_safety_type(fhir_for, patient, physician) -> None:
    outcomes_world(patient, physician, clock.now())
    fhir = fhir_for()
    for name in ("Questionnaire", "QuestionnaireResponse", "Observation", "AdverseEvent"):
        assert entries(fhir.json(f"/fhir/{name}")), name
    assert entries(fhir.json("/fhir/AuditEvent"))
