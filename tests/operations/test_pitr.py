"""Point-in-time recovery of PostgreSQL with pgBackRest (docs/operations.md, section 4; ADR 0012),
as an operator runs it, on a cluster of the test's own (initdb, a free port, 127.0.0.1 only):

WAL archived by `pgbackrest archive-push`, a full backup while a clinic registers patients
through the real action, then a recovery to a moment while it was writing
(`restore --type=time --target=…`). Afterwards every patient acknowledged two seconds before the
moment is there, none acknowledged after it, and `autologic audit verify` passes on the recovered
database. Runs with the suite's PostgreSQL only; bounded to about a minute.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.operations.clusters import run_as_postgres, server_bin, start, stop
from tests.operations.conftest import POSTGRES
from tests.operations.writer import autologic, open_clinic, write_through_a_moment
from tests.outbox.conftest import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not POSTGRES, reason="point-in-time recovery is PostgreSQL's"),
]
STANZA = "autologic"


def _mrns(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT mrn FROM patients_patient")}


def test_pgbackrest_recovers_the_clinic_to_a_moment(tmp_path):
    pgbackrest = shutil.which("pgbackrest")
    if pgbackrest is None:
        pytest.skip("pgBackRest is not installed (make pgtools)")
    bindir = server_bin()
    # Not under pytest's own temporary folder: the server's user must reach it.
    root = Path(tempfile.mkdtemp(prefix="autologic-pitr-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    # The socket lives apart from the data: a backup must not carry its lock file.
    data, sockets, port = root / "data", root / "run", free_port()
    config = root / "pgbackrest.conf"
    config.write_text(
        "[global]\n"
        f"repo1-path={root / 'repo'}\n"
        "repo1-retention-full=1\n"
        f"log-path={root / 'log'}\n"
        f"lock-path={root / 'lock'}\n"
        "start-fast=y\n"
        "log-level-console=warn\n"
        f"[{STANZA}]\n"
        f"pg1-path={data}\n"
        f"pg1-port={port}\n"
        f"pg1-socket-path={sockets}\n"
    )
    backrest = [pgbackrest, f"--config={config}", f"--stanza={STANZA}"]
    run_as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    run_as_postgres("mkdir", str(sockets))
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            "wal_level = replica\narchive_mode = on\n"
            f"archive_command = '{' '.join(backrest)} archive-push %p'\n"
        )
    url = f"postgres://postgres@127.0.0.1:{port}/autologic"
    try:
        start(bindir, data, port, root / "server.log", sockets)
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres") as conn:
            conn.autocommit = True
            conn.execute("CREATE DATABASE autologic")
        run_as_postgres(*backrest, "stanza-create")
        open_clinic(tmp_path, url, "pit")
        run_as_postgres(*backrest, "--type=full", "backup", timeout=300)

        moment = write_through_a_moment(tmp_path, url, settle=2.0)
        with psycopg.connect(url) as conn:
            conn.autocommit = True
            conn.execute("SELECT pg_switch_wal()")  # the segment holding the moment is archived
        run_as_postgres(*backrest, "check")  # waits until the current segment is in the archive
        stop(bindir, data)  # the mistake is found: the operator stops the server

        target = moment.at.strftime("%Y-%m-%d %H:%M:%S.%f+00")
        run_as_postgres(
            *backrest,
            "--delta",
            "--type=time",
            f"--target={target}",
            "--target-action=promote",
            "restore",
            timeout=300,
        )
        start(bindir, data, port, root / "server.log", sockets)
        deadline = time.monotonic() + 60
        while True:  # replaying the archive up to the moment, then promoted
            with psycopg.connect(url) as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:  # type: ignore[index]
                    break
            assert time.monotonic() < deadline, "the recovery did not finish"
            time.sleep(0.2)
        restored = _mrns(url)
        assert moment.settled <= restored <= moment.by_then
        assert len(moment.everything) > len(moment.by_then)
        verified = autologic(tmp_path, url, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        print(
            f"\npgbackrest PITR: {len(moment.everything)} patients acknowledged; recovered to "
            f"{target}: {len(restored)} there, {len(moment.settled)} acknowledged two seconds "
            f"before, {len(moment.by_then)} by then"
        )
    finally:
        stop(bindir, data)
        shutil.rmtree(root, ignore_errors=True)
