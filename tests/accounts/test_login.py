"""Sign-in: password, then a TOTP code; enrolment; lockout; audit of sessions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from tests.conftest import PASSWORD


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def nurse(make_staff):
    return make_staff(Role.NURSE)


def test_password_alone_does_not_open_the_app(nurse):
    client = Client()
    response = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/verify/")
    assert client.get("/").status_code == 302


def test_password_and_code_sign_in_and_are_audited(nurse):
    client = Client()
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=nurse)
    response = client.post(
        "/accounts/login/verify/", {"token": current_code(device), "next": "/patients/"}
    )
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(actor=nurse, action="session.start").count() == 1


def test_a_wrong_code_is_refused_with_a_field_message(nurse):
    client = Client()
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=nurse)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/login/verify/", {"token": wrong})
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert client.get("/").status_code == 302


def test_an_offsite_next_url_is_ignored(nurse):
    client = Client()
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=nurse)
    response = client.post(
        "/accounts/login/verify/", {"token": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_new_staff_enrol_an_authenticator_at_first_sign_in(site):
    from autologic.accounts import actions

    user = actions.create_staff(
        site=site,
        data={
            "username": "newbie",
            "first_name": "N",
            "last_name": "B",
            "email": "",
            "role": "nurse",
        },
        password=PASSWORD,
    )
    client = Client()
    response = client.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    assert response["Location"].startswith("/accounts/login/enrol/")
    page = client.get("/accounts/login/enrol/")
    assert page.status_code == 200 and b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/login/enrol/", {"token": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(actor=user, action="otp.enrol").exists()
    assert client.get("/").status_code == 200


def test_repeated_wrong_passwords_lock_the_account(nurse, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/", {"username": nurse.username, "password": "wrong-password-1"}
        )
    response = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode()


def test_logout_ends_the_session_and_is_audited(nurse):
    from tests.conftest import signed_in

    client = signed_in(nurse)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(actor=nurse, action="session.end").exists()


def test_pages_carry_a_content_security_policy_and_refuse_framing(nurse):
    from tests.conftest import signed_in

    response = signed_in(nurse).get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def _settings_in(mode: str, secret: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "AUTOLOGIC_MODE"}}
    env["AUTOLOGIC_MODE"] = mode
    env["DATABASE_URL"] = "sqlite:///:memory:"
    env["AUTOLOGIC_SMS_GATEWAY"] = "http"  # production refuses the log gateway by default
    if secret is not None:
        env["SECRET_KEY"] = secret
    code = (
        "import autologic.settings as s; "
        "print(s.PASSWORD_HASHERS[0], s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_AGE)"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("secret", [None, "", "changeme", "django-insecure-abc", "short"])
def test_production_refuses_to_start_without_a_real_secret(secret):
    result = _settings_in("production", secret)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_hashes_with_argon2_and_secures_cookies():
    result = _settings_in("production", "k" * 20 + "random-enough-for-this-check-123")
    assert result.returncode == 0, result.stderr
    hasher, session_secure, csrf_secure, idle = result.stdout.split()
    assert hasher.endswith("Argon2PasswordHasher")
    assert session_secure == "True" and csrf_secure == "True"
    assert int(idle) <= 1800


def test_failed_passwords_and_codes_are_audited(nurse):
    client = Client()
    client.post("/accounts/login/", {"username": nurse.username, "password": "wrong-password-2"})
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong-password-2"})
    assert AuditEvent.objects.filter(action="login.failed", actor=nurse).exists()
    assert AuditEvent.objects.filter(action="login.failed", object_id="nobody").exists()
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    client.post("/accounts/login/verify/", {"token": "000000"})
    assert AuditEvent.objects.filter(action="otp.failed", actor=nurse).exists()


def test_pages_behind_login_are_not_cached(nurse):
    from tests.conftest import signed_in

    response = signed_in(nurse).get("/")
    assert "no-store" in response["Cache-Control"]
