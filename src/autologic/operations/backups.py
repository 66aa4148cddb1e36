"""Online backup and checked restore, on SQLite and PostgreSQL (docs/operations.md).

Backup reads one snapshot and writes the database file and a manifest of that same snapshot:

* SQLite: the online backup API copies every page in one step under one read transaction; the
  manifest is then read from the copy itself, which is checked with ``PRAGMA integrity_check``.
* PostgreSQL: a REPEATABLE READ, READ ONLY transaction exports its snapshot; ``pg_dump -Fc
  --snapshot`` dumps exactly that snapshot while the same transaction counts the rows, reads the
  audit head and the migrations.

So under write load the manifest and the file agree, and a restore can demand equality.  With
``encrypt_to`` the file is encrypted with age (pyrage) to the given public keys, and the
plaintext is never left on disk.

Restore goes only into an empty database of the same kind.  It checks the manifest and the
file's checksum first, loads the file, then compares rows, audit head and migrations with the
manifest, recomputes the audit chain and checks every audit and same-patient trigger.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyrage
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from autologic.audit import triggers
from autologic.audit.queries import verify
from autologic.injections.queries import administration_faults
from autologic.lab.queries import custody_faults
from autologic.operations.domain.manifest import (
    MANIFEST,
    Manifest,
    ManifestError,
    State,
    StoredFile,
    parse,
    state_problems,
    unknown_migrations,
)

CHUNK = 1 << 20


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why, in one line."""


@dataclass
class RestoreReport:
    manifest: Manifest
    state: State
    problems: list[str] = field(default_factory=list)
    audit_events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    return {
        "autologic": metadata.version("autologic"),
        "django": metadata.version("django"),
        "python": platform.python_version(),
    }


def _recipients(keys: list[str]) -> list[Any]:
    """age recipients from public keys: ``age1…`` (X25519) or an SSH public key line."""
    recipients = []
    for key in keys:
        try:
            if key.startswith("age1"):
                recipients.append(pyrage.x25519.Recipient.from_str(key))
            else:
                recipients.append(pyrage.ssh.Recipient.from_str(key))
        except pyrage.RecipientError as error:
            raise BackupError(
                f"--encrypt-to: {key[:20]}… is not an age or SSH public key"
            ) from error
    return recipients


def _identities(lines: list[str]) -> list[Any]:
    identities = []
    for line in lines:
        if line.startswith("AGE-SECRET-KEY-"):
            identities.append(pyrage.x25519.Identity.from_str(line))
    if not identities:
        raise BackupError("--identity: the file holds no AGE-SECRET-KEY line")
    return identities


# --- reading the state of a database ------------------------------------------------------------


def _state(cursor: Any, tables: list[str]) -> State:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    head: tuple[Any, ...] | None = None
    if "audit_event" in counts:
        cursor.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        head = cursor.fetchone()
    migrations: list[str] = []
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    return State(
        tables=counts,
        audit_seq=int(head[0]) if head else None,
        audit_hash=str(head[1]) if head else "",
        migrations=migrations,
    )


def _sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row[0] for row in cursor.fetchall()]


def _postgres_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [row[0] for row in cursor.fetchall()]


def current_state() -> State:
    """The state of the database Django is connected to (after a restore)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return _state(cursor, _sqlite_tables(cursor))
        return _state(cursor, _postgres_tables(cursor))


def _server_version() -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    version = connection.pg_version  # type: ignore[attr-defined]
    return f"{version // 10000}.{version % 10000}"


# --- backup -------------------------------------------------------------------------------------


def _backup_sqlite(target: Path) -> State:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # pages=-1: every page in one step, under one read transaction of the live database.
        connection.connection.backup(copy)
        cursor = copy.cursor()
        (check,) = cursor.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise BackupError(f"the copy failed SQLite's integrity check: {check}")
        return _state(cursor, _sqlite_tables(cursor))
    finally:
        copy.close()


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump and pg_restore; the password only in the environment."""
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{command[0]} failed: {last}")


def _backup_postgres(target: Path) -> State:
    args, env = _pg_environment()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        # pg_dump joins the snapshot while this transaction holds it open.
        _run(
            ["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "--file", str(target)]
            + args,
            env,
        )
        return _state(cursor, _postgres_tables(cursor))


def take_backup(out: Path, *, now: datetime, encrypt_to: list[str] | None = None) -> Manifest:
    """Write a backup of the connected database into the new or empty directory ``out``."""
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"--out {out}: the directory is not empty")
    recipients = _recipients(encrypt_to or [])
    out.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"no backup for a {vendor} database")
    name = "autologic.sqlite3" if vendor == "sqlite" else "autologic.dump"
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        plain = Path(scratch) / name
        state = _backup_sqlite(plain) if vendor == "sqlite" else _backup_postgres(plain)
        plain_sha = _sha256(plain)
        if recipients:
            name += ".age"
            pyrage.encrypt_file(str(plain), str(out / name), recipients)
        else:
            plain.rename(out / name)
    stored = out / name
    manifest = Manifest(
        created_at=now.isoformat().replace("+00:00", "Z"),
        vendor=vendor,
        server_version=_server_version(),
        versions=_versions(),
        state=state,
        database=StoredFile(
            name=name,
            bytes=stored.stat().st_size,
            sha256=_sha256(stored),
            plain_sha256=plain_sha if recipients else "",
        ),
        encrypted_to=list(encrypt_to or []),
    )
    # Written last, under a temporary name: a directory without manifest.json is no backup.
    (out / (MANIFEST + ".part")).write_text(manifest.to_json(), encoding="utf-8")
    (out / (MANIFEST + ".part")).rename(out / MANIFEST)
    return manifest


# --- restore ------------------------------------------------------------------------------------


def read_manifest(directory: Path) -> Manifest:
    """The directory's manifest, checked against the file it describes."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory}: no {MANIFEST} (not a backup, or an unfinished one)")
    try:
        manifest = parse(path.read_text(encoding="utf-8"))
    except ManifestError as error:
        raise BackupError(f"{MANIFEST}: {error}") from error
    stored = directory / manifest.database.name
    if not stored.is_file():
        raise BackupError(f"{manifest.database.name}: missing from the backup")
    if stored.stat().st_size != manifest.database.bytes or _sha256(stored) != (
        manifest.database.sha256
    ):
        raise BackupError(f"{manifest.database.name}: checksum differs from the manifest")
    return manifest


def _code_migrations() -> list[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return [f"{app}.{name}" for app, name in loader.disk_migrations]


def _restore_sqlite(plain: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgres(plain: Path) -> None:
    args, env = _pg_environment()
    connection.close()  # pg_restore works on its own connection
    _run(
        ["pg_restore", "--exit-on-error", "--single-transaction", "--no-owner"]
        + ["--no-privileges", *args, str(plain)],
        env,
    )


def restore(directory: Path, *, identity_lines: list[str] | None = None) -> RestoreReport:
    """Load the backup in ``directory`` into the empty connected database, then check it."""
    manifest = read_manifest(directory)
    if manifest.vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {manifest.vendor} database; this one is {connection.vendor}"
        )
    newer = unknown_migrations(manifest.state.migrations, _code_migrations())
    if newer:
        raise BackupError(
            f"the backup has migrations this version does not know ({newer[0]}, …): restore it "
            "with the version that made it"
        )
    if connection.introspection.table_names():
        raise BackupError("the database is not empty: restore goes only into an empty database")
    stored = directory / manifest.database.name
    with tempfile.TemporaryDirectory() as scratch:
        plain = stored
        if manifest.encrypted_to:
            if not identity_lines:
                raise BackupError("the backup is encrypted: give --identity KEYFILE")
            plain = Path(scratch) / manifest.database.name.removesuffix(".age")
            try:
                pyrage.decrypt_file(str(stored), str(plain), _identities(identity_lines))
            except pyrage.DecryptError as error:
                raise BackupError("the identity does not decrypt this backup") from error
            if _sha256(plain) != manifest.database.plain_sha256:
                raise BackupError("the decrypted file's checksum differs from the manifest")
        if manifest.vendor == "sqlite":
            _restore_sqlite(plain)
        else:
            _restore_postgres(plain)
    connection.close()  # the schema changed under this connection
    state = current_state()
    report = RestoreReport(manifest=manifest, state=state)
    report.problems = state_problems(manifest.state, state)
    chain = verify()
    report.audit_events = chain.count
    if not chain.ok:
        report.problems.append(
            f"audit chain broken at seq {chain.first_broken_seq}: {chain.reason}"
        )
    report.problems += [f"trigger {fault}" for fault in triggers.faults(connection)]
    # No unit half-moved: its custody chains and matches its injection record.
    report.problems += [f"custody {fault}" for fault in custody_faults()]
    report.problems += [f"custody {fault}" for fault in administration_faults()]
    return report
