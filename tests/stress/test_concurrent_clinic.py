"""A busy clinic over HTTP: injections, wrong-patient attempts, collections and chart reads at once.

Issue 14: on PostgreSQL an injection locked the clinic row and then waited for the audit chain,
while a chart read held the chain and needed the clinic row; injections failed with "deadlock
detected", 9 of 18 wrong-patient refusals went unrecorded, and 67 of 120 collections failed.

Here a real gunicorn (several worker processes) serves the test database, and separate client
processes act at the same moment, each as its own signed-in user.  The test asserts 0 deadlocks,
0 server errors, every refusal audited, every injection and collection recorded, and an intact
audit chain.  It runs on PostgreSQL, where the deadlocks were, and on SQLite.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import timedelta
from http.cookiejar import Cookie, CookieJar
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.care import actions as care
from autologic.injections import actions as bedside
from autologic.injections.models import Administration
from autologic.lab.models import Collection, Unit
from autologic.patients import actions as patients
from tests.conftest import patient_data, signed_in, totp_now
from tests.injections.conftest import (  # noqa: F401
    a_freezer,
    fixed_clock,
    injection_form,
    knee,
    make_lot,
    manager,
    nurse,
    released,
    resources,
    sessions,
    start_course,
    tech,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# AUTOLOGIC_STRESS_SCALE=3 runs three times the people (the closing note's figures).
SCALE = int(os.environ.get("AUTOLOGIC_STRESS_SCALE", "1"))
INJECTIONS = 6 * SCALE  # patients whose first session is given, each by its own team
INTRUDERS = INJECTIONS  # wrong-patient attempts: half scanned, half signed and sent to the record
COLLECTIONS = 6 * SCALE  # courses whose collection is recorded
READERS = 6 * SCALE  # people opening the injected patients' charts
READS = 12  # charts each reader opens
WORKERS = 4  # gunicorn worker processes


@pytest.fixture
def freezer(site, resources, manager):
    """Room for every lot of the test: one 3x3 box per lot."""
    return a_freezer(
        site,
        resources,
        manager,
        boxes=INJECTIONS + 2,
        code="fz-stress",
        name="Stress freezer",
        now=timezone.now() - timedelta(days=30),
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1"
        return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _serve(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "autologic.settings_testing",
        "DATABASE_URL": _database_url(),
        "AUTOLOGIC_MODE": "test",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603 - the project's own server
        [
            sys.executable,
            "-m",
            "gunicorn",
            "autologic.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "120",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)  # noqa: S310
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("gunicorn did not start: " + log.read_text()[-2000:])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(session_key: str) -> tuple[urllib.request.OpenerDirector, CookieJar]:
    jar = CookieJar()
    jar.set_cookie(
        Cookie(
            0,
            settings.SESSION_COOKIE_NAME,
            session_key,
            None,
            False,
            "127.0.0.1",
            False,
            False,
            "/",
            True,
            False,
            None,
            False,
            None,
            None,
            {},
        )
    )
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect), jar


def _request(opener, url: str, data: dict[str, Any] | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)  # noqa: S310 - loopback test server
    if body is not None:
        request.add_header("Referer", url)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _csrf(opener, page: str) -> str:
    status, html = _request(opener, page)
    assert status == 200, (status, page)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, page
    return match.group(1)


def _client(job: dict[str, Any], base: str, barrier, results) -> None:
    """One person at one screen: GET the form (for its CSRF token), wait for all, then act."""
    opener, _jar = _opener(job["session"])
    token = _csrf(opener, base + job["page"]) if job.get("post") is not None else ""
    barrier.wait(timeout=120)
    statuses = []
    for _ in range(job.get("repeat", 1)):
        if job.get("post") is None:
            statuses.append(_request(opener, base + job["url"])[0])
        else:
            data = {**job["post"], "csrfmiddlewaretoken": token}
            statuses.append(_request(opener, base + job["url"], data)[0])
    results.put((job["kind"], statuses))


def _session_key(user) -> str:
    return signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value


def _ready_now(lot, nurse) -> tuple[Any, Unit]:
    """Issue and thaw the first session's unit just now (the server uses the real clock)."""
    first = sessions(lot)[0]
    unit = Unit.objects.get(reservations__appointment=first, reservations__ended_at__isnull=True)
    now = timezone.now()
    bedside.issue(first, unit.pk, by=nurse, now=now - timedelta(minutes=2))
    bedside.thaw(first, unit.pk, by=nurse, now=now - timedelta(minutes=1))
    unit.refresh_from_db()
    return first, unit


def test_busy_clinic_has_no_deadlock_no_server_error_and_every_refusal_audited(
    site, released, start_course, make_staff, physician, nurse, fixed_clock, tmp_path
):
    people = [
        patients.create_patient(
            site=site, data=patient_data(family_name=f"Stress{i}", given_name="Pat"), by=physician
        )
        for i in range(INJECTIONS + COLLECTIONS)
    ]
    ready = [_ready_now(released(who=p, injections=4), nurse) for p in people[:INJECTIONS]]
    to_collect = []
    for p in people[INJECTIONS:]:
        course = start_course(who=p, injections=4)
        assert care.schedule_course(course=course, by=physician, expected_version=1).ok
        to_collect.append(course)
    refusals_before = AuditEvent.objects.filter(action="bedside.refused").count()

    jobs: list[dict[str, Any]] = []
    for i, (session, unit) in enumerate(ready):
        operator = make_staff("physician", username=f"op-{i}")
        verifier = make_staff("nurse", username=f"ver-{i}")
        form = injection_form(session, unit, verifier.pk)
        page = f"/injections/sessions/{session.pk}/"
        jobs.append(
            {
                "kind": "inject",
                "session": _session_key(operator),
                "page": page,
                "url": page + "administer/",
                "post": form,
                "signers": {"otp_token": operator, "verifier_otp_token": verifier},
            }
        )
        # Someone at this patient's session scans the next patient's unit: a hard stop.
        other_unit = ready[(i + 1) % len(ready)][1]
        intruder = make_staff("physician", username=f"in-{i}")
        wrong = {**form, "unit": other_unit.identifier + other_unit.flags}
        witness = make_staff("nurse", username=f"wit-{i}")
        jobs.append(
            {
                "kind": "intrude",
                "session": _session_key(intruder),
                "page": page,
                "url": page + ("administer/" if i % 2 else "verify/"),
                "post": {**wrong, "verifier": witness.pk},
                "signers": {"otp_token": intruder, "verifier_otp_token": witness} if i % 2 else {},
            }
        )
    for i, course in enumerate(to_collect):
        collector = make_staff("lab_technician", username=f"lab-{i}")
        page = f"/lab/courses/{course.pk}/collect/"
        jobs.append(
            {
                "kind": "collect",
                "session": _session_key(collector),
                "page": page,
                "url": page,
                "post": {
                    # the form reads the clinic's wall-clock time
                    "collected_at": (timezone.now() - timedelta(minutes=5))
                    .astimezone(ZoneInfo(site.time_zone))
                    .strftime("%Y-%m-%dT%H:%M"),
                    "collected_by": collector.pk,
                    "volume_ml": "60",
                    "containers": "4",
                    "container_type": "10 mL glass-bead syringe",
                    "notes": "",
                },
            }
        )
    for i in range(READERS):
        reader = make_staff("coordinator", username=f"read-{i}")
        patient = ready[i % len(ready)][0].course.patient
        jobs.append(
            {
                "kind": "read",
                "session": _session_key(reader),
                "url": f"/patients/{patient.pk}/",
                "repeat": READS,
            }
        )
    log = tmp_path / "gunicorn.log"
    server, base = _serve(log)
    for job in jobs:  # codes last 30-60 s: take them once the server is up
        for field, signer in job.pop("signers", {}).items():
            job["post"][field] = totp_now(signer)
    try:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(len(jobs))
        results = context.Queue()
        clients = [
            context.Process(target=_client, args=(job, base, barrier, results)) for job in jobs
        ]
        for process in clients:
            process.start()
        outcome: dict[str, Counter[int]] = {}
        for _ in clients:
            kind, statuses = results.get(timeout=300)
            outcome.setdefault(kind, Counter()).update(statuses)
        for process in clients:
            process.join(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = log.read_text(errors="replace")
    deadlocks = served.count("deadlock detected")
    errors = sum(n for counts in outcome.values() for s, n in counts.items() if s >= 500)
    refusals = AuditEvent.objects.filter(action="bedside.refused").count() - refusals_before
    summary = {
        "database": connection.vendor,
        "attempts": {kind: sum(counts.values()) for kind, counts in outcome.items()},
        "statuses": {kind: dict(counts) for kind, counts in outcome.items()},
        "deadlocks": deadlocks,
        "server_errors": errors,
        "refusals_attempted": INTRUDERS,
        "refusals_audited": refusals,
        "unrecorded_refusals": INTRUDERS - refusals,
    }
    print("\nstress:", json.dumps(summary, sort_keys=True))
    assert deadlocks == 0, served[-3000:]
    assert errors == 0 and "Traceback" not in served, served[-3000:]
    assert outcome["inject"] == Counter({302: INJECTIONS}), summary
    assert outcome["collect"] == Counter({302: COLLECTIONS}), summary
    assert outcome["read"] == Counter({200: READERS * READS}), summary
    assert set(outcome["intrude"]) <= {400, 409}, summary
    assert refusals == INTRUDERS, summary
    assert Administration.objects.count() == INJECTIONS
    assert Collection.objects.filter(course__in=to_collect).count() == COLLECTIONS
    assert audit.verify().ok
