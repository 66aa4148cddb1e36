"""Bedside fixtures: released lots reserved for their courses, clinicians to give and verify."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from autologic.care.models import Appointment
from autologic.injections import actions, queries
from autologic.lab.actions import release as qa
from autologic.lab.actions import storage
from autologic.lab.models import Box, Collection, Unit
from autologic.patients import actions as patients
from tests.conftest import PASSWORD, band, patient_data
from tests.lab.conftest import (  # noqa: F401
    NOW,
    a_freezer,
    fixed_clock,
    knee,
    make_lot,
    manager,
    pass_qc,
    proof,
    resources,
    start_course,
    tech,
)

LATER = NOW + timedelta(days=2)


@pytest.fixture
def freezer(site, resources, manager):
    """Room for several patients' lots: four 3×3 boxes."""
    return a_freezer(site, resources, manager, boxes=4)


@pytest.fixture
def nurse(make_staff):
    return make_staff("nurse")


@pytest.fixture
def other_patient(site, physician):
    return patients.create_patient(
        site=site, data=patient_data(family_name="Okafor", given_name="Ada"), by=physician
    )


@pytest.fixture
def released(make_lot, tech, manager, physician, freezer, fixed_clock) -> Callable[..., Collection]:
    """A lot made, stored (when frozen), QC passed and released; the release reserves units."""

    def make(code: str = "acs-large-joint", **kwargs) -> Collection:
        lot = make_lot(code, **kwargs)
        units = list(Unit.objects.filter(collection=lot, parent__isnull=False))
        if units[0].frozen:
            box = Box.objects.filter(rack__freezer=freezer).order_by("pk")
            free = [b for b in box if not b.units.exists()]
            storage.check_in(units, free[0], by=tech, now=fixed_clock.now())
        pass_qc(lot, tech)
        fixed_clock.current = LATER
        signers = [proof(manager)]
        spec = lot.protocol.protocol.release
        if spec and spec.signatures > 1:
            signers.append(proof(physician))
        qa.release_lot(lot, decision="released", proofs=signers, notes="", now=LATER)
        return lot

    return make


def injection_form(session: Appointment, unit: Unit, verifier_pk: int) -> dict[str, str]:
    """The bedside's signed injection of ``unit`` into a left knee, as the form posts it: the
    wristband and unit scans, the procedure, both signers' passwords. Without authenticator
    codes, which each caller adds fresh."""
    return {
        "wristband": band(session.course.patient),
        "unit": unit.identifier + unit.flags,
        "region": "knee",
        "side": "left",
        "guidance": "ultrasound",
        "approach": "superolateral",
        "anaesthetic": "lidocaine",
        "anaesthetic_dose_mg": "40",
        "reactions": "none",
        "password": PASSWORD,
        "verifier": str(verifier_pk),
        "verifier_password": PASSWORD,
    }


def sessions(lot: Collection) -> list[Appointment]:
    return list(
        Appointment.objects.filter(course=lot.course, kind="injection").order_by("sequence")
    )


def reserved_unit(appointment: Appointment) -> Unit:
    return Unit.objects.get(
        reservations__appointment=appointment, reservations__ended_at__isnull=True
    )


def ready(appointment: Appointment, by, fixed_clock) -> Unit:
    """Issue (and thaw, when frozen) the unit reserved for a session, at the session's time."""
    unit = reserved_unit(appointment)
    fixed_clock.current = appointment.starts_at - timedelta(minutes=30)
    actions.issue(appointment, unit.pk, by=by, now=fixed_clock.now())
    if unit.frozen:
        fixed_clock.current += timedelta(minutes=5)
        actions.thaw(appointment, unit.pk, by=by, now=fixed_clock.now())
    fixed_clock.current = appointment.starts_at
    unit.refresh_from_db()
    return unit


def given(unit: Unit, mrn: str, *, region="knee", side="left", reason="") -> actions.Given:
    from autologic.common.domain.identifiers import check_character

    return actions.Given(
        wristband=mrn,
        unit_scan=unit.identifier + check_character(unit.identifier),
        region=region,
        side=side,
        guidance="ultrasound",
        volume_ml=None,
        reactions=("none",),
        override_reason=reason,
        approach="interlaminar" if region.startswith("spine") else "superolateral",
        anaesthetic="lidocaine",
        anaesthetic_dose_mg=Decimal("40"),
    )


def check(appointment: Appointment, wristband: str, scan: str, now, region="knee", side="left"):
    return queries.verify(
        appointment.course.site_id,
        queries.session_of(appointment),
        wristband=wristband,
        unit_scan=scan,
        region=region,
        side=side,
        now=now,
    )
