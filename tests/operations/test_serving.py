"""`autologic serve` as an operator runs it in production: on a new database it refuses until
`migrate` has run; then, on its own, it serves pages with their static files, and `/ready`
says so.  A real gunicorn with two workers, in production mode, behind a (pretend) TLS proxy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.outbox.conftest import free_port

pytestmark = pytest.mark.slow
METRICS_TOKEN = "the-monitoring-systems-token"


def production(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "production",
            "SECRET_KEY": "an-operator-chosen-secret-of-more-than-32-characters",
            "ALLOWED_HOSTS": "127.0.0.1",
            "AUTOLOGIC_BEHIND_PROXY": "1",
            "AUTOLOGIC_SMS_ALLOW_LOG": "1",
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "DATABASE_URL": url,
            "XDG_RUNTIME_DIR": str(tmp_path),  # gunicorn's control socket: not a shared one
            "AUTOLOGIC_METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    return env


def get(url: str, *, proxied: bool = True, token: str = "") -> tuple[int, bytes]:
    headers = {"X-Forwarded-Proto": "https"} if proxied else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as refused:
        return int(refused.code), refused.read()


def test_serve_refuses_until_migrated_then_serves_pages_with_their_static_files(
    tmp_path, databases
):
    env = production(tmp_path, databases.new())
    command = [sys.executable, "-m", "autologic.cli"]
    port = free_port()
    serve = [*command, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    refused = subprocess.run(serve, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert refused.returncode == 1
    assert "not applied" in refused.stderr and "autologic migrate" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1  # one line, no traceback
    migrated = subprocess.run(  # noqa: S603
        [*command, "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(serve, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                status, _body = get(f"{base}/health", proxied=False)
                break
            except OSError:  # not listening yet
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.3)
        assert status == 200  # probes over plain HTTP are not redirected to HTTPS
        status, body = get(f"{base}/ready", proxied=False)
        answer = json.loads(body)
        assert status == 200, answer
        assert answer["status"] == "ready"
        assert {
            name for name, check in answer["checks"].items() if check["status"] != "ok"
        } == set()
        assert set(answer["checks"]) >= {
            "database",
            "migrations",
            "triggers",
            "static_files",
            "task_queue",
            "outbox_lag",
            "outbox_failed",
        }
        status, page = get(f"{base}/accounts/login/")
        assert status == 200, page[:300]
        stylesheet = re.search(rb'href="(/static/autologic/app\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, "the login page names no hashed stylesheet"
        status, css = get(base + stylesheet.group(1).decode())
        assert status == 200 and len(css) > 1000
        # Request metrics add up over both workers: /ready was asked once above, 9 times here.
        for _ in range(9):
            assert get(f"{base}/ready", proxied=False)[0] == 200
        status, text = get(f"{base}/metrics", token=METRICS_TOKEN)
        assert status == 200
        counts = {
            tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text.decode())
            for sample in family.samples
            if sample.name == "django_http_requests_latency_seconds_by_view_method_count"
        }
        assert counts[(("method", "GET"), ("view", "ready"))] == 10
        assert (tmp_path / "metrics").is_dir()  # one file set per worker
    finally:
        server.terminate()
        server.wait(30)
