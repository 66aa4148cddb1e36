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


@pytest.fixture
def start_course(patient, physician, protocols, fixed_clock) -> Callable[..., Course]:
    """Assess, sign a decision for a protocol and create a course from it."""

    def start(
        code: str = "acs-large-joint",
        *,
        regions: list[dict[str, Any]] | None = None,
        injections: int | None = None,
        guidance: str | None = None,
        earliest: date = date(2026, 11, 23),
        who=None,
    ) -> Course:
        assessment = clinical.create_assessment(
            patient=who or patient,
            data={"assessed_on": date(2026, 11, 2), "comorbidities": [], "avoids_surgery": False},
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
        overriding = report.verdict == "not_eligible"
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
        )

    return start
