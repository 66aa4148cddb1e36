"""kill -9 without loss: a clinic's writes over HTTP against a real gunicorn (3 workers) while
its workers, or the whole server, are killed with SIGKILL at random moments, 20 times, and the
server is started again.

Five people write at once (tests/operations/write_mix.py): a coordinator registers patients, a
nurse types in paper questionnaires, a technician enters QC results, clinicians give injections
(issue, thaw, then the signed injection), and patients answer on their own links. Afterwards:

* every write that was acknowledged is there, and none is there twice;
* every registration, questionnaire, QC result and injection has its audit event, and the audit
  chain verifies;
* no unit is half-moved: its custody steps chain, its status is where they lead, a unit out of
  the freezer holds no slot, and a unit is administered exactly when an injection names it.

Runs on the suite's database (SQLite in WAL mode, or PostgreSQL), on 127.0.0.1 only; bounded to
20 kills and about a minute. The background worker and its reminders have their own loop
(test_worker_crash.py).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.audit.queries import verify
from autologic.care import actions as care
from autologic.care.models import Appointment
from autologic.injections.models import Administration
from autologic.injections.queries import administration_faults
from autologic.lab.models import QCResult, Unit
from autologic.lab.queries import custody_faults
from autologic.outcomes.models import Response
from autologic.patients import actions as patients
from autologic.patients.models import Patient
from autologic.portal import actions as portal
from autologic.portal.models import Link
from tests.care.conftest import NOW
from tests.conftest import patient_data, signed_in
from tests.injections.conftest import injection_form, knee, sessions
from tests.operations.conftest import GIVE, LOTS
from tests.operations.write_mix import (
    Outcome,
    Write,
    code_of,
    family_name,
    kept,
    redirected,
    work,
)
from tests.outbox.conftest import free_port
from tests.outcomes.conftest import hip
from tests.portal.test_access_log import _database_url

KILLS = 20
ASSESSED = 2  # courses whose questionnaires are typed in from paper
LINKS = 3  # courses whose patients answer on their own links


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


def _session(user) -> str:
    return signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value


def _key(user) -> bytes:
    return TOTPDevice.objects.get(user=user).bin_key


def _people(site, physician, prefix: str, count: int) -> list[Patient]:
    return [
        patients.create_patient(
            site=site,
            data=patient_data(family_name=f"{prefix}{family_name(i)[5:]}", given_name="Pat"),
            by=physician,
        )
        for i in range(count)
    ]


def _registrations(session: str) -> Iterator[Write]:
    for n in itertools.count():
        name = family_name(n)
        yield Write(
            kind="register",
            key=name,
            page="/patients/new/",
            url="/patients/new/",
            data=lambda name=name: {
                "family_name": name,
                "given_name": "Kim",
                "date_of_birth": "1970-01-01",
                "sex": "female",
                "preferred_language": "en",
            },
            session=session,
            ok=lambda answer: redirected(answer) and "/patients/" in answer.headers["Location"],
        )


def _injections(site, lots, make_staff) -> list[Write]:
    """The first session of each lot, ready to issue, thaw and give, each by its own pair."""
    writes = []
    for i, lot in enumerate(lots):
        first = sessions(lot)[0]
        unit = Unit.objects.get(
            reservations__appointment=first, reservations__ended_at__isnull=True
        )
        operator = make_staff("physician", username=f"crash-op-{i}")
        verifier = make_staff("nurse", username=f"crash-ver-{i}")
        keys = (_key(operator), _key(verifier))
        page = f"/injections/sessions/{first.pk}/"
        session = _session(operator)
        moves = [
            Write("move", move, page, f"{page}units/{unit.pk}/{move}/", dict, session, redirected)
            for move in ("issue", "thaw")
        ]
        form = injection_form(first, unit, verifier.pk)
        writes.append(
            Write(
                kind="give",
                key=first.pk,
                page=page,
                url=page + "administer/",
                data=lambda form=form, keys=keys: {
                    **form,
                    "otp_token": code_of(keys[0]),
                    "verifier_otp_token": code_of(keys[1]),
                },
                session=session,
                ok=redirected,
                before=moves,
            )
        )
    return writes


def _results(lots, session: str) -> Iterator[Write]:
    for n in itertools.count():
        lot = lots[n % len(lots)]
        value = str(1000 + n)
        yield Write(
            kind="qc",
            key=(lot.pk, value),
            page=f"/lab/lots/{lot.pk}/",
            url=f"/lab/lots/{lot.pk}/results/",
            data=lambda value=value: {
                "attribute": "il1ra",
                "value": value,
                "reason": f"repeat {value}",
            },
            session=session,
            ok=redirected,
        )


def _paper_forms(courses, session: str) -> Iterator[Write]:
    """NRS and KOOS (knee) or HOOS (hip) at every follow-up of each course, typed in today."""
    today = datetime.now(UTC).date().isoformat()
    for course in courses:
        for visit in Appointment.objects.filter(course=course, key__startswith="fu-").order_by(
            "pk"
        ):
            for region in course.regions.order_by("pk"):
                full = "KOOS" if region.region == "knee" else "HOOS"
                for instrument, answers in (("NRS", {"PAIN": "4"}), (full, _all_items(full))):
                    target = {"appointment": visit.pk, "region": region.pk}
                    target["instrument"] = instrument
                    page = f"/outcomes/patients/{course.patient_id}/enter/"
                    yield Write(
                        kind="assess",
                        key=(visit.pk, region.pk, instrument),
                        page=page + f"?appointment={visit.pk}&region={region.pk}"
                        f"&instrument={instrument}",
                        url=page,
                        data=lambda target=target, answers=answers: {
                            **target,
                            "completed_on": today,
                            **answers,
                        },
                        session=session,
                        ok=redirected,
                    )


def _all_items(instrument: str) -> dict[str, str]:
    from autologic.outcomes.domain import registry

    return {item.id: "1" for item in registry.get(instrument).items}


def _answers(links) -> Iterator[Write]:
    """Each item of each questionnaire on each link, answered once."""
    from autologic.outcomes.domain import registry

    for n, (link, token) in enumerate(links):
        for region_id, instrument in link.forms:
            for i, item in enumerate(registry.get(instrument).items):
                value = str(item.low + (n + i) % (item.high - item.low + 1))
                page = f"/p/{token}/{region_id}/{instrument}/"
                yield Write(
                    kind="answer",
                    key=(link.appointment_id, region_id, instrument, item.id, int(value)),
                    page=page,
                    url=page + "answer/",
                    data=lambda item=item.id, value=value: {"item": item, item: value},
                    session="",
                    ok=kept,
                )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the server processes must see the staff sessions
def test_acknowledged_writes_survive_kill_9_of_workers_and_server(
    site, released, make_lot, start_course, make_staff, physician, tech, fixed_clock, tmp_path
):
    followed = []
    for p in _people(site, physician, "Followed", ASSESSED + LINKS):
        course = start_course(who=p, regions=[knee(), hip()])
        assert care.schedule_course(course=course, by=physician, expected_version=1).ok
        followed.append(course)
    tested = []
    for p in _people(site, physician, "Tested", LOTS):
        fixed_clock.current = NOW  # each lot is made from the test's start
        tested.append(make_lot(who=p))
    lots = []
    for p in _people(site, physician, "Given", GIVE):
        fixed_clock.current = NOW
        lots.append(released(who=p, injections=4))
    nurse_user = make_staff(Role.NURSE, username="crash-nurse")
    links = []
    for course in followed[ASSESSED:]:
        baseline = Appointment.objects.get(course=course, key="fu-baseline")
        issued = portal.issue_link(baseline, language="en", by=nurse_user, now=fixed_clock.now())
        # The server runs on the real clock, not the test's.
        Link.objects.filter(pk=issued.link.pk).update(
            expires_at=datetime.now(UTC) + timedelta(days=1)
        )
        links.append((issued.link, issued.token))
    streams = {
        "register": _registrations(_session(make_staff(Role.COORDINATOR))),
        "assess": _paper_forms(followed[:ASSESSED], _session(nurse_user)),
        "qc": _results(tested, _session(tech)),
        "give": iter(_injections(site, lots, make_staff)),
        "answer": _answers(links),
    }
    before = Counter(AuditEvent.objects.values_list("action", flat=True))
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
    outcome, lock, stop = Outcome(), threading.Lock(), threading.Event()
    writers = [
        threading.Thread(
            target=work,
            args=(
                stream,
                lambda: server.base,
                outcome,
                lock,
                stop.is_set,
                lambda: time.sleep(0.05),
                settings.SESSION_COOKIE_NAME,
            ),
        )
        for stream in streams.values()
    ]
    for writer in writers:
        writer.start()

    def acknowledged() -> int:
        with lock:
            return sum(len(keys) for keys in outcome.acknowledged.values())

    rng = random.Random(20)
    kills = {"worker": 0, "server": 0}
    try:
        for _ in range(KILLS):
            # Each kill waits for writes since the last one, however loaded the machine is.
            since, waited = acknowledged(), time.monotonic() + 20
            while acknowledged() < since + 5 and time.monotonic() < waited:
                time.sleep(0.1)
            time.sleep(rng.uniform(0.2, 1.2))
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
            writer.join(60)
        server.stop()

    found: dict[str, list] = {
        "register": list(
            Patient.objects.filter(family_name__startswith="Crash").values_list(
                "family_name", flat=True
            )
        ),
        "assess": list(
            Response.objects.filter(staff_entered=True, status="submitted").values_list(
                "appointment_id", "region_id", "instrument"
            )
        ),
        "qc": list(
            QCResult.objects.filter(collection__in=tested, attribute="il1ra").values_list(
                "collection_id", "value"
            )
        ),
        "give": list(Administration.objects.values_list("appointment_id", flat=True)),
        "answer": [
            (r.appointment_id, r.region_id, r.instrument, item, value)
            for r in Response.objects.filter(staff_entered=False)
            for item, value in r.answers.items()
        ],
    }
    lost = {
        kind: sorted(set(outcome.acknowledged.get(kind, [])) - set(found[kind])) for kind in streams
    }
    duplicates = {
        kind: sorted(key for key, n in Counter(found[kind]).items() if n > 1) for kind in streams
    }
    print(
        f"\nkill -9 on {connection.vendor}: {kills['worker']} workers and {kills['server']} "
        "whole servers killed"
    )
    for kind in streams:
        acknowledged, cut_off, refused = outcome.count(kind)
        print(
            f"  {kind}: {acknowledged} acknowledged, {cut_off} cut off, {refused} refused; "
            f"{len(lost[kind])} lost, {len(duplicates[kind])} duplicates"
        )
    assert sum(kills.values()) == KILLS and kills["server"] >= 3
    assert lost == {kind: [] for kind in streams}
    assert duplicates == {kind: [] for kind in streams}
    least = {"register": 10, "assess": 10, "qc": 10, "give": 2, "answer": 10}
    for kind, n in least.items():
        assert outcome.count(kind)[0] >= n, (kind, outcome.count(kind), outcome.refused.get(kind))
    # Every write kept has its audit event, written in its own transaction.
    made = Counter(AuditEvent.objects.values_list("action", flat=True)) - before
    assert made["patient.create"] == len(found["register"])
    assert made["prom.submitted"] == len(found["assess"])
    assert made["qc.result"] == len(found["qc"])
    assert made["injection.given"] == len(found["give"])
    assert custody_faults() == []
    assert administration_faults() == []
    chain = verify()
    assert chain.ok, chain.reason
