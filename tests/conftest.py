"""Shared fixtures: a clinic, staff of every role, clients signed in with a second factor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts import actions as accounts
from autologic.accounts.models import Site, User
from autologic.accounts.roles import Role
from autologic.audit import triggers
from autologic.patients import actions as patients
from autologic.patients.models import Patient

PASSWORD = "correct-horse-battery-staple"
# Tables whose rows refer to append-only rows, emptied before them after a transactional test.
REFERRING_TABLES = ("billing_claim",)


@pytest.fixture(autouse=True)
def _append_only_audit(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every database test starts with the append-only triggers in place. A transactional test
    ends with Django's flush (TRUNCATE or DELETE), which the triggers would refuse, so its audit
    rows are removed with the triggers down first; the next test puts them back."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if not (marker or {"db", "transactional_db", "live_server"} & names):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & names
    )
    triggers.install(connection)
    yield
    if transactional:
        triggers.drop(connection)
        with connection.cursor() as cursor:
            # Rows that point at append-only rows go first (a claim names its invoice).
            for table in (*REFERRING_TABLES, *triggers.APPEND_ONLY_TABLES):
                cursor.execute(f"DELETE FROM {table}")


@pytest.fixture
def site(db: None) -> Site:
    """A Gregorian clinic in Berlin."""
    return accounts.create_site(
        code="ber",
        data={
            "name": "Test Clinic Berlin",
            "time_zone": "Europe/Berlin",
            "calendar": "gregorian",
            "currency": "EUR",
            "languages": ["en", "de", "es", "fa"],
            "default_language": "en",
            "mrn_prefix": "B",
        },
    )


@pytest.fixture
def jalali_site(db: None) -> Site:
    """A Jalali clinic in Tehran."""
    return accounts.create_site(
        code="thr",
        data={
            "name": "Test Clinic Tehran",
            "time_zone": "Asia/Tehran",
            "calendar": "jalali",
            "currency": "IRR",
            "languages": ["fa", "en"],
            "default_language": "fa",
            "mrn_prefix": "T",
        },
    )


@pytest.fixture
def make_staff(site: Site) -> Callable[..., User]:
    """Create a staff member of a role, with a confirmed authenticator."""

    def make(role: Role | str, *, at: Site | None = None, username: str | None = None) -> User:
        role = Role(role)
        user = accounts.create_staff(
            site=at or site,
            data={
                "username": username or f"{role.value}-{(at or site).code}",
                "first_name": role.value.title(),
                "last_name": "Tester",
                "email": "",
                "role": role.value,
            },
            password=PASSWORD,
        )
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


def signed_in(user: User) -> Client:
    """A client signed in with password and a verified second factor."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(make_staff: Callable[..., User]) -> Callable[[Role | str], Client]:
    """Return a verified client for a new staff member of the given role."""
    return lambda role: signed_in(make_staff(role))


@pytest.fixture
def physician(make_staff: Callable[..., User]) -> User:
    return make_staff(Role.PHYSICIAN)


@pytest.fixture
def patient(site: Site, physician: User) -> Patient:
    """One registered patient."""
    return patients.create_patient(site=site, data=patient_data(), by=physician)


def patient_data(**overrides: Any) -> dict[str, Any]:
    """Valid patient fields, as the form's cleaned data."""
    data: dict[str, Any] = {
        "mrn": "",
        "family_name": "Müller",
        "given_name": "Jürgen",
        "date_of_birth": date(1958, 4, 12),
        "sex": "male",
        "phone": "+49301234567",  # as the form stores it (E.164)
        "email": "",
        "address": "",
        "preferred_language": "de",
    }
    data.update(overrides)
    return data


@pytest.fixture
def protocols(db: None) -> dict[str, Any]:
    """The shipped protocol library, loaded; the active version of each protocol by code."""
    from autologic.protocols.actions import sync_protocols
    from autologic.protocols.models import ProtocolVersion

    report = sync_protocols()
    assert report.ok, report.refused
    return {
        row.code: row
        for row in ProtocolVersion.objects.filter(status="active").order_by("code", "version")
    }


def totp_now(user: User) -> str:
    """The user's current authenticator code, as the signer would type it."""
    from django_otp.oath import TOTP

    device = TOTPDevice.objects.get(user=user)
    return f"{TOTP(device.bin_key).token():06d}"


def band(patient: Patient) -> str:
    """The code of the patient's current wristband (what the bedside scanner reads)."""
    from autologic.patients.queries import current_wristband

    wristband = current_wristband(patient)
    assert wristband is not None
    return wristband.code
