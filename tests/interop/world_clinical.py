"""Clinical and care data for the FHIR tests, built through the app's real actions: an assessed
patient with graded regions, consents (one withdrawn), a scheduled course with its chain of
identity, and appointments in several states."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof
from autologic.audit.journal import audited_transaction
from autologic.care import actions as care
from autologic.care.models import Appointment, Course, Resource
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.clinical.domain.eligibility import evaluate
from autologic.common import clock
from autologic.common.clock import local_today
from autologic.lab.actions.units import open_chain
from autologic.patients import actions as patients
from autologic.patients.models import Consent, Patient
from autologic.protocols.actions import sync_protocols
from autologic.protocols.models import ProtocolVersion
from tests.care.conftest import WEEKDAYS, knee, prepare


def hip(side: str = "right", grade: int = 3) -> dict[str, Any]:
    return knee(side=side, grade=grade) | {"region": "hip", "grade_notes": "Joint space narrowed"}


def protocol_library() -> dict[str, ProtocolVersion]:
    """The shipped protocols, loaded; the active version of each by code."""
    report = sync_protocols()
    assert report.ok, report.refused
    return {
        row.code: row
        for row in ProtocolVersion.objects.filter(status="active").order_by("code", "version")
    }


def add_rooms(site: Site, by: User) -> list[Resource]:
    """Rooms, clinicians and lab equipment enough to schedule an ACS course (those the clinic
    has already, e.g. from the lab's fixtures, are kept)."""
    specs = [
        ("room-1", "room", 1, ["ultrasound", "fluoroscopy"], WEEKDAYS),
        ("dr-a", "clinician", 1, ["ultrasound", "fluoroscopy", "harvest"], WEEKDAYS),
        ("incubator-1", "incubator", 24, [], {}),
        ("centrifuge-1", "centrifuge", 1, [], {"mon-fri": "07:30-18:30"}),
        ("freezer-1", "freezer", 100, [], {}),
    ]
    return [
        care.add_resource(
            site=site,
            data={
                "kind": kind,
                "code": code,
                "name": code.replace("-", " ").title(),
                "capacity": capacity,
                "capabilities": capabilities,
                "hours": hours,
            },
            by=by,
        )
        for code, kind, capacity, capabilities, hours in specs
        if not Resource.objects.filter(site=site, code=code).exists()
    ]


def consent(patient: Patient, by: User, kind: str, given_on: date = date(2026, 11, 2)) -> Consent:
    return patients.add_consent(
        patient=patient,
        data={
            "kind": kind,
            "form_version": "2026 rev 1",
            "given_on": given_on,
            "signed_by": patient.full_name,
            "signer_relation": "self",
            "procedure": "",
        },
        proof=SignerProof(user=by, second_factor=True),
    )


def withdraw(row: Consent, by: User, on: date = date(2026, 12, 1)) -> None:
    patients.withdraw_consent(
        consent=row,
        withdrawn_on=on,
        note="Patient asked by phone.",
        proof=SignerProof(user=by, second_factor=True),
    )


def start_course(
    patient: Patient,
    physician: User,
    protocol: ProtocolVersion,
    regions: list[dict[str, Any]],
) -> Course:
    """Prepare, assess, sign an eligible decision and start the course (as tests/care do)."""
    prepare(patient, protocol.protocol, physician)
    assessment = clinical.create_assessment(
        patient=patient,
        data={
            "assessed_on": date(2026, 11, 2),
            "comorbidities": [],
            "avoids_surgery": False,
            "anaesthesia_risk": "ASA2",
        },
        by=physician,
    )
    rows = [clinical.add_region(assessment=assessment, data=r, by=physician) for r in regions]
    today = local_today(patient.site.time_zone)
    report = evaluate(protocol.protocol, clinical_queries.facts_for(assessment, rows, today=today))
    overriding = report.verdict != "eligible"
    decision = clinical.decide_eligibility(
        assessment=assessment,
        protocol=protocol,
        report=report,
        regions=[str(r) for r in rows],
        verdict="eligible",
        justification="Documented at the case conference." if overriding else "",
        proof=SignerProof(user=physician, second_factor=True),
        expected_verdict=report.verdict,
    )
    spec = protocol.protocol.injections
    return care.create_course(
        decision=decision,
        injections=spec.count.default,
        guidance=spec.guidance[0],
        earliest_start=today + timedelta(days=1),
        notes="Left knee first.",
        by=physician,
    )


def treated(site: Site, physician: User, patient: Patient) -> dict[str, Any]:
    """An ACS course for a left knee (KL 2) and a right hip (KL 3), scheduled, with its CoI;
    an ungraded midline region; a registry consent and a withdrawn research consent."""
    library = protocol_library()
    add_rooms(site, physician)
    course = start_course(patient, physician, library["acs-large-joint"], regions=[knee(), hip()])
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    course.refresh_from_db()
    with audited_transaction():  # its caller (the collection) holds one
        chain = open_chain(course, by=physician, now=clock.now())
    spine = clinical.add_region(
        assessment=course.decision.assessment,
        data={
            "region": "spine_lumbar",
            "side": "midline",
            "detail": "L4-L5",
            "diagnosis": "disc_degeneration",
            "grade_system": "",
            "grade": None,
            "grade_reader": "",
            "grade_read_on": None,
            "grade_notes": "",
        },
        by=physician,
    )
    registry = consent(patient, physician, "registry")
    research = consent(patient, physician, "research")
    withdraw(research, physician)
    return {
        "course": course,
        "chain": chain,
        "regions": {r.region: r for r in course.regions.all()} | {"spine_lumbar": spine},
        "registry": registry,
        "research": research,
        "appointments": list(Appointment.objects.filter(course=course).order_by("sequence")),
    }
