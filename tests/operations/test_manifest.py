"""The backup manifest's rules, without a database: parsing names the field that is wrong, and
a restore's state is compared table by table with what the snapshot held."""

from __future__ import annotations

import json

import pytest

from autologic.operations.domain.manifest import (
    FORMAT,
    Manifest,
    ManifestError,
    State,
    StoredFile,
    parse,
    state_problems,
    unknown_migrations,
)

STATE = State(
    tables={"patients_patient": 3, "audit_event": 9},
    audit_seq=9,
    audit_hash="ab" * 32,
    migrations=["patients.0001_initial", "audit.0001_initial"],
)


def manifest() -> Manifest:
    return Manifest(
        created_at="2026-12-07T09:00:00Z",
        vendor="sqlite",
        server_version="3.40.1",
        versions={"autologic": "0.1.0"},
        state=STATE,
        database=StoredFile(name="autologic.sqlite3", bytes=4096, sha256="cd" * 32),
    )


def test_a_manifest_reads_back_as_written():
    assert parse(manifest().to_json()) == manifest()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.pop("state"), "state: missing"),
        (lambda d: d["state"].pop("audit_hash"), "state.audit_hash: missing"),
        (lambda d: d["state"]["tables"].update(x=-1), "state.tables.x: not a row count"),
        (lambda d: d["state"]["tables"].update(x=True), "state.tables.x: not a row count"),
        (lambda d: d["database"].update(bytes="4096"), "database.bytes: wrong type"),
        (lambda d: d["database"].update(name="../etc/passwd"), "database.name"),
        (lambda d: d.update(format="autologic-backup/0"), "format:"),
        (lambda d: d.pop("vendor"), "vendor: missing"),
    ],
)
def test_a_wrong_manifest_is_refused_naming_the_field(change, named):
    data = json.loads(manifest().to_json())
    change(data)
    with pytest.raises(ManifestError, match=named.replace(".", r"\.")):
        parse(json.dumps(data))


def test_a_manifest_that_is_not_json_is_refused_with_the_line():
    with pytest.raises(ManifestError, match="not JSON .* line 1"):
        parse("{")


def test_state_problems_name_each_table_the_head_and_the_migrations():
    found = State(
        tables={"patients_patient": 2, "billing_invoice": 0},
        audit_seq=8,
        audit_hash="ef" * 32,
        migrations=["patients.0001_initial", "billing.0001_initial"],
    )
    problems = state_problems(STATE, found)
    assert "table patients_patient: 2 rows restored, 3 expected" in problems
    assert "table audit_event: missing after restore (9 rows expected)" in problems
    assert "table billing_invoice: not in the backup, but 0 rows restored" in problems
    assert any(p.startswith("audit head: seq 8") for p in problems)
    assert "migrations missing after restore: audit.0001_initial" in problems
    assert "migrations not in the backup: billing.0001_initial" in problems
    assert state_problems(STATE, STATE) == []


def test_a_backup_from_a_newer_version_is_recognised_by_its_migrations():
    assert unknown_migrations(["a.0001", "a.0002"], ["a.0001"]) == ["a.0002"]
    assert unknown_migrations(["a.0001"], ["a.0001", "a.0002"]) == []
    assert FORMAT == "autologic-backup/1"
