"""Sign-in under attack: bursts of refused attempts, and the session key at each factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts import actions
from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.common import clock
from tests.accounts.test_login import current_code
from tests.conftest import PASSWORD


@pytest.fixture
def nurse(make_staff):
    return make_staff(Role.NURSE)


def _session_key(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(current_code(device)) + 1) % 1_000_000:06d}"


def test_otp_burst_is_one_audit_event_with_a_count(nurse, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # one wrong code holds the next for ten minutes
    client = Client()
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=nurse)
    first = client.post("/accounts/login/verify/", {"token": _wrong(device)})
    assert first.status_code == 400  # checked, wrong
    burst = [
        client.post(
            "/accounts/login/verify/", {"token": current_code(device) if n % 10 else "000000"}
        )
        for n in range(30)
    ]
    # The throttle holds: not even the right code is checked, and nobody gets in.
    assert {response.status_code for response in burst} == {429}
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="otp.failed", actor=nurse).count() == 1
    # The throttle runs out; the next code is checked, and the burst goes on the record once.
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(minutes=11)
    )
    signed_in = client.post("/accounts/login/verify/", {"token": current_code(device)})
    assert signed_in.status_code == 302 and client.get("/").status_code == 200
    (summary,) = AuditEvent.objects.filter(action="otp.throttled", actor=nurse)
    assert summary.changes["count"] == 30
    assert summary.changes["first_at"] <= summary.changes["last_at"]
    assert AuditEvent.objects.filter(action="otp.failed", actor=nurse).count() == 1
    assert summary.seq < AuditEvent.objects.get(action="session.start", actor=nurse).seq


def test_lockout_burst_is_one_audit_event_with_a_count(nurse, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/", {"username": nurse.username, "password": "wrong-password-1"}
        )
    assert AuditEvent.objects.filter(action="login.failed", actor=nurse).count() == 5
    for n in range(20):  # locked: refused without looking at the password, even the right one
        response = client.post(
            "/accounts/login/",
            {"username": nurse.username, "password": PASSWORD if n % 2 else "wrong-password-1"},
        )
        assert response.status_code == 429
    assert AuditEvent.objects.filter(action="login.failed", actor=nurse).count() == 5
    assert not AuditEvent.objects.filter(action="login.throttled").exists()  # burst still open
    closed = actions.close_quiet_bursts(now=clock.now() + actions.BURST_QUIET)
    assert closed == 1
    (summary,) = AuditEvent.objects.filter(action="login.throttled", actor=nurse)
    assert summary.changes["count"] == 20
    assert actions.close_quiet_bursts(now=clock.now() + actions.BURST_QUIET) == 0


def test_an_endless_burst_is_recorded_at_least_every_quarter_hour(nurse, fixed_clock):
    for _ in range(3):
        actions.record_throttled_attempt(
            step="otp", username=nurse.username, user=nurse, now=fixed_clock.now()
        )
    fixed_clock.current += actions.BURST_LONGEST
    actions.record_throttled_attempt(
        step="otp", username=nurse.username, user=nurse, now=fixed_clock.now()
    )
    (summary,) = AuditEvent.objects.filter(action="otp.throttled")
    assert summary.changes["count"] == 3
    actions.close_throttled_burst(step="otp", username=nurse.username, now=fixed_clock.now())
    assert [e.changes["count"] for e in AuditEvent.objects.filter(action="otp.throttled")] == [
        3,
        1,
    ]


def test_session_key_rotates_at_login_and_after_second_factor(nurse):
    client = Client()
    planted = client.session  # a session someone else may know the key of
    planted["probe"] = "x"
    planted.save()
    before = _session_key(client)
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    after_password = _session_key(client)
    assert after_password != before
    # Signing in with the password again (back button, second tab) rotates it again.
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    again = _session_key(client)
    assert again != after_password
    device = TOTPDevice.objects.get(user=nurse)
    client.post("/accounts/login/verify/", {"token": current_code(device)})
    after_code = _session_key(client)
    assert after_code != again
    assert client.get("/").status_code == 200
    for stale in (before, after_password, again):
        assert not SessionStore().exists(stale)


def test_session_key_rotates_after_enrolment(site):
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
    client.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    client.get("/accounts/login/enrol/")
    after_password = _session_key(client)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/accounts/login/enrol/", {"token": current_code(device)})
    assert _session_key(client) != after_password
    assert not SessionStore().exists(after_password)
    assert client.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)  # the worker's queue run closes connections
def test_the_worker_audits_a_burst_that_went_quiet(nurse, settings):
    # Nobody signs in after an attack: the worker's round still puts the burst on the record.
    import io

    from django.core.management import call_command

    settings.OTP_TOTP_THROTTLE_FACTOR = 600
    client = Client()
    client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    device = TOTPDevice.objects.get(user=nurse)
    client.post("/accounts/login/verify/", {"token": _wrong(device)})
    for _ in range(5):
        client.post("/accounts/login/verify/", {"token": "000000"})
    assert not AuditEvent.objects.filter(action="otp.throttled").exists()
    from autologic.common.domain.clock import FixedClock

    previous = clock.set_clock(FixedClock(clock.now() + timedelta(minutes=2)))
    try:
        call_command("worker", once=True, stdout=io.StringIO())
    finally:
        clock.set_clock(previous)
    (summary,) = AuditEvent.objects.filter(action="otp.throttled", actor=nurse)
    assert summary.changes["count"] == 5
