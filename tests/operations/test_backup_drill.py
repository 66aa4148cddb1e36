"""The restore drill, on the suite's database kind: the demo clinics are backed up while a
clinic keeps registering patients, restored into an empty database, and verified.  Then the
refusals: a database that is not empty, a file that changed, a manifest that lies, an
encrypted backup without its key.  Every step runs the real `autologic` command in its own
process, as an operator would."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyrage
import pytest

from tests.operations.conftest import POSTGRES, Databases

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("writer.py")


def run(data_dir: Path, url: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"AUTOLOGIC_MODE": "demo", "AUTOLOGIC_DATA_DIR": str(data_dir), "DATABASE_URL": url})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def count(url: str, sql: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(sql).fetchone()[0])
    with psycopg.connect(url) as conn:
        return int(conn.execute(sql).fetchone()[0])  # type: ignore[index]


def mrns(url: str) -> set[str]:
    sql = "SELECT mrn FROM patients_patient"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return {row[0] for row in conn.execute(sql)}
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(sql)}


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Iterator[tuple[Databases, Path, str]]:
    """The demo clinics, seeded by `autologic demo` into a database of their own."""
    root = tmp_path_factory.mktemp("drill")
    databases = Databases(root)
    source = databases.new()
    seeded = run(root, source, "demo", "--no-serve")
    assert seeded.returncode == 0, seeded.stderr
    try:
        yield databases, root, source
    finally:
        if POSTGRES:
            databases.drop_all()


@pytest.fixture(scope="module")
def backup_under_load(drill) -> tuple[Path, list[str], list[str], str]:
    """A backup taken while a writer registers patients: the MRNs acknowledged before the
    backup began, and all of them once the writer stopped."""
    databases, root, source = drill
    stop, acks = root / "stop", root / "acks"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "demo",
            "AUTOLOGIC_DATA_DIR": str(root),
            "DATABASE_URL": source,
            "DJANGO_SETTINGS_MODULE": "autologic.settings",
            "PYTHONPATH": str(Path(__file__).parents[2]),
        }
    )
    writer = subprocess.Popen([sys.executable, str(WRITER), str(stop), str(acks)], env=env)  # noqa: S603

    def acknowledged() -> list[str]:
        return acks.read_text().split() if acks.exists() else []

    try:
        deadline = time.monotonic() + 120
        while len(acknowledged()) < 10:
            assert writer.poll() is None, "the writer stopped"
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.1)
        before = acknowledged()
        taken = run(root, source, "backup", "--out", str(root / "backup"))
        assert taken.returncode == 0, taken.stderr
        after_backup = len(acknowledged())
        while len(acknowledged()) < after_backup + 10:  # the clinic went on writing
            assert writer.poll() is None, "the writer stopped"
            time.sleep(0.1)
    finally:
        stop.touch()
        writer.wait(60)
    assert writer.returncode == 0
    return root / "backup", before, acknowledged(), source


def manifest_of(backup: Path) -> dict:
    return json.loads((backup / "manifest.json").read_text())


def test_a_backup_taken_under_write_load_restores_into_an_empty_database_and_verifies(
    drill, backup_under_load
):
    databases, root, _source = drill
    backup, before, everything, source = backup_under_load
    manifest = manifest_of(backup)
    in_backup = manifest["state"]["tables"]["patients_patient"]
    # The snapshot fell while the clinic wrote: after the first acknowledged writes, before
    # the last ones.
    initial = count(source, "SELECT count(*) FROM patients_patient") - len(everything)
    assert initial + len(before) <= in_backup <= initial + len(everything) - 10
    target = databases.new()
    restored = run(root, target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "restored and verified" in restored.stdout
    # Checked again from outside the command: every write acknowledged before the backup began
    # is there, and the rows are those the manifest counted.
    assert set(before) <= mrns(target)
    assert count(target, "SELECT count(*) FROM patients_patient") == in_backup
    assert (
        count(target, "SELECT count(*) FROM audit_event")
        == manifest["state"]["tables"]["audit_event"]
    )
    assert manifest["state"]["audit_seq"] == count(target, "SELECT max(seq) FROM audit_event")
    verified = run(root, target, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert manifest["vendor"] == ("postgresql" if POSTGRES else "sqlite")
    assert manifest["versions"]["autologic"] and manifest["state"]["migrations"]
    # The restored clinic serves its own data: the same patients as the snapshot.
    assert mrns(target) <= mrns(source)


def test_restore_refuses_a_database_that_is_not_empty(drill, backup_under_load):
    databases, root, source = drill
    refused = run(root, source, "restore", str(backup_under_load[0]))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr


def test_restore_refuses_a_file_that_changed_and_loads_nothing(drill, backup_under_load):
    databases, root, _source = drill
    changed = root / "changed"
    shutil.copytree(backup_under_load[0], changed)
    stored = changed / manifest_of(changed)["database"]["name"]
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    target = databases.new()
    refused = run(root, target, "restore", str(changed))
    assert refused.returncode == 1
    assert "checksum differs from the manifest" in refused.stderr
    assert count(target, _tables_sql(target)) == 0


def test_restore_reports_every_table_that_differs_from_the_manifest(drill, backup_under_load):
    databases, root, _source = drill
    lying = root / "lying"
    shutil.copytree(backup_under_load[0], lying)
    manifest = manifest_of(lying)
    manifest["state"]["tables"]["patients_patient"] += 1
    (lying / "manifest.json").write_text(json.dumps(manifest))
    failed = run(root, databases.new(), "restore", str(lying))
    assert failed.returncode == 1
    assert "table patients_patient:" in failed.stderr and "expected" in failed.stderr


def test_an_encrypted_backup_restores_only_with_its_identity(drill):
    databases, root, source = drill
    key, stranger = pyrage.x25519.Identity.generate(), pyrage.x25519.Identity.generate()
    (root / "key.txt").write_text(f"# the clinic's backup key\n{key}\n")
    (root / "stranger.txt").write_text(f"{stranger}\n")
    out = root / "sealed"
    sealed = run(root, source, "backup", "--out", str(out), "--encrypt-to", str(key.to_public()))
    assert sealed.returncode == 0, sealed.stderr
    manifest = manifest_of(out)
    assert manifest["database"]["name"].endswith(".age")
    # No plaintext copy left behind, and the file is not readable as a database.
    assert {p.name for p in out.iterdir()} == {"manifest.json", manifest["database"]["name"]}
    assert b"patients_patient" not in (out / manifest["database"]["name"]).read_bytes()
    without = run(root, databases.new(), "restore", str(out))
    assert without.returncode == 1 and "give --identity" in without.stderr
    wrong = run(
        root, databases.new(), "restore", str(out), "--identity", str(root / "stranger.txt")
    )
    assert wrong.returncode == 1 and "does not decrypt" in wrong.stderr
    right = run(root, databases.new(), "restore", str(out), "--identity", str(root / "key.txt"))
    assert right.returncode == 0, right.stderr
    assert "restored and verified" in right.stdout


def test_backup_refuses_a_directory_that_is_not_empty(drill, tmp_path):
    databases, root, source = drill
    (tmp_path / "old").write_text("an earlier backup")
    refused = run(root, source, "backup", "--out", str(tmp_path))
    assert refused.returncode == 1 and "not empty" in refused.stderr


def _tables_sql(url: str) -> str:
    if url.startswith("sqlite"):
        return "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    return "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
