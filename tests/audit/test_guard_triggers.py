"""The database guards the chain of identity: a unit's source patient and chain and a chain's
patient never change, and the guards survive every migrate, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from autologic.audit import triggers
from autologic.injections.models import Administration
from autologic.lab.models import Chain, Unit
from tests.injections.conftest import ready, sessions


def _refused(sql: str, params: list[object]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _administer_to(patient, unit, session, physician, nurse, now) -> Administration:
    """Write an administration record directly, as any code path other than the action could."""
    return Administration.objects.create(
        site=unit.site,
        unit=unit,
        patient=patient,
        appointment=session,
        planned_region=session.course.regions.get(),
        region="knee",
        side="left",
        guidance="ultrasound",
        operator=physician,
        second_verifier=nurse,
        wristband_scan="x",
        unit_scan="y",
        given_at=now,
        recorded_at=now,
    )


def test_unit_patient_is_immutable(released, physician, nurse, patient, other_patient, fixed_clock):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)

    _refused("UPDATE lab_unit SET patient_id = %s WHERE id = %s", [other_patient.pk, unit.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(patient=other_patient)
    unit.refresh_from_db()
    assert unit.patient_id == patient.pk
    # So another patient's administration still meets the same-patient trigger.
    with pytest.raises(DatabaseError), transaction.atomic():
        _administer_to(other_patient, unit, session, physician, nurse, fixed_clock.now())
    # A save that writes every column, the patient unchanged, goes on as before.
    unit.status_reason = "checked"
    unit.save()
    assert Unit.objects.get(pk=unit.pk).status_reason == "checked"


def test_unit_chain_is_immutable(make_lot, other_patient):
    mine, theirs = make_lot(), make_lot(who=other_patient)
    unit = Unit.objects.filter(collection=mine).first()
    _refused("UPDATE lab_unit SET chain_id = %s WHERE id = %s", [theirs.chain_id, unit.pk])
    assert Unit.objects.get(pk=unit.pk).chain_id == mine.chain_id


def test_chain_patient_is_immutable(make_lot, patient, other_patient):
    lot = make_lot()
    _refused("UPDATE lab_chain SET patient_id = %s WHERE id = %s", [other_patient.pk, lot.chain_id])
    with pytest.raises(DatabaseError), transaction.atomic():
        Chain.objects.filter(pk=lot.chain_id).update(patient=other_patient)
    assert Chain.objects.get(pk=lot.chain_id).patient_id == patient.pk


def _drop_same_patient_trigger() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER injections_administration_same_patient ON injections_administration"
            )
        else:
            cursor.execute("DROP TRIGGER injections_administration_same_patient")
            cursor.execute("DROP TRIGGER injections_administration_same_patient_update")


def test_same_patient_trigger_is_reinstalled_after_migrate(
    released, physician, nurse, other_patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    # As a table rebuild on SQLite (any later migration that alters the table) loses it.
    _drop_same_patient_trigger()

    call_command("migrate", verbosity=0)

    with pytest.raises(DatabaseError), transaction.atomic():
        _administer_to(other_patient, unit, session, physician, nurse, fixed_clock.now())
    assert not Administration.objects.exists()


def test_every_trigger_is_back_in_force_after_migrate(db):
    triggers.drop(connection)
    assert len(triggers.faults(connection)) == len(triggers.expected(connection))

    call_command("migrate", verbosity=0)

    assert triggers.faults(connection) == []
    names = {trigger.name for trigger in triggers.expected(connection)}
    assert {
        "injections_administration_same_patient",
        "lab_unit_source_immutable",
        "lab_chain_patient_immutable",
        "audit_event_no_update" if connection.vendor == "sqlite" else "audit_event_append_only",
    } <= names
