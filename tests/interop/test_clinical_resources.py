"""Condition, Observation (KL grade), Consent, CarePlan, PlanDefinition and Appointment as the
FHIR API serves them: data built through the real actions, read and searched over HTTP,
checked by both outside validators and parsed as R4B; every state of the source models maps to
a code of the required R4 value set; a registry client sees nothing of a patient whose registry
consent is withdrawn, and another clinic's client sees nothing at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from autologic.care import actions as care
from autologic.care import choices as care_choices
from autologic.care.models import Appointment
from autologic.clinical import choices as clinical_choices
from autologic.interop.resources import care as care_resources
from autologic.interop.resources import clinical as clinical_resources
from autologic.interop.resources.base import Context
from autologic.interop.resources.registry import TYPES
from autologic.patients.models import CONSENT_KINDS
from autologic.protocols.models import STATUS_CHOICES
from tests.interop.validators import validate
from tests.interop.world_clinical import treated, withdraw

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"
SERVED = ("Condition", "Observation", "Consent", "CarePlan", "PlanDefinition", "Appointment")
# The codes of the required R4 value sets the mappings must land in.
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error"}
APPOINTMENT_STATUS = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}
CONSENT_SCOPE = {"adr", "research", "patient-privacy", "treatment"}
PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}


@pytest.fixture
def world(site, physician, patient) -> dict[str, Any]:
    return treated(site, physician, patient)


def entries(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def ids(fhir, path: str, params: dict[str, Any] | None = None) -> list[str]:
    return [r["id"] for r in entries(fhir.json(path, params))]


def laterality(concept: dict[str, Any]) -> list[tuple[str, str]]:
    (extension,) = concept["extension"]
    assert extension["url"] == f"{NS}/StructureDefinition/laterality"
    return [(c["system"], c["code"]) for c in extension["valueCodeableConcept"]["coding"]]


def test_conditions_carry_joint_side_and_their_grade(fhir, world, patient, physician) -> None:
    knee, hip, spine = (world["regions"][r] for r in ("knee", "hip", "spine_lumbar"))
    condition = fhir.json(f"/fhir/Condition/{knee.pk}")
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert condition["code"]["coding"] == [
        {
            "system": f"{NS}/CodeSystem/diagnosis",
            "code": "osteoarthritis",
            "display": "Osteoarthritis",
        }
    ]
    (site,) = condition["bodySite"]
    assert site["coding"][0] == {
        "system": f"{NS}/CodeSystem/body-site",
        "code": "knee",
        "display": "Knee",
    }
    assert laterality(site) == [
        ("http://snomed.info/sct", "419161000"),
        (f"{NS}/CodeSystem/side", "left"),
    ]
    assert condition["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert condition["recorder"] == {"reference": f"Practitioner/{physician.pk}"}
    assert condition["recordedDate"] == "2026-11-02"
    assert condition["evidence"] == [{"detail": [{"reference": f"Observation/kl-{knee.pk}"}]}]

    right = fhir.json(f"/fhir/Condition/{hip.pk}")["bodySite"][0]
    assert ("http://snomed.info/sct", "419465000") in laterality(right)
    midline = fhir.json(f"/fhir/Condition/{spine.pk}")
    assert laterality(midline["bodySite"][0]) == [(f"{NS}/CodeSystem/side", "midline")]
    assert midline["bodySite"][0]["text"] == "Midline Lumbar spine L4-L5"
    assert "evidence" not in midline  # no grade, no observation

    assert ids(fhir, "/fhir/Condition", {"patient": f"Patient/{patient.pk}"}) == [
        str(knee.pk),
        str(hip.pk),
        str(spine.pk),
    ]
    assert ids(fhir, "/fhir/Condition", {"code": "disc_degeneration"}) == [str(spine.pk)]
    assert ids(fhir, "/fhir/Condition", {"body-site": f"{NS}/CodeSystem/body-site|hip"}) == [
        str(hip.pk)
    ]
    bundle = fhir.json("/fhir/Condition", {"_id": str(hip.pk), "_include": "Condition:patient"})
    assert [r["id"] for r in entries(bundle, "include")] == [str(patient.pk)]


def test_the_grade_is_an_observation_with_its_system(fhir, world, patient) -> None:
    knee, hip, spine = (world["regions"][r] for r in ("knee", "hip", "spine_lumbar"))
    grade = fhir.json(f"/fhir/Observation/kl-{hip.pk}")
    assert grade["status"] == "final"
    assert grade["category"][0]["coding"][0]["code"] == "imaging"
    assert grade["code"]["coding"][0]["system"] == f"{NS}/CodeSystem/grade-system"
    assert grade["code"]["coding"][0]["code"] == "KL"
    assert grade["valueInteger"] == 3 and grade["effectiveDateTime"] == "2026-10-30"
    assert grade["note"] == [{"text": "Joint space narrowed"}]
    assert grade["performer"] == [{"display": "Dr. Read"}]
    assert ("http://snomed.info/sct", "419465000") in laterality(grade["bodySite"])
    assert "note" not in fhir.json(f"/fhir/Observation/kl-{knee.pk}")  # no wording stored
    assert fhir.get(f"/fhir/Observation/kl-{spine.pk}").status_code == 404
    assert fhir.get(f"/fhir/Observation/{hip.pk}").status_code == 404  # ids carry the prefix
    found = ids(fhir, "/fhir/Observation", {"patient": str(patient.pk), "code": "KL"})
    assert found == [f"kl-{knee.pk}", f"kl-{hip.pk}"]
    assert ids(fhir, "/fhir/Observation", {"code": "Ahlback"}) == []
    assert ids(fhir, "/fhir/Observation", {"_id": f"kl-{hip.pk}"}) == [f"kl-{hip.pk}"]
    both = [f"kl-{knee.pk}", f"kl-{hip.pk}"]
    assert ids(fhir, "/fhir/Observation", {"category": "imaging", "date": "2026-10-30"}) == both
    assert ids(fhir, "/fhir/Observation", {"date": "ge2026-10-31"}) == []
    assert ids(fhir, "/fhir/Observation", {"category": "survey"}) == []
    assert ids(fhir, "/fhir/Observation", {"subject": f"Patient/{patient.pk}"}) == both


def test_consents_turn_inactive_when_withdrawn(fhir, world, patient) -> None:
    research = fhir.json(f"/fhir/Consent/{world['research'].pk}")
    assert research["status"] == "inactive"
    assert research["scope"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
        "code": "patient-privacy",
        "display": "Privacy Consent",
    }
    assert research["provision"] == {
        "type": "permit",
        "period": {"start": "2026-11-02", "end": "2026-12-01"},
    }
    assert research["policy"] == [{"uri": f"{NS}/consent-form/research/2026%20rev%201"}]
    registry = fhir.json(f"/fhir/Consent/{world['registry'].pk}")
    assert registry["status"] == "active" and "end" not in registry["provision"]["period"]
    kinds = {
        r["category"][0]["coding"][1]["code"]: (r["scope"]["coding"][0]["code"], r["status"])
        for r in entries(fhir.json("/fhir/Consent", {"patient": str(patient.pk)}))
    }
    assert kinds == {
        "treatment": ("treatment", "active"),
        "registry": ("patient-privacy", "active"),
        "research": ("patient-privacy", "inactive"),
    }
    assert ids(fhir, "/fhir/Consent", {"status": "inactive"}) == [str(world["research"].pk)]


def test_a_course_is_a_careplan_instantiating_its_protocol_version(fhir, world, site) -> None:
    course, chain = world["course"], world["chain"]
    plan = fhir.json(f"/fhir/CarePlan/{course.pk}")
    version = course.protocol
    assert plan["instantiatesCanonical"] == [
        f"{NS}/PlanDefinition/acs-large-joint|{version.version}"
    ]
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["identifier"] == [
        {"use": "official", "system": f"{NS}/sid/course/{site.code}", "value": str(course.pk)},
        {"use": "secondary", "system": f"{NS}/sid/coi", "value": chain.identifier},
    ]
    starts = [a.starts_at for a in world["appointments"] if a.starts_at is not None]
    assert plan["period"]["start"] == min(starts).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert plan["period"]["start"] < plan["period"]["end"]
    assert ids(fhir, "/fhir/CarePlan", {"identifier": f"{NS}/sid/coi|{chain.identifier}"}) == [
        str(course.pk)
    ]
    assert ids(fhir, "/fhir/CarePlan", {"identifier": str(course.pk)}) == [str(course.pk)]
    assert ids(fhir, "/fhir/CarePlan", {"identifier": f"{NS}/sid/coi|{course.pk}"}) == []
    assert ids(fhir, "/fhir/CarePlan", {"status": "revoked"}) == []

    definition = fhir.json(f"/fhir/PlanDefinition/{version.pk}")
    assert f"{definition['url']}|{definition['version']}" == plan["instantiatesCanonical"][0]
    assert definition["status"] == "active" and definition["title"] == version.title
    assert definition["type"]["coding"][0]["code"] == "clinical-protocol"
    assert definition["name"] == f"AcsLargeJointV{version.version}"
    # Only the versions the clinic's courses follow.
    assert ids(fhir, "/fhir/PlanDefinition") == [str(version.pk)]
    bundle = fhir.json("/fhir/CarePlan", {"_include": "CarePlan:patient"})
    assert [r["resourceType"] for r in entries(bundle, "include")] == ["Patient"]


def test_appointments_are_timed_and_point_at_their_careplan(
    fhir, world, patient, physician, fixed_clock
) -> None:
    course = world["course"]
    due = next(a for a in world["appointments"] if a.status == "due")
    care.complete_appointment(due, at=fixed_clock.now(), by=physician, now=fixed_clock.now())
    booked = next(
        a for a in world["appointments"] if a.status == "planned" and a.kind == "injection"
    )

    done = fhir.json(f"/fhir/Appointment/{due.pk}")
    assert done["status"] == "fulfilled"
    # Done without a booked time: timed when it was marked done (R4 app-3 needs a time).
    assert done["start"] == done["end"] == "2026-12-07T09:00:00.000Z"
    assert done["requestedPeriod"][0]["start"] < done["requestedPeriod"][0]["end"]
    planned = fhir.json(f"/fhir/Appointment/{booked.pk}")
    assert planned["status"] == "booked"
    assert planned["start"] == booked.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert planned["supportingInformation"] == [{"reference": f"CarePlan/{course.pk}"}]
    assert "basedOn" not in planned  # R4 basedOn may only be a ServiceRequest
    rooms = {b.resource.kind: b.resource.name for b in booked.bookings.all()}
    assert planned["participant"][0] == {
        "actor": {"reference": f"Patient/{patient.pk}"},
        "required": "required",
        "status": "accepted",
    }
    assert [p["actor"]["display"] for p in planned["participant"][1:]] == [
        rooms["clinician"],
        rooms["room"],
    ]
    assert planned["serviceType"][0]["text"] == booked.key

    every = ids(fhir, "/fhir/Appointment", {"patient": f"Patient/{patient.pk}", "_count": 200})
    assert every == [str(a.pk) for a in Appointment.objects.filter(course=course).order_by("pk")]
    day = booked.starts_at.astimezone(UTC).date()
    on_day = ids(fhir, "/fhir/Appointment", {"date": day.isoformat()})
    assert str(booked.pk) in on_day and str(due.pk) not in on_day
    after = ids(fhir, "/fhir/Appointment", {"date": f"gt{day.isoformat()}", "_count": 200})
    assert str(booked.pk) not in after
    bundle = fhir.json(
        "/fhir/Appointment", {"_id": str(booked.pk), "_include": "Appointment:supporting-info"}
    )
    assert [r["id"] for r in entries(bundle, "include")] == [str(course.pk)]


def emitted(fhir) -> list[dict[str, Any]]:
    """Each served type's search (with every include), its resources and a read of each."""
    out: list[dict[str, Any]] = []
    for name in SERVED:
        rtype = TYPES[name]
        params: dict[str, Any] = {"_count": 500}
        if rtype.includes:
            params["_include"] = list(rtype.includes)
        bundle = fhir.json(f"/fhir/{name}", params)
        out.append(bundle)
        resources = [e["resource"] for e in bundle.get("entry", [])]
        out += resources
        out += [
            fhir.json(f"/fhir/{r['resourceType']}/{r['id']}")
            for r in resources
            if r["resourceType"] == name
        ]
    return out


def test_everything_served_passes_both_validators_and_parses_as_r4b(
    tmp_path, fhir, world, physician, fixed_clock
) -> None:
    due = next(a for a in world["appointments"] if a.status == "due")
    care.complete_appointment(due, at=fixed_clock.now(), by=physician, now=fixed_clock.now())
    resources = emitted(fhir)
    kinds = {r["resourceType"] for r in resources}
    assert set(SERVED) <= kinds
    report = validate(tmp_path, resources)
    assert report["errors"] == []
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    def identifiers(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            own = node.get("identifier") if isinstance(node.get("identifier"), list) else []
            return list(own) + [i for v in node.values() for i in identifiers(v)]
        if isinstance(node, list):
            return [i for v in node for i in identifiers(v)]
        return []

    found = identifiers(resources)
    assert found and all(i["system"].startswith("https://") for i in found)


def test_a_registry_client_sees_nothing_once_registry_consent_is_withdrawn(
    fhir_for, world, physician
) -> None:
    registry = fhir_for(purpose="registry")
    assert all(ids(registry, f"/fhir/{name}") for name in SERVED)
    withdraw(world["registry"], physician, on=date(2026, 12, 6))
    for name in SERVED:
        assert ids(registry, f"/fhir/{name}") == [], name
    knee = world["regions"]["knee"]
    assert registry.get(f"/fhir/Condition/{knee.pk}").status_code == 404
    assert registry.get(f"/fhir/Observation/kl-{knee.pk}").status_code == 404
    assert registry.get(f"/fhir/CarePlan/{world['course'].pk}").status_code == 404


def test_another_clinics_client_sees_nothing(fhir_for, world, jalali_site) -> None:
    other = fhir_for(at=jalali_site)
    for name in SERVED:
        assert "entry" not in other.json(f"/fhir/{name}"), name
    knee = world["regions"]["knee"]
    for path in (
        f"/fhir/Condition/{knee.pk}",
        f"/fhir/Observation/kl-{knee.pk}",
        f"/fhir/Consent/{world['registry'].pk}",
        f"/fhir/CarePlan/{world['course'].pk}",
        f"/fhir/PlanDefinition/{world['course'].protocol_id}",
        f"/fhir/Appointment/{world['appointments'][0].pk}",
    ):
        assert other.get(path).status_code == 404, path


# --- every state of the source models maps into the required value set ------------------------


@pytest.mark.parametrize("state", [code for code, _label in care_choices.COURSE_STATUSES])
def test_every_course_status_maps_to_a_request_status(state) -> None:
    assert care_resources.CAREPLAN_STATUS[state] in REQUEST_STATUS


@pytest.mark.parametrize("state", [code for code, _label in care_choices.APPOINTMENT_STATUSES])
def test_every_appointment_status_maps_to_an_appointment_status(state) -> None:
    assert care_resources.APPOINTMENT_STATUS[state] in APPOINTMENT_STATUS


@pytest.mark.parametrize("kind", [code for code, _label in CONSENT_KINDS])
def test_every_consent_kind_maps_to_a_consent_scope(kind) -> None:
    assert clinical_resources.CONSENT_SCOPE[kind][0] in CONSENT_SCOPE


@pytest.mark.parametrize("state", [code for code, _label in STATUS_CHOICES])
def test_every_protocol_status_maps_to_a_publication_status(state) -> None:
    assert care_resources.PLAN_STATUS[state] in PUBLICATION_STATUS


def test_every_state_as_emitted_passes_both_validators(tmp_path, site) -> None:
    """Rows in every state of every mapped vocabulary, through the real ``to_fhir``."""
    from autologic.interop.models import FhirClient

    context = Context(site=site, client=FhirClient(), namespace=NS, base="http://x/fhir")
    start = datetime(2026, 12, 8, 9, tzinfo=UTC)
    made: list[dict[str, Any]] = []
    for n, (state, _label) in enumerate(care_choices.COURSE_STATUSES):
        made.append(
            care_resources.careplan_to_fhir(
                {
                    "id": n + 1,
                    "patient_id": 1,
                    "status": state,
                    "earliest_start": date(2026, 12, 8),
                    "notes": "",
                    "created_at": start,
                    "created_by_id": 1,
                    "protocol__code": "acs-large-joint",
                    "protocol__version": 3,
                    "protocol__title": "ACS",
                    "chain__identifier": None,
                    "first_start": start if n % 2 else None,
                    "last_end": start + timedelta(days=30) if n % 2 else None,
                },
                context,
            )
        )
    for n, (state, _label) in enumerate(care_choices.APPOINTMENT_STATUSES):
        booked = state in {"planned", "done", "missed", "cancelled"}
        row = {
            "id": n + 1,
            "course_id": 1,
            "course__patient_id": 1,
            "key": f"inj-{n}",
            "kind": care_choices.EVENT_KINDS[n % len(care_choices.EVENT_KINDS)][0],
            "status": state,
            "starts_at": start if booked else None,
            "ends_at": start + timedelta(minutes=30) if booked else None,
            "due_on": None if booked else date(2026, 12, 20),
            "due_from": None if booked else date(2026, 12, 18),
            "due_to": None if booked else date(2026, 12, 22),
            "room_name": "Room 1" if booked else None,
            "clinician_name": "Dr A" if booked else None,
            "clinician_staff": 1 if n % 2 else None,
            "done_at": start if state == "done" else None,
        }
        made.append(care_resources.appointment_to_fhir(row, context))
        if state in {"done", "missed", "cancelled"}:  # also never booked a time
            untimed = row | {"id": row["id"] + 100, "starts_at": None, "ends_at": None}
            made.append(care_resources.appointment_to_fhir(untimed, context))
            if state == "done":  # and done before the time was kept on the appointment
                made.append(
                    care_resources.appointment_to_fhir(
                        untimed | {"id": row["id"] + 200, "done_at": None}, context
                    )
                )
    for n, (state, _label) in enumerate(STATUS_CHOICES):
        row = {"id": n + 1, "code": "cells-hip", "version": 2, "title": "Cells", "status": state}
        made.append(care_resources.plandefinition_to_fhir(row, context))
    for n, (kind, _label) in enumerate(CONSENT_KINDS):
        for withdrawn in (None, date(2026, 12, 1)):
            made.append(
                clinical_resources.consent_to_fhir(
                    {
                        "id": n + 1,
                        "site_id": site.pk,
                        "patient_id": 1,
                        "kind": kind,
                        "form_version": "v 1/2",
                        "given_on": date(2026, 11, 2),
                        "signed_by": "A Representative",
                        "signer_relation": "representative",
                        "procedure": "cells-hip" if kind == "treatment" else "",
                        "withdrawal__withdrawn_on": withdrawn,
                    },
                    context,
                )
            )
    for n, (side, _label) in enumerate([*clinical_choices.SIDES, ("", "")]):
        for system, _label in clinical_choices.GRADE_SYSTEMS:
            row = {
                "id": n + 1,
                "region": "knee",
                "side": side,
                "detail": "",
                "diagnosis": "osteoarthritis",
                "grade_system": system,
                "grade": 2,
                "grade_reader": "",
                "grade_read_on": None,
                "grade_notes": "",
                "assessment__patient_id": 1,
                "assessment__assessed_on": date(2026, 11, 2),
                "assessment__assessed_by_id": 1,
            }
            made.append(clinical_resources.condition_to_fhir(row, context))
            made.append(clinical_resources.grade_to_fhir(row, context))
    report = validate(tmp_path, made)
    assert report["errors"] == []
    for resource in made:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    statuses = {r["status"] for r in made if r["resourceType"] == "Appointment"}
    assert statuses == {"proposed", "booked", "fulfilled", "noshow", "cancelled"}
