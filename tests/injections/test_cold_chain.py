"""The cold chain at the bedside: issue to thaw, expiry inside the thaw window, returning a unit
to stock, and units that expire on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.audit import queries as audit
from autologic.common.domain.errors import ValidationFailed
from autologic.injections import actions
from autologic.injections.models import Reservation
from autologic.lab.actions.expiry import expire_due_units
from autologic.lab.models import StorageEvent, Unit, UnitEvent
from autologic.outbox.management.commands import worker
from tests.conftest import band

from .conftest import check, given, proof, reserved_unit, sessions

pytestmark = pytest.mark.django_db


def test_cold_chain_thaw_refused_past_the_protocols_issue_to_thaw_time(
    released, nurse, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    assert lot.protocol.protocol.product.issue_to_thaw_max_min == 30
    unit = reserved_unit(session)
    issued_at = session.starts_at - timedelta(minutes=45)
    actions.issue(session, unit.pk, by=nurse, now=issued_at)
    with pytest.raises(ValidationFailed) as refused:
        actions.thaw(session, unit.pk, by=nurse, now=issued_at + timedelta(minutes=31))
    assert refused.value.code == "issue_to_thaw" and refused.value.field == "unit"
    assert "30 min" in refused.value.message and "31 min ago" in refused.value.message
    unit.refresh_from_db()
    assert unit.status == "issued" and unit.thawed_at is None
    actions.thaw(session, unit.pk, by=nurse, now=issued_at + timedelta(minutes=30))
    unit.refresh_from_db()
    assert unit.status == "thawed"


def test_cold_chain_unit_past_expiry_is_not_injected_even_inside_its_thaw_window(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = reserved_unit(session)
    fixed_clock.current = session.starts_at - timedelta(minutes=20)
    actions.issue(session, unit.pk, by=nurse, now=fixed_clock.now())
    actions.thaw(session, unit.pk, by=nurse, now=fixed_clock.now())
    # It expires ten minutes after thawing; the 60-minute thaw window is still open.
    Unit.objects.filter(pk=unit.pk).update(expires_at=fixed_clock.now() + timedelta(minutes=10))
    at = fixed_clock.now() + timedelta(minutes=20)
    unit.refresh_from_db()
    verdict = check(session, band(patient), unit.identifier + unit.flags, at)
    assert verdict.outcome == "fail"
    assert verdict.findings[0].code == "expired"
    assert "even inside its thaw window" in verdict.message
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            given(unit, band(patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=at,
        )
    assert refused.value.code == "expired"
    unit.refresh_from_db()
    assert unit.status == "thawed"


def test_cold_chain_return_to_stock_checks_the_time_out_of_the_freezer(
    released, nurse, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = reserved_unit(session)
    home = unit.box_id
    issued_at = session.starts_at - timedelta(minutes=40)
    actions.issue(session, unit.pk, by=nurse, now=issued_at)
    back = actions.return_to_stock(
        session, unit.pk, by=nurse, now=issued_at + timedelta(minutes=15)
    )
    assert back.status == "reserved" and back.box_id == home and back.row is not None
    assert Reservation.objects.filter(unit=unit, appointment=session, ended_at=None).exists()
    assert list(
        StorageEvent.objects.filter(unit=unit)
        .order_by("at", "pk")
        .values_list("direction", flat=True)
    )[-2:] == ["out", "in"]

    again = issued_at + timedelta(minutes=20)
    actions.issue(session, unit.pk, by=nurse, now=again)
    with pytest.raises(ValidationFailed) as refused:
        actions.return_to_stock(session, unit.pk, by=nurse, now=again + timedelta(minutes=16))
    assert refused.value.code == "out_of_freezer"
    assert "16 min" in refused.value.message and "15 min" in refused.value.message
    unit.refresh_from_db()
    assert unit.status == "issued" and unit.box_id is None
    assert audit.verify().ok


def test_cold_chain_units_past_expiry_become_expired_automatically(
    released, nurse, patient, fixed_clock
):
    lot = released(count=7)  # six sessions and one spare unit
    first = sessions(lot)[0]
    unit = reserved_unit(first)
    spare = Unit.objects.get(collection=lot, status="released")
    Unit.objects.filter(pk=unit.pk).update(expires_at=fixed_clock.now() - timedelta(minutes=1))

    assert expire_due_units(now=fixed_clock.now()) == 1
    unit.refresh_from_db()
    assert unit.status == "expired" and unit.reserved_for_id is None
    event = UnitEvent.objects.get(unit=unit, move="expire")
    assert event.by is None
    ended = Reservation.objects.get(unit=unit)
    assert ended.ended_why == "unusable"
    # The spare takes its place, reserved by the system.
    replacement = Reservation.objects.get(unit=spare, ended_at=None)
    assert replacement.appointment == first and replacement.reserved_by is None
    assert expire_due_units(now=fixed_clock.now()) == 0
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)  # the worker's queue run closes connections
def test_cold_chain_the_worker_round_expires_units(released, fixed_clock):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    Unit.objects.filter(pk=unit.pk).update(expires_at=fixed_clock.now() - timedelta(minutes=1))
    worker.Command().round()
    unit.refresh_from_db()
    assert unit.status == "expired"
