"""Signings in a continuous session (21 CFR 11.200(a)(1)(i)): the first signing uses password
and authenticator code; later signings by the same user in the same session, within
AUTOLOGIC_SIGNING_WINDOW_MINUTES of that signing, use the password alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.roles import Role
from autologic.audit.actions import FULL_SIGNING_KEY, verify_signer
from autologic.audit.domain import parse_signing_window, within_signing_window
from autologic.audit.models import AuditEvent, Signature
from autologic.audit.queries import verify
from autologic.common import clock
from autologic.common.domain.errors import ValidationFailed
from autologic.patients.models import Consent
from tests.conftest import PASSWORD, signed_in, totp_now

CONSENT = {
    "kind": "research",
    "procedure": "",
    "form_version": "2026-1",
    "given_on": "2026-01-10",
    "signed_by": "Jürgen Müller",
    "signer_relation": "self",
}


def _session_of(client: Client) -> SessionStore:
    return SessionStore(session_key=client.session.session_key)


def _sign_consent(client: Client, patient, code: str = ""):
    return client.post(
        f"/patients/{patient.pk}/consents/new/",
        {**CONSENT, "password": PASSWORD, "otp_token": code},
    )


@pytest.fixture
def doctor(physician):
    return signed_in(physician)


def test_the_window_rule_counts_from_the_last_full_signing():
    signed = clock.now()
    assert within_signing_window(signed, signed + timedelta(minutes=30), 30)
    assert not within_signing_window(signed, signed + timedelta(minutes=30, seconds=1), 30)
    assert not within_signing_window(signed, signed - timedelta(seconds=1), 30)  # clock set back
    assert not within_signing_window(signed, signed, 0)  # 0: every signing needs the code
    assert parse_signing_window("15") == 15
    with pytest.raises(ValueError, match="whole number of minutes"):
        parse_signing_window("-5")


def test_first_signing_needs_the_code_later_ones_in_the_window_only_the_password(
    doctor, physician, patient
):
    refused = _sign_consent(doctor, patient)
    assert refused.status_code == 400
    assert refused.context["form"].errors["otp_token"] == [
        "Enter the code from your authenticator app."
    ]
    assert _sign_consent(doctor, patient, totp_now(physician)).status_code == 302
    assert _sign_consent(doctor, patient).status_code == 302
    assert _sign_consent(doctor, patient).status_code == 302
    assert Consent.objects.count() == 3
    signatures = list(Signature.objects.order_by("id"))
    assert [s.second_factor for s in signatures] == [True, False, False]
    events = AuditEvent.objects.filter(action="signature.apply").order_by("seq")
    assert [e.changes.get("continuous_session", False) for e in events] == [False, True, True]
    assert verify().ok


def test_after_the_window_the_code_is_needed_again(doctor, physician, patient, settings):
    settings.AUTOLOGIC_SIGNING_WINDOW_MINUTES = 30
    assert _sign_consent(doctor, patient, totp_now(physician)).status_code == 302
    session = _session_of(doctor)
    at = clock.now() - timedelta(minutes=31)
    session[FULL_SIGNING_KEY] = {**session[FULL_SIGNING_KEY], "at": at.isoformat()}
    session.save()
    refused = _sign_consent(doctor, patient)
    assert refused.status_code == 400 and "otp_token" in refused.context["form"].errors
    assert Consent.objects.count() == 1


def test_a_window_of_zero_asks_for_the_code_at_every_signing(doctor, physician, patient, settings):
    settings.AUTOLOGIC_SIGNING_WINDOW_MINUTES = 0
    assert _sign_consent(doctor, patient, totp_now(physician)).status_code == 302
    assert _sign_consent(doctor, patient).status_code == 400


def test_the_password_is_still_checked_in_the_window(doctor, physician, patient):
    assert _sign_consent(doctor, patient, totp_now(physician)).status_code == 302
    response = doctor.post(
        f"/patients/{patient.pk}/consents/new/", {**CONSENT, "password": "wrong", "otp_token": ""}
    )
    assert response.status_code == 400 and "password" in response.context["form"].errors
    assert AuditEvent.objects.filter(action="signature.refused", changes__field="password").exists()


def test_another_signer_at_the_owners_screen_always_gives_the_code(
    doctor, physician, patient, make_staff
):
    """The window belongs to the session's owner: a second signer typing on that screen has no
    continuous session of their own."""
    nurse = make_staff(Role.NURSE)
    assert _sign_consent(doctor, patient, totp_now(physician)).status_code == 302
    session = _session_of(doctor)
    with pytest.raises(ValidationFailed) as refused:
        verify_signer(nurse, password=PASSWORD, otp_token="", session=session)
    assert refused.value.field == "otp_token"
    assert verify_signer(nurse, password=PASSWORD, otp_token=totp_now(nurse), session=session)
    # ... and their full signing opens no window in the owner's session for them.
    with pytest.raises(ValidationFailed):
        verify_signer(nurse, password=PASSWORD, otp_token="", session=_session_of(doctor))
    owner = verify_signer(physician, password=PASSWORD, otp_token="", session=session)
    assert owner.continuous_session and not owner.second_factor


def test_a_new_session_restarts_the_rule(physician, patient):
    first = signed_in(physician)
    assert _sign_consent(first, patient, totp_now(physician)).status_code == 302
    second = signed_in(physician)  # the same person signed in elsewhere: another session
    assert _sign_consent(second, patient).status_code == 400
    # Signing in again rotates the session key: a new continuous session begins.
    signed = first.post("/accounts/login/", {"username": physician.username, "password": PASSWORD})
    assert signed.status_code == 302
    assert FULL_SIGNING_KEY not in _session_of(first)
    assert _sign_consent(first, patient).status_code == 400
    first.post("/accounts/logout/")
    after = _sign_consent(first, patient)
    assert after.status_code == 302 and after.url.startswith("/accounts/login/")
    assert Consent.objects.count() == 1


def test_a_reset_authenticator_ends_the_window(doctor, physician, patient):
    assert _sign_consent(doctor, patient, totp_now(physician)).status_code == 302
    TOTPDevice.objects.filter(user=physician).delete()
    TOTPDevice.objects.create(user=physician, name="new phone", confirmed=True)
    with pytest.raises(ValidationFailed) as refused:
        verify_signer(physician, password=PASSWORD, otp_token="", session=_session_of(doctor))
    assert refused.value.code == "otp_required"


def test_a_code_used_a_moment_ago_is_refused_as_just_used(doctor, physician, patient):
    code = totp_now(physician)
    assert _sign_consent(doctor, patient, code).status_code == 302
    replayed = _sign_consent(doctor, patient, code)
    assert replayed.status_code == 400
    assert replayed.context["form"].errors["otp_token"] == [
        "This code was just used; wait for the next code."
    ]
    wrong = _sign_consent(doctor, patient, "000000" if code != "000000" else "111111")
    assert wrong.context["form"].errors["otp_token"] == ["The authenticator code is not correct."]


def test_the_signing_form_says_when_the_code_is_needed(doctor, patient, settings):
    settings.AUTOLOGIC_SIGNING_WINDOW_MINUTES = 20
    page = doctor.get(f"/patients/{patient.pk}/consents/new/").content.decode()
    assert "for 20 minutes after a signing with it, your password alone signs" in page
