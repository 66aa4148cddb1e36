"""The database refuses edits to the audit trail; `audit verify` finds out-of-band tampering."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from autologic.audit import triggers
from autologic.audit.models import AuditEvent
from autologic.patients import actions
from tests.conftest import patient_data


@pytest.fixture
def history(site, physician):
    for name in ["Alpha", "Beta", "Gamma", "Delta"]:
        actions.create_patient(site=site, data=patient_data(family_name=name), by=physician)
    return list(AuditEvent.objects.order_by("seq"))


def run_verify(capsys):
    try:
        call_command("audit", "verify")
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out + out.err


def test_verify_passes_on_an_untouched_chain_and_prints_the_count(history, capsys):
    code, text = run_verify(capsys)
    assert code == 0
    assert f"{len(history)} events" in text


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor_name = 'x'",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE seq = 1",
    ],
)
def test_the_database_refuses_update_and_delete(history, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == len(history)


def _as_attacker(sql, params=()):
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_altered_row_is_reported(history, capsys):
    target = history[2]
    _as_attacker("UPDATE audit_event SET changes = %s WHERE seq = %s", ['{"x": 1}', target.seq])
    code, text = run_verify(capsys)
    assert code == 1
    assert f"BROKEN at seq {target.seq}" in text


def test_a_deleted_row_is_reported(history, capsys):
    target = history[1]
    _as_attacker("DELETE FROM audit_event WHERE seq = %s", [target.seq])
    code, text = run_verify(capsys)
    assert code == 1
    assert f"BROKEN at seq {target.seq}" in text


def test_a_row_inserted_out_of_band_is_reported(history, capsys):
    last = history[-1]
    _as_attacker(
        "INSERT INTO audit_event (seq, occurred_at, actor_name, action, object_type, object_id,"
        " changes, prev_hash, hash) VALUES (%s, %s, 'intruder', 'patient.delete', 'patient', '1',"
        " '{}', %s, %s)",
        [last.seq + 1, last.occurred_at, last.hash, "e" * 64],
    )
    code, text = run_verify(capsys)
    assert code == 1
    assert f"BROKEN at seq {last.seq + 1}" in text


def test_every_action_writes_its_event_in_the_same_transaction(site, physician):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.create_patient(site=site, data=patient_data(), by=physician)
        raise RuntimeError("the surrounding work fails")
    assert AuditEvent.objects.count() == before


def test_the_audit_page_pages_through_events(
    site, physician, make_staff, django_assert_max_num_queries
):
    from autologic.accounts.roles import Role
    from tests.conftest import signed_in

    for n in range(60):
        actions.create_patient(site=site, data=patient_data(mrn=f"P{n}"), by=physician)
    client = signed_in(make_staff(Role.MANAGER))
    with django_assert_max_num_queries(10):
        first = client.get("/audit/")
    assert len(first.context["events"]) == 50
    older = client.get("/audit/", {"before": first.context["older"]})
    assert older.context["events"][0].seq == first.context["older"] - 1
    filtered = client.get("/audit/", {"action": "staff."})
    assert {e.action for e in filtered.context["events"]} == {"staff.create"}


def test_verify_fails_when_the_append_only_triggers_are_gone(history, capsys):
    triggers.drop(connection)
    code, text = run_verify(capsys)
    assert code == 1
    assert "triggers MISSING" in text


def test_a_forged_signature_row_is_reported(site, physician, capsys):
    from autologic.audit.actions import SignerProof, apply_signature
    from autologic.audit.domain import SignatureMeaning
    from autologic.audit.journal import audited_transaction
    from autologic.audit.models import Signature

    with audited_transaction():
        apply_signature(
            SignerProof(physician, second_factor=True),
            meaning=SignatureMeaning.REVIEWED,
            object_type="consent",
            object_id=1,
            content={"x": 1},
        )
    assert run_verify(capsys)[0] == 0
    signature = Signature.objects.get()
    _as_attacker("UPDATE audit_signature SET meaning = 'approved' WHERE id = %s", [signature.pk])
    code, text = run_verify(capsys)
    assert code == 1 and f"BROKEN at seq {signature.audit_seq}" in text


def test_emptying_the_table_at_once_is_refused(history):
    # PostgreSQL's TRUNCATE skips row triggers, so it has its own; SQLite's equivalent is DELETE.
    sql = "TRUNCATE audit_event" if connection.vendor == "postgresql" else "DELETE FROM audit_event"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == len(history)
