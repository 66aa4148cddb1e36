"""Database triggers that keep the audit and custody tables append-only and guard the chain of
identity, on SQLite and PostgreSQL; and the check that each one is in force.

Two kinds:

* append-only: UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) are refused on the audit trail,
  the lab's custody records and the follow-up history of adverse events;
* guards: a unit's source patient and chain, and a chain's patient, never change; and an
  administration's patient is the unit's source patient (the bedside's last line of defence).

A trigger is in force when it exists on its table with exactly the definition below and, on
PostgreSQL, is ``ENABLE ALWAYS``: a plain enabled trigger is skipped under
``session_replication_role = replica``, and a disabled one not run at all.  ``install`` puts back
whatever is missing, altered, disabled or not ALWAYS; ``faults`` names it (``audit verify``).
Checking names alone missed ``ALTER TABLE ... DISABLE TRIGGER`` and a trigger replaced by a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The audit trail, the lab's custody records (unit state changes, storage moves, readings), the
# follow-up history of adverse events, and billing's issued documents and money movements.
APPEND_ONLY_TABLES = (
    "audit_event",
    "audit_signature",
    "lab_unitevent",
    "lab_storageevent",
    "lab_reading",
    "adverse_events_adverseeventupdate",
    # Issued invoices and credit notes, payments and refunds, VERI*FACTU records: never changed.
    # (records first: a test teardown empties the tables in this order, and records cite invoices)
    "billing_verifacturecord",
    "billing_payment",
    "billing_invoice",
)

SAME_PATIENT = "autologous product: administration patient differs from the unit source patient"
UNIT_SOURCE = "lab_unit: a unit''s source patient and chain cannot change"
CHAIN_PATIENT = "lab_chain: a chain''s patient cannot change"
QC_RESULT = "lab_qcresult: a QC result is never overwritten or deleted"
# The columns of a QC result that say what was measured; only its QA disposition may be added.
_RESULT_COLUMNS = ("collection_id", "attribute", "value", "number", "verdict", "by_id", "at")

# PostgreSQL trigger functions: name -> body (as stored in pg_proc.prosrc).
FUNCTIONS = {
    "autologic_append_only": (
        " BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END; "
    ),
    "autologic_same_patient": (
        " BEGIN IF NEW.patient_id IS DISTINCT FROM "  # noqa: S608 - constants only
        "(SELECT patient_id FROM lab_unit WHERE id = NEW.unit_id) "
        f"THEN RAISE EXCEPTION '{SAME_PATIENT}'; END IF; RETURN NEW; END; "
    ),
    "autologic_unit_source_immutable": (
        " BEGIN IF NEW.patient_id IS DISTINCT FROM OLD.patient_id "
        "OR NEW.chain_id IS DISTINCT FROM OLD.chain_id "
        f"THEN RAISE EXCEPTION '{UNIT_SOURCE}'; END IF; RETURN NEW; END; "
    ),
    "autologic_chain_patient_immutable": (
        " BEGIN IF NEW.patient_id IS DISTINCT FROM OLD.patient_id "
        f"THEN RAISE EXCEPTION '{CHAIN_PATIENT}'; END IF; RETURN NEW; END; "
    ),
    "autologic_qc_result_kept": (
        " BEGIN IF TG_OP = 'DELETE' OR "
        + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _RESULT_COLUMNS)
        + f" THEN RAISE EXCEPTION '{QC_RESULT}'; END IF; RETURN NEW; END; "
    ),
}


@dataclass(frozen=True)
class Trigger:
    """One trigger as the database must hold it.

    On PostgreSQL ``timing`` is written the way ``pg_get_triggerdef`` prints it (events in the
    order INSERT, DELETE, UPDATE, TRUNCATE), so the stored definition can be compared as text.
    On SQLite ``body`` is everything after the table name, as ``sqlite_master.sql`` keeps it.
    """

    name: str
    table: str
    timing: str
    body: str = ""  # SQLite: [WHEN ...] BEGIN ... END
    level: str = "ROW"  # PostgreSQL: ROW or STATEMENT
    function: str = ""  # PostgreSQL: the trigger function (a key of FUNCTIONS)

    def sqlite_sql(self) -> str:
        """The CREATE statement, exactly as SQLite stores it."""
        return f"CREATE TRIGGER {self.name} {self.timing} ON {self.table} {self.body}"

    def postgres_definition(self, schema: str) -> str:
        """The definition exactly as PostgreSQL's pg_get_triggerdef prints it."""
        return (
            f"CREATE TRIGGER {self.name} {self.timing} ON {schema}.{self.table} "
            f"FOR EACH {self.level} EXECUTE FUNCTION {self.function}()"
        )


def _refuse(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


def _sqlite_triggers() -> list[Trigger]:
    triggers = [
        Trigger(
            f"{table}_no_{verb.lower()}",
            table,
            f"BEFORE {verb}",
            _refuse(f"{table} is append-only: {verb} refused"),
        )
        for table in APPEND_ONLY_TABLES
        for verb in ("UPDATE", "DELETE")
    ]
    other_patient = (
        "WHEN NEW.patient_id IS NOT (SELECT patient_id FROM lab_unit WHERE id = NEW.unit_id)"
    )
    return [
        *triggers,
        Trigger(
            "injections_administration_same_patient",
            "injections_administration",
            "BEFORE INSERT",
            f"{other_patient} {_refuse(SAME_PATIENT)}",
        ),
        Trigger(
            "injections_administration_same_patient_update",
            "injections_administration",
            "BEFORE UPDATE",
            f"{other_patient} {_refuse(SAME_PATIENT)}",
        ),
        Trigger(
            "lab_unit_source_immutable",
            "lab_unit",
            "BEFORE UPDATE OF patient_id, chain_id",
            "WHEN NEW.patient_id IS NOT OLD.patient_id OR NEW.chain_id IS NOT OLD.chain_id "
            + _refuse(UNIT_SOURCE),
        ),
        Trigger(
            "lab_chain_patient_immutable",
            "lab_chain",
            "BEFORE UPDATE OF patient_id",
            f"WHEN NEW.patient_id IS NOT OLD.patient_id {_refuse(CHAIN_PATIENT)}",
        ),
        Trigger(
            "lab_qcresult_kept",
            "lab_qcresult",
            "BEFORE UPDATE",
            "WHEN "
            + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _RESULT_COLUMNS)
            + f" {_refuse(QC_RESULT)}",
        ),
        Trigger("lab_qcresult_no_delete", "lab_qcresult", "BEFORE DELETE", _refuse(QC_RESULT)),
    ]


def _postgres_triggers() -> list[Trigger]:
    triggers = []
    for table in APPEND_ONLY_TABLES:
        triggers.append(
            Trigger(
                f"{table}_append_only",
                table,
                "BEFORE DELETE OR UPDATE",
                function="autologic_append_only",
            )
        )
        # TRUNCATE skips row triggers, so it has its own.
        triggers.append(
            Trigger(
                f"{table}_no_truncate",
                table,
                "BEFORE TRUNCATE",
                level="STATEMENT",
                function="autologic_append_only",
            )
        )
    return [
        *triggers,
        Trigger(
            "injections_administration_same_patient",
            "injections_administration",
            "BEFORE INSERT OR UPDATE",
            function="autologic_same_patient",
        ),
        Trigger(
            "lab_unit_source_immutable",
            "lab_unit",
            "BEFORE UPDATE OF patient_id, chain_id",
            function="autologic_unit_source_immutable",
        ),
        Trigger(
            "lab_chain_patient_immutable",
            "lab_chain",
            "BEFORE UPDATE OF patient_id",
            function="autologic_chain_patient_immutable",
        ),
        Trigger(
            "lab_qcresult_kept",
            "lab_qcresult",
            "BEFORE DELETE OR UPDATE",
            function="autologic_qc_result_kept",
        ),
    ]


def expected(connection: Any) -> list[Trigger]:
    """The triggers this database must hold: those whose table exists yet (each app's migration
    adds its tables, and the triggers follow)."""
    existing = set(connection.introspection.table_names())
    every = _postgres_triggers() if connection.vendor == "postgresql" else _sqlite_triggers()
    return [trigger for trigger in every if trigger.table in existing]


@dataclass(frozen=True)
class _Found:
    definition: str
    enabled: str = "A"  # PostgreSQL's tgenabled; SQLite cannot disable a trigger
    function_body: str | None = None


def _found(connection: Any) -> tuple[str, dict[tuple[str, str], _Found]]:
    """The triggers the database holds, by (table, name), and the schema they live in."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'")
            return "main", {(table, name): _Found(sql) for table, name, sql in cursor.fetchall()}
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled, "
            "CASE WHEN l.lanname = 'plpgsql' THEN p.prosrc END "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_language l ON l.oid = p.prolang "
            "WHERE NOT t.tgisinternal AND n.nspname = %s",
            [schema],
        )
        found = {
            (table, name): _Found(definition, enabled, body)
            for table, name, definition, enabled, body in cursor.fetchall()
        }
        return schema, found


_STATES = {"O": "enabled only for origin sessions", "R": "enabled only for replicas"}


def _fault(trigger: Trigger, found: _Found | None, schema: str, postgres: bool) -> str:
    """Why a trigger is not in force, or "" when it is."""
    if found is None:
        return "missing"
    wanted = trigger.postgres_definition(schema) if postgres else trigger.sqlite_sql()
    if found.definition != wanted:
        return "definition altered"
    if postgres and found.function_body != FUNCTIONS[trigger.function]:
        return f"function {trigger.function} altered"
    if found.enabled == "D":
        return "disabled"
    if found.enabled != "A":
        return f"not ENABLE ALWAYS ({_STATES.get(found.enabled, found.enabled)})"
    return ""


def faults(connection: Any) -> list[str]:
    """Name every trigger that is not in force: missing (dropped, or lost in a table rebuild),
    altered, disabled, or skipped under session_replication_role = replica."""
    schema, found = _found(connection)
    postgres = connection.vendor == "postgresql"
    problems = []
    for trigger in expected(connection):
        fault = _fault(trigger, found.get((trigger.table, trigger.name)), schema, postgres)
        if fault:
            problems.append(f"{trigger.name} on {trigger.table}: {fault}")
    return problems


def _recreate(trigger: Trigger, postgres: bool) -> list[str]:
    if not postgres:
        return [f"DROP TRIGGER IF EXISTS {trigger.name}", trigger.sqlite_sql()]
    return [
        f"CREATE OR REPLACE FUNCTION {trigger.function}() RETURNS trigger AS "
        f"$${FUNCTIONS[trigger.function]}$$ LANGUAGE plpgsql",
        f"CREATE OR REPLACE TRIGGER {trigger.name} {trigger.timing} ON {trigger.table} "
        f"FOR EACH {trigger.level} EXECUTE FUNCTION {trigger.function}()",
        # CREATE OR REPLACE leaves it enabled for origin sessions only.
        f"ALTER TABLE {trigger.table} ENABLE ALWAYS TRIGGER {trigger.name}",
    ]


def install(connection: Any) -> None:
    """Put every trigger in force that is not (idempotent; a no-op when all are in place)."""
    schema, found = _found(connection)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for trigger in expected(connection):
            if _fault(trigger, found.get((trigger.table, trigger.name)), schema, postgres):
                for sql in _recreate(trigger, postgres):
                    cursor.execute(sql)


def drop(connection: Any) -> None:
    """Remove every trigger: what an attacker with database access, or a test teardown, does."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for trigger in expected(connection):
            if postgres:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name} ON {trigger.table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name}")
