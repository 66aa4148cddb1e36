"""Administrators add staff, reset authenticators and change clinic settings; all audited."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.models import User
from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from tests.conftest import signed_in


@pytest.fixture
def admin(make_staff):
    return signed_in(make_staff(Role.ADMINISTRATOR))


STAFF = {
    "username": "n.rossi",
    "first_name": "Nadia",
    "last_name": "Rossi",
    "email": "",
    "role": "nurse",
    "password": "a-long-enough-passphrase",
}


def test_adding_staff_is_audited_and_the_new_person_has_no_authenticator_yet(admin, site):
    assert admin.post("/accounts/staff/new/", STAFF).status_code == 302
    user = User.objects.get(username="n.rossi")
    assert user.site == site and user.role == "nurse" and user.check_password(STAFF["password"])
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="staff.create", object_id=str(user.pk)).exists()
    assert "n.rossi" in admin.get("/accounts/staff/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "too short"),
        ("username", "a b", "letters, digits"),
        ("role", "superuser", "valid choice"),
    ],
)
def test_bad_staff_input_is_refused_on_its_field(admin, field, value, message):
    response = admin.post("/accounts/staff/new/", {**STAFF, field: value})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(username=STAFF["username"]).exists()


def test_resetting_an_authenticator_forces_enrolment_and_is_audited(admin, make_staff):
    nurse = make_staff(Role.NURSE)
    assert admin.post(f"/accounts/staff/{nurse.pk}/reset-2fa/").status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert AuditEvent.objects.filter(action="otp.reset", object_id=str(nurse.pk)).exists()


# The clinic settings form, filled in for a Tehran clinic.
TEHRAN = {
    "time_zone": "Asia/Tehran",
    "calendar": "jalali",
    "currency": "IRR",
    "languages": ["fa", "en"],
    "default_language": "fa",
    "mrn_prefix": "T",
}


def test_clinic_settings_change_calendar_and_are_audited(admin, site):
    assert admin.post("/accounts/clinic/", {**TEHRAN, "name": site.name}).status_code == 302
    site.refresh_from_db()
    assert (site.calendar, site.currency, site.time_zone) == ("jalali", "IRR", "Asia/Tehran")
    event = AuditEvent.objects.get(action="site.update")
    assert event.changes["calendar"] == ["gregorian", "jalali"]


def test_clinic_settings_refuse_an_unknown_zone_and_a_default_language_not_offered(admin, site):
    bad = {**TEHRAN, "name": site.name, "time_zone": "Mars/Olympus", "languages": ["de"]}
    response = admin.post("/accounts/clinic/", bad)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"time_zone", "default_language"}


def test_the_dashboard_uses_a_bounded_number_of_queries(admin, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert admin.get("/").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("last_name", "Rossi\u202e"), ("first_name", "Na\u200ddia"), ("first_name", "\u2066Nadia")],
)
def test_staff_names_refuse_bidi_overrides_and_zero_width(admin, field, value):
    response = admin.post("/accounts/staff/new/", {**STAFF, field: value})
    assert response.status_code == 400
    assert "invisible character" in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(username=STAFF["username"]).exists()


def test_the_clinic_name_printed_on_wristbands_refuses_zero_width(admin, site):
    response = admin.post("/accounts/clinic/", {**TEHRAN, "name": "Clinic\u200bBerlin"})
    assert response.status_code == 400
    assert "U+200B" in " ".join(response.context["form"].errors["name"])
