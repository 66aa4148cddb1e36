"""kill -9 without loss: staff register patients over HTTP against a real gunicorn (3 workers)
while its workers, or the whole server, are killed with SIGKILL at random moments, 20 times,
and the server is started again. Afterwards:

* every registration that got its redirect (the 2xx/3xx acknowledgement) is there;
* none is there twice;
* every registered patient has its audit event, and the audit chain verifies.

Runs on the suite's database (SQLite in WAL mode, or PostgreSQL), on 127.0.0.1 only; bounded to
20 kills and about a minute. The background worker and its reminders have their own loop
(test_worker_crash.py); other writes are in neither yet (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.audit.queries import verify
from autologic.patients.models import Patient
from tests.conftest import signed_in
from tests.outbox.conftest import free_port
from tests.portal.test_access_log import _database_url

KILLS = 20
LETTERS = "bcdfghklmnprstvwz"


def _name(n: int) -> str:
    """A family name no one else has, of letters only (the name fields refuse digits)."""
    text = ""
    while True:
        n, digit = divmod(n, len(LETTERS))
        text += LETTERS[digit]
        if n == 0:
            return "Crash" + text


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.process = env, log, None  # type: ignore[var-annotated]
        self.base = ""

    def start(self) -> None:
        port = free_port()
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "autologic.cli", "serve", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "3"],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).ok:
                    self.base = f"http://127.0.0.1:{port}"
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("the server did not come up")

    def workers(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill_all(self) -> None:
        for pid in [self.process.pid, *self.workers()]:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill_all()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the server processes must see the staff session
def test_registrations_acknowledged_survive_kill_9_of_workers_and_server(
    site, make_staff, tmp_path
):
    session = signed_in(make_staff(Role.COORDINATOR)).cookies[settings.SESSION_COOKIE_NAME].value
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "test",
            "DATABASE_URL": _database_url(),
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path),
        }
    )
    server = Server(env, tmp_path / "server.log")
    server.start()
    acknowledged: list[str] = []
    unknown: list[str] = []  # the connection broke: saved or not, nobody was told
    counter = iter(range(10**9))
    lock, stop = threading.Lock(), threading.Event()

    def write() -> None:
        http = requests.Session()
        http.cookies.set(settings.SESSION_COOKIE_NAME, session)
        while not stop.is_set():
            with lock:
                name = _name(next(counter))
            base = server.base
            try:
                form = http.get(f"{base}/patients/new/", timeout=10)
            except requests.RequestException:  # down: nothing was sent yet
                time.sleep(0.05)
                continue
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            if form.status_code != 200 or token is None:
                continue
            try:
                answer = http.post(
                    f"{base}/patients/new/",
                    data={
                        "csrfmiddlewaretoken": token.group(1),
                        "family_name": name,
                        "given_name": "Kim",
                        "date_of_birth": "1970-01-01",
                        "sex": "female",
                        "preferred_language": "en",
                    },
                    headers={"Referer": f"{base}/patients/new/"},
                    timeout=10,
                    allow_redirects=False,
                )
            except requests.RequestException:
                with lock:
                    unknown.append(name)
                time.sleep(0.05)
                continue
            with lock:
                if answer.status_code == 302 and "/patients/" in answer.headers["Location"]:
                    acknowledged.append(name)
                elif answer.status_code >= 500:
                    unknown.append(name)

    writers = [threading.Thread(target=write) for _ in range(3)]
    for writer in writers:
        writer.start()
    rng = random.Random(20)
    kills = {"worker": 0, "server": 0}
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.2))
            pids = server.workers()
            if rng.random() < 0.7 and pids:
                os.kill(rng.choice(pids), signal.SIGKILL)  # the master starts another
                kills["worker"] += 1
            else:
                server.kill_all()
                kills["server"] += 1
                server.start()
        time.sleep(1.0)
    finally:
        stop.set()
        for writer in writers:
            writer.join(30)
        server.stop()
    names = list(
        Patient.objects.filter(family_name__startswith="Crash").values_list(
            "family_name", flat=True
        )
    )
    lost = sorted(set(acknowledged) - set(names))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    print(
        f"kill -9: {kills['worker']} workers and {kills['server']} whole servers killed; "
        f"{len(acknowledged)} registrations acknowledged, {len(unknown)} cut off; "
        f"{len(lost)} lost, {len(duplicates)} duplicates"
    )
    assert sum(kills.values()) == KILLS and kills["server"] >= 3
    assert len(acknowledged) >= 50, "too few writes to say anything"
    assert lost == []
    assert duplicates == []
    created = set(
        AuditEvent.objects.filter(action="patient.create").values_list("object_id", flat=True)
    )
    patients = Patient.objects.filter(family_name__startswith="Crash")
    assert {str(pk) for pk in patients.values_list("pk", flat=True)} <= created
    chain = verify()
    assert chain.ok, chain.reason
