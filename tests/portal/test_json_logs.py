"""Structured logs from a real `autologic serve`: every line of both of gunicorn's streams is a
JSON object; access lines and application lines carry the request id the client got back; and
no line holds the patient's name, MRN, birth date or portal token, though staff searched for the
patient by name, opened the chart, and the patient used (and mistyped) the portal link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from autologic.portal import actions
from autologic.portal.models import Link
from tests.conftest import signed_in
from tests.outbox.conftest import free_port
from tests.portal.test_access_log import _database_url, _wait_for


def _get(url: str, *, cookie: str = "", request_id: str = "", data: bytes | None = None):
    headers = {}
    if cookie:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    if request_id:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return int(answer.status), answer.headers.get("X-Request-ID", "")
    except urllib.error.HTTPError as refused:
        return int(refused.code), refused.headers.get("X-Request-ID", "")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the server process must see the records
def test_logs_are_json_lines_with_request_ids_and_no_patient_data(
    baseline, nurse_user, fixed_clock, tmp_path: Path
):
    issued = actions.issue_link(baseline, language="en", by=nurse_user, now=fixed_clock.now())
    Link.objects.filter(pk=issued.link.pk).update(expires_at=datetime.now(UTC) + timedelta(days=1))
    patient = baseline.course.patient
    session = signed_in(nurse_user).cookies[settings.SESSION_COOKIE_NAME].value
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "test",
            "AUTOLOGIC_LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": _database_url(),
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path),
        }
    )
    out, err = (tmp_path / "out.log").open("wb"), (tmp_path / "err.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=out,
        stderr=err,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(port, server)
        search = f"{base}/patients/?q={quote(patient.family_name)}"
        assert _get(search, cookie=session, request_id="walk-0001-search") == (
            200,
            "walk-0001-search",
        )
        assert _get(f"{base}/patients/?q={patient.mrn}", cookie=session)[0] == 200
        assert _get(f"{base}/patients/{patient.pk}/", cookie=session)[0] == 200
        home = f"{base}/p/{issued.token}/"
        assert _get(home)[0] == 200
        # A refused post (no CSRF cookie) and a mistyped link: Django logs both, with the path.
        refused, refused_id = _get(f"{home}answer/", data=b"PAIN=3")
        assert refused in {403, 404} and len(refused_id) == 32
        mistyped = issued.token[:-1] + ("Q" if issued.token[-1] != "Q" else "R")
        assert _get(f"{base}/p/{mistyped}/")[0] == 404
        # An id a proxy sends that could break a log line is replaced by our own.
        status, replaced = _get(f"{base}/health", request_id='x" injected')
        assert status == 200 and replaced != 'x" injected' and len(replaced) == 32
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()
        err.close()
    lines = [
        line
        for name in ("out.log", "err.log")
        for line in (tmp_path / name).read_text().splitlines()
        if line.strip()
    ]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert {r["path"] for r in access} >= {"/patients/", f"/patients/{patient.pk}/", "/health"}
    (searched,) = [r for r in access if r["request_id"] == "walk-0001-search"]
    assert searched["status"] == 200 and searched["method"] == "GET"
    # Django's own line about the refused request carries the id the client got back.
    django_lines = [
        r for r in records if r["request_id"] == refused_id and r["logger"] != "gunicorn.access"
    ]
    assert django_lines, records
    assert {r["logger"] for r in django_lines} <= {"django.request", "django.security.csrf"}
    assert any("[token]" in r["message"] for r in django_lines), django_lines
    logged = "\n".join(lines)
    for secret in (
        issued.token,
        issued.token[:-1],
        patient.family_name,
        patient.given_name,
        patient.mrn,
        patient.date_of_birth.isoformat(),
    ):
        assert secret not in logged, secret
