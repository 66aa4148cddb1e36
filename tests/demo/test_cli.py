"""The `autologic` command end to end, on a throwaway SQLite file: demo twice, verify, tamper."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# Every test here runs the command on its own SQLite file (DATABASE_URL is removed), so the
# PostgreSQL run of the suite would repeat them unchanged: they run once, with the SQLite run.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgres" in os.environ.get("DATABASE_URL", ""),
        reason="the command runs on its own SQLite file whatever the suite's database is",
    ),
]


def autologic(data_dir: Path, *args: str, mode: str = "demo", extra: dict[str, str] | None = None):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"AUTOLOGIC_MODE": mode, "AUTOLOGIC_DATA_DIR": str(data_dir), **(extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "autologic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo")
    first = autologic(data_dir, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "demo-Autologic-2026" in first.stdout and "physician" in first.stdout
    return data_dir


def counts(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("patients_patient", "accounts_user", "accounts_site")
        )


def test_demo_seeds_a_clinic_and_running_it_again_duplicates_nothing(demo_dir):
    db = demo_dir / "autologic.sqlite3"
    before = counts(db)
    assert before[0] >= 50 and before[1] >= 14  # every role at both clinics
    again = autologic(demo_dir, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert counts(db) == before


def test_demo_links_follow_the_bind_address_or_the_public_url(demo_dir):
    bound = autologic(demo_dir, "demo", "--no-serve", "--bind", "192.0.2.10:9000")
    assert bound.returncode == 0, bound.stderr
    assert "http://192.0.2.10:9000/p/" in bound.stdout
    public = autologic(
        demo_dir,
        "demo",
        "--no-serve",
        "--bind",
        "192.0.2.10:9000",
        extra={"AUTOLOGIC_PUBLIC_URL": "https://demo.example.org"},
    )
    assert public.returncode == 0, public.stderr
    assert "https://demo.example.org/p/" in public.stdout and "192.0.2.10" not in public.stdout


def test_demo_database_uses_wal(demo_dir):
    with sqlite3.connect(demo_dir / "autologic.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_audit_verify_exits_0_and_then_1_after_tampering(demo_dir, tmp_path):
    db = tmp_path / "autologic.sqlite3"
    db.write_bytes((demo_dir / "autologic.sqlite3").read_bytes())
    (tmp_path / "demo-secret-key").write_text((demo_dir / "demo-secret-key").read_text())
    ok = autologic(tmp_path, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor_name = 'Mallory' WHERE seq = 7")
    broken = autologic(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at seq 7" in broken.stderr


def test_createstaff_opens_a_clinic_and_refuses_weak_passwords(tmp_path):
    migrate = autologic(
        tmp_path, "migrate", mode="test", extra={"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    )
    assert migrate.returncode == 0, migrate.stderr
    base = [
        "createstaff",
        "--username",
        "dr.new",
        "--role",
        "physician",
        "--site",
        "mad",
        "--site-name",
        "Clínica Madrid",
        "--time-zone",
        "Europe/Madrid",
    ]
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    weak = autologic(tmp_path, *base, mode="test", extra={**env, "AUTOLOGIC_PASSWORD": "123"})
    assert weak.returncode != 0 and "password" in weak.stderr
    good = autologic(
        tmp_path,
        *base,
        mode="test",
        extra={**env, "AUTOLOGIC_PASSWORD": "a-long-enough-passphrase"},
    )
    assert good.returncode == 0, good.stderr
    assert "Created dr.new (physician) at mad" in good.stdout


def test_the_cli_prints_help():
    result = subprocess.run(
        [sys.executable, "-m", "autologic.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "audit verify" in result.stdout
