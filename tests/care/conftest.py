"""A clinic with resources, a fixed clock, and helpers to start courses from signed decisions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from autologic.audit.actions import SignerProof
from autologic.care import actions
from autologic.care.models import Course, Resource
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.clinical.domain.eligibility import evaluate
from autologic.common import clock
from autologic.common.domain.clock import FixedClock
from autologic.patients import actions as patients

# Saturday 21 November 2026, 10:00 in Berlin.
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
WEEKDAYS = {"mon-fri": "08:00-18:00"}


@pytest.fixture
def fixed_clock() -> Iterator[FixedClock]:
    """Time stands still at NOW unless a test moves it."""
    fixed = FixedClock(NOW)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


@pytest.fixture
def resources(site, make_staff) -> dict[str, Resource]:
    """Two procedure rooms, two clinicians, lab equipment, as a small clinic has them."""
    admin = make_staff("administrator")
    specs = [
        ("room-1", "room", 1, ["ultrasound", "fluoroscopy"], WEEKDAYS),
        ("room-2", "room", 1, ["ultrasound"], WEEKDAYS),
        ("dr-a", "clinician", 1, ["ultrasound", "fluoroscopy", "harvest"], WEEKDAYS),
        ("dr-b", "clinician", 1, ["ultrasound"], WEEKDAYS),
        ("incubator-1", "incubator", 24, [], {}),
        ("centrifuge-1", "centrifuge", 1, [], {"mon-fri": "07:30-18:30"}),
        ("freezer-1", "freezer", 100, [], {}),
        ("culture-1", "culture", 2, [], {}),
    ]
    made = {}
    for code, kind, capacity, capabilities, hours in specs:
        made[code] = actions.add_resource(
            site=site,
            data={
                "kind": kind,
                "code": code,
                "name": code.replace("-", " ").title(),
                "capacity": capacity,
                "capabilities": capabilities,
                "hours": hours,
            },
            by=admin,
        )
    return made


def knee(side: str = "left", grade: int = 2) -> dict[str, Any]:
    return {
        "region": "knee",
        "side": side,
        "detail": "",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": grade,
        "grade_reader": "Dr. Read",
        "grade_read_on": date(2026, 10, 30),
        "grade_notes": "",
    }


PREPARED_ON = date(2026, 11, 20)  # studies, markers, grants: the day before NOW


def prepare(patient, protocol, physician, *, skip: tuple[str, ...] = ()) -> None:
    """Record what the gate before collection asks for, as a clinic does before a harvest:
    the treatment consent for the protocol, negative infectious-disease markers, normal
    pre-operative studies, a granted authorisation, the medication hold confirmed today.
    ``skip`` leaves out some of them (consent, markers, studies, authorisation, hold)."""
    preparation = protocol.preparation
    if "consent" not in skip:
        patients.add_consent(
            patient=patient,
            data={
                "kind": "treatment",
                "form_version": "2026-1",
                "given_on": date(2026, 11, 2),
                "signed_by": patient.full_name,
                "signer_relation": "self",
                "procedure": protocol.code,
            },
            proof=SignerProof(user=physician, second_factor=True),
        )
    if preparation.markers is not None and "markers" not in skip:
        for marker in preparation.markers.tests:
            clinical.add_record(
                kind="marker_test",
                patient=patient,
                data={"marker": marker.value, "sampled_on": PREPARED_ON, "result": "negative"},
                by=physician,
            )
    if "studies" not in skip:
        for study in preparation.studies:
            clinical.add_record(
                kind="study",
                patient=patient,
                data={"kind": study.kind.value, "performed_on": PREPARED_ON, "result": "normal"},
                by=physician,
            )
    if preparation.authorisation is not None and "authorisation" not in skip:
        clinical.add_record(
            kind="authorisation",
            patient=patient,
            data={
                "agency": preparation.authorisation.agency,
                "reference": "AEMPS-2026-0815",
                "scope": preparation.authorisation.scope,
                "requested_on": date(2026, 10, 20),
                "granted_on": PREPARED_ON,
            },
            by=physician,
        )
    if preparation.medication_hold is not None and "hold" not in skip:
        clinical.confirm_medication_hold(
            patient=patient,
            classes=[c.value for c in preparation.medication_hold.classes],
            notes="",
            by=physician,
        )


@pytest.fixture
def start_course(patient, physician, protocols, fixed_clock) -> Callable[..., Course]:
    """Prepare the patient (see ``prepare``), assess, sign a final decision for a protocol and
    create a course from it."""

    def start(
        code: str = "acs-large-joint",
        *,
        regions: list[dict[str, Any]] | None = None,
        injections: int | None = None,
        guidance: str | None = None,
        earliest: date = date(2026, 11, 23),
        who=None,
        skip: tuple[str, ...] = (),
        variant: str = "",
    ) -> Course:
        prepare(who or patient, protocols[code].protocol, physician, skip=skip)
        assessment = clinical.create_assessment(
            patient=who or patient,
            data={
                "assessed_on": date(2026, 11, 2),
                "comorbidities": [],
                "avoids_surgery": False,
                "anaesthesia_risk": "ASA2",
            },
            by=physician,
        )
        rows = [
            clinical.add_region(assessment=assessment, data=r, by=physician)
            for r in (regions or [knee()])
        ]
        row = protocols[code]
        report = evaluate(
            row.protocol, clinical_queries.facts_for(assessment, rows, today=date(2026, 11, 21))
        )
        # The physician signs a final decision; a report that is not plainly eligible is
        # overridden, with the reason, as at a case conference.
        overriding = report.verdict != "eligible"
        decision = clinical.decide_eligibility(
            assessment=assessment,
            protocol=row,
            report=report,
            regions=[str(r) for r in rows],
            verdict="eligible" if overriding else report.verdict,
            justification="Documented at the case conference with the patient."
            if overriding
            else "",
            proof=SignerProof(user=physician, second_factor=True),
            expected_verdict=report.verdict,
        )
        spec = row.protocol.injections
        return actions.create_course(
            decision=decision,
            injections=injections or spec.count.default,
            guidance=guidance or spec.guidance[0],
            earliest_start=earliest,
            notes="",
            by=physician,
            variant=variant,
        )

    return start
