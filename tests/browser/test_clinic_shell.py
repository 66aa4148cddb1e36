"""A coordinator signs in with the second factor, registers a patient, sees the audit event,
and switches the interface to Persian (right-to-left)."""

from __future__ import annotations

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from autologic.accounts.roles import Role
from tests.browser.conftest import shot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{TOTP(device.bin_key).token():06d}"


def sign_in(page: Page, base: str, user) -> None:
    page.goto(f"{base}/patients/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=%2Fpatients%2F")
    shot(page, "01-login")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Authenticator code")
    page.fill("#id_token", code_for(user))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{base}/patients/")


def test_sign_in_register_patient_see_audit_and_switch_to_persian(page, live_server, make_staff):
    user = make_staff(Role.COORDINATOR)
    base = live_server.url
    sign_in(page, base, user)

    page.click("text=New patient")
    page.fill("#id_family_name", "Hoffmann")
    page.fill("#id_given_name", "Renate")
    page.fill("#id_date_of_birth", "1956-09-14")
    page.select_option("#id_sex", "female")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("h1")).to_have_text("Hoffmann, Renate")
    event = page.locator("[data-testid=audit-event]").filter(has_text="Patient registered")
    expect(event).to_contain_text(user.printed_name)
    expect(event).to_contain_text("Hoffmann")
    shot(page, "02-patient-chart")

    page.select_option("#language-select", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    sidebar = page.locator(".sidebar").bounding_box()
    assert sidebar is not None and sidebar["x"] > 600, "the sidebar moves to the right in RTL"
    shot(page, "03-patient-chart-fa")


def test_bad_input_shows_the_field_message_in_the_browser(page, live_server, make_staff):
    user = make_staff(Role.NURSE)
    sign_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/patients/new/")
    page.fill("#id_family_name", "Test")
    page.fill("#id_given_name", "Future")
    page.fill("#id_date_of_birth", "2199-01-01")  # in range, in the future
    page.select_option("#id_sex", "male")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#id_date_of_birth-error")).to_contain_text("future")
    expect(page.locator("#id_family_name")).to_have_value("Test")
