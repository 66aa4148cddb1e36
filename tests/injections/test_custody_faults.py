"""The custody check an operator runs after a crash or a restore (docs/operations.md): quiet on
a whole record, and each kind of half-move named in words."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from autologic.injections import actions
from autologic.injections.queries import administration_faults
from autologic.lab.models import Unit, UnitEvent
from autologic.lab.queries import custody_faults
from tests.conftest import band

from .conftest import given, proof, ready, reserved_unit, sessions


def test_a_whole_record_has_no_fault_and_each_half_move_is_named(
    released, patient, physician, nurse, fixed_clock
):
    lot = released()
    first, second = sessions(lot)[:2]
    unit = ready(first, nurse, fixed_clock)
    actions.administer(
        first,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    assert custody_faults() == [] and administration_faults() == []

    # What a crash between two writes of one move would leave, were they not one transaction.
    Unit.objects.filter(pk=unit.pk).update(status="thawed")
    stored = reserved_unit(second)
    Unit.objects.filter(pk=stored.pk).update(status="issued")
    assert custody_faults() == [
        f"{unit.identifier}: status thawed, but its last custody step leads to administered",
        f"{stored.identifier}: status issued, but its last custody step leads to reserved",
        f"{stored.identifier}: issued, yet it still holds a freezer slot",
    ]
    assert administration_faults() == [
        f"{unit.identifier}: an injection record names it, but its status is thawed"
    ]

    # A step that does not start where the one before ended, and has no audit event.
    UnitEvent.objects.create(
        unit=stored,
        at=fixed_clock.now(),
        by=nurse,
        move="thaw",
        from_status="issued",
        to_status="thawed",
        audit_seq=10**9,
    )
    Unit.objects.filter(pk=stored.pk).update(status="thawed", box=None, row=None, col=None)
    assert custody_faults()[1:] == [
        f"{stored.identifier}: step thaw starts from issued, but the step before it left reserved",
        f"{stored.identifier}: step thaw has no audit event",
    ]
    # Five queries however many units the clinic holds.
    with CaptureQueriesContext(connection) as queries:
        custody_faults()
    assert len(queries) == 5


def test_an_administered_unit_without_its_record_is_named(released, nurse, fixed_clock):
    lot = released()
    unit = ready(sessions(lot)[0], nurse, fixed_clock)
    Unit.objects.filter(pk=unit.pk).update(status="administered")
    assert administration_faults() == [
        f"{unit.identifier}: administered, but no injection record names it"
    ]
