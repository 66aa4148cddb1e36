"""`autologic demo`: the server and its worker stop together; patients' links follow the bind
address; every demo clinic has every role, with real names."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autologic.accounts.roles import Role
from autologic.demo import data
from autologic.demo.serving import public_url_for


def test_links_follow_the_bind_address():
    assert public_url_for("127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert public_url_for("192.168.1.20:8080") == "http://192.168.1.20:8080"
    assert public_url_for("0.0.0.0:8000") == f"http://{socket.getfqdn()}:8000"
    assert public_url_for("[::]:8000") == f"http://{socket.getfqdn()}:8000"


def test_every_demo_clinic_has_every_role_with_a_real_name():
    for site in data.SITES:
        staff = [row for row in data.STAFF if row[1] == site["code"]]
        assert {row[2] for row in staff} == {role.value for role in Role}, site["code"]
        for username, _site, role, given, family, _secret in staff:
            assert given and family and username not in (given, family) and role not in given
    secrets = [row[-1] for row in data.STAFF]
    usernames = [row[0] for row in data.STAFF]
    assert len(set(secrets)) == len(secrets) and len(set(usernames)) == len(usernames)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pids(tmp_path: Path, *names: str, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [tmp_path / name for name in names]
        if all(f.exists() and f.read_text().strip() for f in files):
            return [int(f.read_text()) for f in files]
        time.sleep(0.1)
    raise AssertionError("the children did not start")


def _demo_like(tmp_path: Path, server_exits: bool = False) -> subprocess.Popen[str]:
    """A process that runs a server and a worker the way `autologic demo` does; each child
    writes its pid, then sleeps (the server exits at once when ``server_exits``)."""
    server = f"echo $$ > {tmp_path}/server; " + ("exit 3" if server_exits else "exec sleep 120")
    worker = f"echo $$ > {tmp_path}/worker; exec sleep 120"
    code = (
        "import sys\n"
        "from autologic.demo.serving import serve_with_worker\n"
        f"sys.exit(serve_with_worker(['sh', '-c', {server!r}], ['sh', '-c', {worker!r}]))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], text=True)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_demo_stops_its_worker(tmp_path: Path, stop: signal.Signals):
    demo = _demo_like(tmp_path)
    server, worker = _pids(tmp_path, "server", "worker")
    assert _alive(server) and _alive(worker)
    demo.send_signal(stop)  # Ctrl-C, or a service manager's stop
    assert demo.wait(30) == 0
    assert not _alive(server) and not _alive(worker)


def test_a_server_that_ends_takes_the_worker_with_it(tmp_path: Path):
    demo = _demo_like(tmp_path, server_exits=True)
    (worker,) = _pids(tmp_path, "worker")
    assert demo.wait(30) == 3
    assert not _alive(worker)
