"""Database triggers that make the audit tables append-only, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

# The audit trail, the lab's custody records (unit state changes, storage moves, readings) and
# the follow-up history of adverse events.
APPEND_ONLY_TABLES = (
    "audit_event",
    "audit_signature",
    "lab_unitevent",
    "lab_storageevent",
    "lab_reading",
    "adverse_events_adverseeventupdate",
)


def _tables(connection: Any) -> list[str]:
    """The append-only tables that exist yet (a later app's migration adds its own)."""
    existing = set(connection.introspection.table_names())
    return [table for table in APPEND_ONLY_TABLES if table in existing]


def _sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def _postgres_create(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION autologic_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION autologic_append_only()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION autologic_append_only()",
    ]


def install(connection: Any) -> None:
    """Create the append-only triggers on every audit table (idempotent)."""
    with connection.cursor() as cursor:
        for table in _tables(connection):
            create = _postgres_create if connection.vendor == "postgresql" else _sqlite_create
            for sql in create(table):
                cursor.execute(sql)


def drop(connection: Any) -> None:
    """Remove the triggers: what an attacker with database access, or a test teardown, does."""
    with connection.cursor() as cursor:
        for table in _tables(connection):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            else:
                for verb in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def _expected(connection: Any) -> set[str]:
    tables = _tables(connection)
    if connection.vendor == "postgresql":
        return {f"{t}_{kind}" for t in tables for kind in ("append_only", "no_truncate")}
    return {f"{t}_no_{verb}" for t in tables for verb in ("update", "delete")}


def missing(connection: Any) -> set[str]:
    """Name the append-only triggers that are not in place (dropped, or lost in a table rebuild)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    return _expected(connection) - present
