"""`audit verify` checks that every trigger is in force, not just that its name exists: present,
with its definition, enabled, and on PostgreSQL ENABLE ALWAYS (so a replica session runs it)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from autologic.audit import triggers
from autologic.audit.models import AuditEvent
from autologic.patients import actions
from tests.audit.conftest import run_audit
from tests.conftest import patient_data

GUARDED = [
    ("audit_event", "audit_event_append_only"),
    ("audit_event", "audit_event_no_truncate"),
    ("lab_unit", "lab_unit_source_immutable"),
    ("lab_chain", "lab_chain_patient_immutable"),
    ("injections_administration", "injections_administration_same_patient"),
]


@pytest.fixture
def history(site, physician):
    for name in ["Alpha", "Beta"]:
        actions.create_patient(site=site, data=patient_data(family_name=name), by=physician)


def _execute(*statements: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key check of this test's transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements:
            cursor.execute(sql)


def test_verify_passes_with_every_trigger_in_force(history, capsys):
    code, text = run_audit(capsys, "verify")
    assert code == 0, text
    assert triggers.faults(connection) == []


@pytest.mark.postgres_only
@pytest.mark.parametrize(("table", "name"), GUARDED)
def test_verify_reports_a_disabled_trigger(history, capsys, table, name):
    _execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    code, text = run_audit(capsys, "verify")
    assert code == 1
    assert f"{name} on {table}: disabled" in text
    assert "audit chain intact" in text  # the chain itself is fine; the guard is not


@pytest.mark.postgres_only
@pytest.mark.parametrize(("table", "name"), GUARDED)
def test_verify_requires_triggers_to_be_enabled_always(history, capsys, table, name):
    # Plain ENABLE: the trigger is skipped under session_replication_role = replica.
    _execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
    code, text = run_audit(capsys, "verify")
    assert code == 1
    assert f"{name} on {table}: not ENABLE ALWAYS" in text


@pytest.mark.postgres_only
def test_triggers_fire_under_session_replication_role_replica(history, make_lot, other_patient):
    lot = make_lot()
    _execute("SET session_replication_role = replica")
    try:
        for sql in [
            "DELETE FROM audit_event",
            "UPDATE audit_event SET actor_name = 'x'",
            f"UPDATE lab_unit SET patient_id = {other_patient.pk} WHERE collection_id = {lot.pk}",
            f"UPDATE lab_chain SET patient_id = {other_patient.pk} WHERE id = {lot.chain_id}",
        ]:
            with pytest.raises(DatabaseError), transaction.atomic():
                _execute(sql)
    finally:
        _execute("SET session_replication_role = DEFAULT")
    assert AuditEvent.objects.filter(actor_name="x").count() == 0


@pytest.mark.postgres_only
def test_install_puts_a_disabled_trigger_back_in_force(history):
    _execute(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "ALTER TABLE lab_unit ENABLE REPLICA TRIGGER lab_unit_source_immutable",
    )
    assert len(triggers.faults(connection)) == 2
    triggers.install(connection)
    assert triggers.faults(connection) == []


def test_verify_reports_a_missing_guard_trigger(history, capsys):
    suffix = " ON lab_unit" if connection.vendor == "postgresql" else ""
    _execute(f"DROP TRIGGER lab_unit_source_immutable{suffix}")
    code, text = run_audit(capsys, "verify")
    assert code == 1
    assert "lab_unit_source_immutable on lab_unit: missing" in text


def test_verify_reports_a_trigger_replaced_by_a_no_op(history, capsys):
    """The same name, doing nothing: a check of names alone passed it."""
    if connection.vendor == "postgresql":
        _execute(
            "CREATE OR REPLACE FUNCTION autologic_same_patient() RETURNS trigger AS "
            "$$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        fault = "function autologic_same_patient altered"
    else:
        _execute(
            "DROP TRIGGER injections_administration_same_patient",
            "CREATE TRIGGER injections_administration_same_patient BEFORE INSERT ON "
            "injections_administration BEGIN SELECT 1; END",
        )
        fault = "definition altered"
    code, text = run_audit(capsys, "verify")
    assert code == 1
    assert f"injections_administration_same_patient on injections_administration: {fault}" in text
    triggers.install(connection)
    assert triggers.faults(connection) == []


@pytest.mark.postgres_only
def test_verify_reports_a_trigger_whose_condition_never_holds(history, capsys):
    _execute(
        "DROP TRIGGER lab_unit_source_immutable ON lab_unit",
        "CREATE TRIGGER lab_unit_source_immutable BEFORE UPDATE OF patient_id, chain_id ON "
        "lab_unit FOR EACH ROW WHEN (false) EXECUTE FUNCTION autologic_unit_source_immutable()",
        "ALTER TABLE lab_unit ENABLE ALWAYS TRIGGER lab_unit_source_immutable",
    )
    code, text = run_audit(capsys, "verify")
    assert code == 1
    assert "lab_unit_source_immutable on lab_unit: definition altered" in text
