"""The backup manifest: what a backup holds, and the checks a restore makes against it.

A backup directory holds one database file (SQLite's copy, or PostgreSQL's ``pg_dump -Fc``),
possibly encrypted with age, and ``manifest.json``.  Everything the manifest says of the data
(row counts, the audit chain's head, the migrations) was read in the same snapshot the file
holds, so a restore must find exactly the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = "autologic-backup/1"
MANIFEST = "manifest.json"


class ManifestError(ValueError):
    """The manifest is missing a field or holds a wrong one; the message names it."""


@dataclass(frozen=True)
class StoredFile:
    """One file of the backup: its name in the directory, size and SHA-256 as stored, and,
    when it is encrypted, the SHA-256 of what decrypts from it."""

    name: str
    bytes: int
    sha256: str
    plain_sha256: str = ""


@dataclass(frozen=True)
class State:
    """What the database held in the snapshot: rows per table, the audit chain's head (its
    last sequence number and hash, or none when the trail is empty) and applied migrations."""

    tables: dict[str, int]
    audit_seq: int | None
    audit_hash: str
    migrations: list[str]


@dataclass(frozen=True)
class Manifest:
    created_at: str
    vendor: str
    server_version: str
    versions: dict[str, str]
    state: State
    database: StoredFile
    encrypted_to: list[str] = field(default_factory=list)
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def _need(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ManifestError(f"{where}{key}: missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ManifestError(f"{where}{key}: wrong type ({type(value).__name__})")
    return value


def parse(text: str) -> Manifest:
    """Read a manifest, naming the first field that is missing or wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"manifest.json: not JSON ({error.msg}, line {error.lineno})"
        ) from error
    if not isinstance(data, dict):
        raise ManifestError("manifest.json: not a JSON object")
    if data.get("format") != FORMAT:
        raise ManifestError(f"format: {data.get('format')!r} is not {FORMAT!r}")
    state = _need(data, "state", dict, "")
    tables = _need(state, "tables", dict, "state.")
    for table, count in tables.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ManifestError(f"state.tables.{table}: not a row count")
    seq = state.get("audit_seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
        raise ManifestError("state.audit_seq: wrong type")
    stored = _need(data, "database", dict, "")
    return Manifest(
        created_at=_need(data, "created_at", str, ""),
        vendor=_need(data, "vendor", str, ""),
        server_version=_need(data, "server_version", str, ""),
        versions={str(k): str(v) for k, v in _need(data, "versions", dict, "").items()},
        state=State(
            tables=dict(tables),
            audit_seq=seq,
            audit_hash=_need(state, "audit_hash", str, "state."),
            migrations=[str(m) for m in _need(state, "migrations", list, "state.")],
        ),
        database=StoredFile(
            name=_safe_name(_need(stored, "name", str, "database.")),
            bytes=_need(stored, "bytes", int, "database."),
            sha256=_need(stored, "sha256", str, "database."),
            plain_sha256=stored.get("plain_sha256", "") or "",
        ),
        encrypted_to=[str(r) for r in data.get("encrypted_to") or []],
    )


def _safe_name(name: str) -> str:
    """A file name inside the backup directory, never a path out of it."""
    if not name or "/" in name or "\\" in name or name in {".", ".."}:
        raise ManifestError(f"database.name: {name!r} is not a file name")
    return name


def state_problems(expected: State, found: State) -> list[str]:
    """Every difference between the state a manifest promises and the one a restore found."""
    problems = []
    for table in sorted(set(expected.tables) | set(found.tables)):
        want, got = expected.tables.get(table), found.tables.get(table)
        if want is None:
            problems.append(f"table {table}: not in the backup, but {got} rows restored")
        elif got is None:
            problems.append(f"table {table}: missing after restore ({want} rows expected)")
        elif want != got:
            problems.append(f"table {table}: {got} rows restored, {want} expected")
    if (expected.audit_seq, expected.audit_hash) != (found.audit_seq, found.audit_hash):
        problems.append(
            f"audit head: seq {found.audit_seq} {found.audit_hash[:16]} restored, "
            f"seq {expected.audit_seq} {expected.audit_hash[:16]} expected"
        )
    missing = sorted(set(expected.migrations) - set(found.migrations))
    extra = sorted(set(found.migrations) - set(expected.migrations))
    if missing:
        problems.append(f"migrations missing after restore: {', '.join(missing[:5])}")
    if extra:
        problems.append(f"migrations not in the backup: {', '.join(extra[:5])}")
    return problems


def unknown_migrations(backup: list[str], code: list[str]) -> list[str]:
    """Migrations the backup has applied that this version of the code does not know: the
    backup is from a newer version, and restoring it under this one would be unsafe."""
    return sorted(set(backup) - set(code))
