"""The production deployment of docs/operations.md §1, as an operator brings it up: nginx with
the guide's own site file (deploy/nginx/autologic.conf) ends TLS in front of `autologic serve`
(gunicorn, two workers, production mode). A staff member made with `autologic createstaff`
signs in for the first time over HTTPS: password, then enrolling an authenticator from the key
the page shows, then a page of the clinic.

It checks what the proxy is there for:
- the browser is sent from HTTP to HTTPS, and the app itself sends a request that did not come
  through the proxy there too (its probes excepted);
- cookies are Secure and HttpOnly, HSTS is set, and CSRF passes for the public origin;
- a request's id is the same in nginx's log, gunicorn's log and the response header;
- neither log holds a portal token or a query string.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from string import Template
from urllib.parse import urlencode, urlsplit

import pytest
from django_otp.oath import totp

from tests.operations.test_serving import production
from tests.outbox.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = ROOT / "deploy" / "nginx" / "autologic.conf"
HOST = "localhost"
PASSWORD = "an-operator-typed-Passw0rd!"
PORTAL_TOKEN = "a-portal-token-that-must-never-be-logged-0123456789"
SEARCHED = "Ziegenhagen"


@dataclass
class Browser:
    """One browser over HTTPS: its cookies, and the certificate it trusts."""

    port: int
    context: ssl.SSLContext
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)

    def ask(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPSConnection(HOST, self.port, context=self.context, timeout=60)
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}:{self.port}"
            headers["Referer"] = f"https://{HOST}:{self.port}{path}"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            form.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
            body = urlencode(form)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode()
            for value in answer.headers.get_all("Set-Cookie") or []:
                self.set_cookies.append(value)
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, text
        finally:
            connection.close()

    def follow(self, path: str) -> tuple[int, dict[str, str], str]:
        status, headers, text = self.ask("GET", path)
        while status in (301, 302):
            status, headers, text = self.ask("GET", local(headers["location"]))
        return status, headers, text


def local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def plain(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": HOST, **(headers or {})})
        answer = connection.getresponse()
        answer.read()
        return answer.status, answer.getheader("Location") or ""
    finally:
        connection.close()


def certificate(folder: Path) -> Path:
    """A self-signed certificate for localhost, as a clinic's own CA would issue."""
    folder.mkdir()
    subprocess.run(  # noqa: S603
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
            "-keyout",
            str(folder / "privkey.pem"),
            "-out",
            str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return folder


def nginx_config(root: Path, tls: Path, tls_port: int, http_port: int, upstream: int) -> Path:
    """The guide's site file filled in as its header says, inside a minimal nginx.conf."""
    site = Template(SITE_FILE.read_text()).safe_substitute(
        SERVER_NAME=HOST,
        PUBLIC_ORIGIN=f"https://{HOST}:{tls_port}",
        TLS_LISTEN=f"127.0.0.1:{tls_port}",
        HTTP_LISTEN=f"127.0.0.1:{http_port}",
        UPSTREAM=f"127.0.0.1:{upstream}",
        LOG_DIR=str(root),
        TLS_DIR=str(tls),
    )
    assert "${" not in "\n".join(
        line for line in site.splitlines() if not line.lstrip().startswith("#")
    ), "a placeholder of the site file was not filled in"
    (root / "autologic.conf").write_text(site)
    temp = root / "temp"
    temp.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers write the pytest tmp folder
    config = root / "nginx.conf"
    config.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {root}/nginx.pid;\n"
        f"error_log {root}/error.log warn;\nevents {{ worker_connections 64; }}\n"
        "http {\n"
        f"  access_log off;\n  client_body_temp_path {temp}/body;\n"
        f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n"
        f"  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
        f"  include {root}/autologic.conf;\n}}\n"
    )
    return config


def wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, log.read_text()
        try:
            plain(port, "/health")
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing answers on {port}"
            time.sleep(0.3)


def test_nginx_ends_tls_in_front_of_serve_as_the_guide_configures_it(tmp_path, databases):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        pytest.fail("nginx is not installed: `make servertools` installs it")
    tls_port, http_port, app_port = free_port(), free_port(), free_port()
    env = production(tmp_path, databases.new())
    env.update(
        {
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": f"https://{HOST}:{tls_port}",
            "AUTOLOGIC_PUBLIC_URL": f"https://{HOST}:{tls_port}",
            "AUTOLOGIC_PASSWORD": PASSWORD,
        }
    )
    command = [sys.executable, "-m", "autologic.cli"]
    for step in (
        ["migrate"],
        [
            "createstaff",
            "--username",
            "anna",
            "--role",
            "coordinator",
            "--site",
            "dus",
            "--site-name",
            "Düsseldorf",
            "--name",
            "Anna Weber",
        ],
    ):
        done = subprocess.run([*command, *step], env=env, capture_output=True, text=True)  # noqa: S603
        assert done.returncode == 0, done.stderr
    app_log, proxy_log = tmp_path / "server.log", tmp_path / "autologic.log"
    serve = [*command, "serve", "--bind", f"127.0.0.1:{app_port}", "--workers", "2"]
    with app_log.open("wb") as out:
        server = subprocess.Popen(serve, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    config = nginx_config(tmp_path, certificate(tmp_path / "tls"), tls_port, http_port, app_port)
    checked = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True)  # noqa: S603
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen([nginx, "-c", str(config)], stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for(app_port, server, app_log)
        wait_for(http_port, proxy, tmp_path / "error.log")
        context = ssl.create_default_context(cafile=str(tmp_path / "tls" / "fullchain.pem"))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        browser = Browser(tls_port, context)

        # HTTP at the proxy and at the app (a request that skipped the proxy) both go to HTTPS.
        status, location = plain(http_port, "/accounts/login/?next=/patients/")
        assert (status, location) == (
            301,
            f"https://{HOST}:{tls_port}/accounts/login/?next=/patients/",
        )
        status, location = plain(app_port, "/accounts/login/")
        assert status == 301 and location.startswith("https://"), (status, location)
        assert plain(app_port, "/health")[0] == 200  # the probes ask over plain HTTP

        # First sign-in over HTTPS: password, then enrol the authenticator the page offers.
        status, headers, page = browser.ask("GET", "/accounts/login/")
        assert status == 200, page[:300]
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        status, headers, page = browser.ask(
            "POST", "/accounts/login/", {"username": "anna", "password": PASSWORD}
        )
        assert status == 302, page[:500]  # CSRF passed for the public origin behind the proxy
        status, headers, page = browser.follow(local(headers["location"]))
        secret = re.search(r'data-testid="otp-secret">([A-Z2-7]+)<', page)
        assert status == 200 and secret, page[:500]
        key = base64.b32decode(secret.group(1) + "=" * (-len(secret.group(1)) % 8))
        status, headers, page = browser.ask(
            "POST", "/accounts/login/enrol/", {"token": f"{totp(key):06d}"}
        )
        assert status == 302, page[:500]
        assert any(c.startswith("sessionid=") for c in browser.set_cookies)
        assert all("Secure" in c and "HttpOnly" in c for c in browser.set_cookies), (
            browser.set_cookies
        )

        # A signed-in search: the id of the request is the same in all three places.
        status, headers, page = browser.ask("GET", f"/patients/?q={SEARCHED}")
        assert status == 200, page[:300]
        assert "Anna Weber" in page
        request_id = headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id  # nginx's $request_id

        # A patient's link through the proxy (an unknown token: refused, and still not logged).
        status, _headers, _page = browser.ask("GET", f"/p/{PORTAL_TOKEN}/")
        assert status in (403, 404, 410), status
    finally:
        proxy.terminate()
        proxy.wait(30)
        server.terminate()
        server.wait(30)

    nginx_lines = proxy_log.read_text().splitlines()
    app_lines = [json.loads(line) for line in app_log.read_text().splitlines() if line.strip()]
    searched = [line for line in nginx_lines if request_id in line]
    assert len(searched) == 1 and '"GET /patients/"' in searched[0], nginx_lines
    access = [line for line in app_lines if line.get("request_id") == request_id]
    assert any(line.get("path") == "/patients/" for line in access), app_lines
    everything = proxy_log.read_text() + app_log.read_text()
    assert PORTAL_TOKEN not in everything
    assert SEARCHED not in everything
    assert "/p/" not in proxy_log.read_text()
    print(
        f"\nTLS proxy: {len(nginx_lines)} nginx lines, {len(app_lines)} gunicorn lines; "
        f"request {request_id} joined; no token or query string logged"
    )
