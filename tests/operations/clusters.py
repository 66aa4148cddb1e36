"""PostgreSQL clusters of a test's own (initdb on a free port, 127.0.0.1 only), for the drills
that need a server configured apart from the suite's: a streaming replica, WAL archiving."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def server_bin() -> Path:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        pytest.skip("PostgreSQL's server programs are not installed")
    return versions[-1].parent


def as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:  # the server refuses to run as root
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def run_as_postgres(*command: str, timeout: float = 120) -> str:
    done = subprocess.run(  # noqa: S603
        as_postgres(*command), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def start(bindir: Path, data: Path, port: int, log: Path, sockets: Path | None = None) -> None:
    """Start the cluster; its socket goes in ``sockets`` (the data folder when None)."""
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets or data}"
    )
    done = subprocess.run(  # noqa: S603
        as_postgres(
            str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + (log.read_text()[-3000:] if log.exists() else "")


def stop(bindir: Path, data: Path, mode: str = "fast") -> None:
    subprocess.run(  # noqa: S603
        as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", mode, "stop"),
        capture_output=True,
        timeout=60,
    )
