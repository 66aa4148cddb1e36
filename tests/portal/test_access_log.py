"""`autologic serve` really runs gunicorn: its access and error logs never hold a portal token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from autologic.portal import actions
from autologic.portal.models import Link
from tests.outbox.conftest import free_port


def _database_url() -> str:
    """The test database, as the server process must reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=20)  # noqa: S310
            return
        except OSError:  # not listening yet
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def _request(url: str, *, data: bytes | None = None, referer: str = "") -> int:
    request = urllib.request.Request(
        url, data=data, headers={"Referer": referer} if referer else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


@pytest.mark.django_db(transaction=True)  # the server process must see the link
def test_access_log_never_holds_portal_tokens(baseline, nurse_user, fixed_clock, tmp_path: Path):
    issued = actions.issue_link(baseline, language="en", by=nurse_user, now=fixed_clock.now())
    # The server runs on the real clock, not the test's.
    Link.objects.filter(pk=issued.link.pk).update(expires_at=datetime.now(UTC) + timedelta(days=1))
    knee = baseline.course.regions.get(region="knee").pk
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "test",
            "DATABASE_URL": _database_url(),
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path),  # gunicorn's control socket: not a shared one
        }
    )
    out, err = (tmp_path / "access.log").open("wb"), (tmp_path / "error.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", "serve", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1"],
        env=env,
        stdout=out,
        stderr=err,
    )
    try:
        _wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        home = f"{base}/p/{issued.token}/"
        assert _request(home) == 200
        assert _request(f"{home}{knee}/NRS/", referer=home) == 200
        # No CSRF cookie: Django refuses the post and logs the path it refused.
        assert _request(f"{home}{knee}/NRS/answer/", data=b"item=PAIN&PAIN=3", referer=home) == 403
        assert _request(f"{base}/p/{'x' * 43}/") == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()
        err.close()
    logged = (tmp_path / "access.log").read_text() + (tmp_path / "error.log").read_text()
    assert issued.token not in logged
    assert "x" * 43 not in logged
    # The requests were logged, with the token cut out.
    assert logged.count('"GET /p/') >= 3 and '"POST /p/' in logged
    assert " 200 " in logged and " 403 " in logged and " 404 " in logged
