"""Reads for reports go to a real streaming replica, and writes never do.

The test starts its own PostgreSQL primary (initdb, on a free port, trust and replication on
127.0.0.1 only) and a standby made from it with `pg_basebackup -R`, streaming on another port.
`autologic migrate` runs on the primary; then a process configured with DATABASE_URL (primary)
and DATABASE_REPLICA_URL (standby) writes and reads through the real code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.operations.clusters import run_as_postgres, server_bin, start, stop
from tests.operations.conftest import POSTGRES
from tests.outbox.conftest import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not POSTGRES, reason="a streaming replica is PostgreSQL's"),
]
WORKER = Path(__file__).with_name("replica_worker.py")


@pytest.fixture
def cluster() -> Iterator[tuple[str, str]]:
    bindir = server_bin()
    # Not under pytest's own temporary folder: the server's user must reach it.
    root = Path(tempfile.mkdtemp(prefix="autologic-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary, standby = root / "primary", root / "standby"
    p1, p2 = free_port(), free_port()
    run_as_postgres(
        str(bindir / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8"
    )
    started: list[Path] = []
    try:
        start(bindir, primary, p1, root / "primary.log")
        started.append(primary)
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{p1}/postgres", autocommit=True
        ) as c:
            c.execute("CREATE DATABASE autologic")
        run_as_postgres(
            str(bindir / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(p1),
            "-U",
            "postgres",
            "-D",
            str(standby),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        )
        start(bindir, standby, p2, root / "standby.log")
        started.append(standby)
        yield (
            f"postgres://postgres@127.0.0.1:{p1}/autologic",
            f"postgres://postgres@127.0.0.1:{p2}/autologic",
        )
    finally:
        for data in reversed(started):
            stop(bindir, data)
        shutil.rmtree(root, ignore_errors=True)


def test_reports_read_from_the_replica_and_writes_stay_on_the_primary(cluster, tmp_path):
    primary, standby = cluster
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "test",
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "DATABASE_URL": primary,
            "DATABASE_REPLICA_URL": standby,
            "DJANGO_SETTINGS_MODULE": "autologic.settings",
            "PYTHONPATH": str(Path(__file__).parents[2]),
        }
    )
    started = time.monotonic()
    migrated = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert migrated.returncode == 0, migrated.stderr
    worked = subprocess.run(  # noqa: S603
        [sys.executable, str(WORKER)], env=env, capture_output=True, text=True, timeout=300
    )
    assert worked.returncode == 0, worked.stderr
    report = json.loads(worked.stdout.strip().splitlines()[-1])
    assert report["replica_in_recovery"] is True  # a real standby
    # Outside replica_reads: the primary answers, the replica is not asked.
    on_primary, on_replica = report["plain_read"]
    assert on_primary >= 1 and on_replica == 0
    # The registry inside replica_reads: its reads on the replica, which had the patient.
    on_primary, on_replica = report["registry_read"]
    assert on_replica >= 2 and report["patients_seen_on_replica"] == 1
    # The write inside it went to the primary, and the replica saw only reads.
    assert report["primary_writes"] >= 2 and report["patients_on_primary"] == 2
    assert set(report["replica_sql"]) <= {"SELECT", "SET", "SHOW"}, report["replica_sql"]
    assert report["chain_ok"] is True
    print(f"replica routing: {report}, {time.monotonic() - started:.0f} s")
