"""Phone numbers are validated and normalised to E.164 before anything is sent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autologic.common.domain.errors import ValidationFailed
from autologic.common.domain.phones import region_for_zone, to_e164


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("+49 30 1234567", "DE", "+49301234567"),
        ("0049 (30) 123-4567", "DE", "+49301234567"),
        ("612 345 678", "ES", "+34612345678"),
        ("050 123 4567", "AE", "+971501234567"),
        ("0912 345 6789", "IR", "+989123456789"),
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "IR", "+989123456789"),  # typed with Persian digits
        ("+34 612 345 678", "IR", "+34612345678"),  # a foreign number with its country code
        ("+49 30 1234567", None, "+49301234567"),
    ],
)
def test_phone_numbers_are_stored_e164(text, region, e164):
    assert to_e164(text, region) == e164


@pytest.mark.parametrize(
    ("text", "region", "code"),
    [
        ("+34 1", "ES", "invalid_phone"),
        ("+49 1", "DE", "invalid_phone"),
        ("12", "DE", "invalid_phone"),
        ("call me", "DE", "invalid_phone"),
        ("", "DE", "invalid_phone"),
        ("030 1234567", None, "phone_needs_country"),
        ("+999 1234567", None, "invalid_phone"),
        ("1" * 300, "DE", "invalid_phone"),
    ],
)
def test_phone_numbers_that_do_not_parse_are_refused_naming_the_field(text, region, code):
    with pytest.raises(ValidationFailed) as refused:
        to_e164(text, region)
    assert refused.value.code == code
    assert refused.value.field == "phone"


@given(st.text(max_size=40), st.sampled_from(["DE", "ES", "AE", "IR", None]))
def test_phone_numbers_are_stored_e164_or_refused(text, region):
    try:
        number = to_e164(text, region)
    except ValidationFailed as refused:
        assert refused.code in {"invalid_phone", "phone_needs_country"}
    else:
        assert number.startswith("+") and number[1:].isdigit() and len(number) <= 16
        assert to_e164(number, None) == number  # E.164 reads back as itself


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("Europe/Berlin", "DE"),
        ("Europe/Madrid", "ES"),
        ("Atlantic/Canary", "ES"),
        ("Asia/Dubai", "AE"),
        ("Asia/Tehran", "IR"),
        ("UTC", None),
        ("Not/AZone", None),
    ],
)
def test_the_clinics_time_zone_gives_the_region_of_numbers_typed_without_plus(zone, region):
    assert region_for_zone(zone) == region


def test_stored_numbers_are_shown_in_international_format():
    from autologic.common.domain.phones import display_phone

    assert display_phone("+492111234567") == "+49 211 1234567"
    assert display_phone("+982112345678") == "+98 21 1234 5678"
    assert display_phone("0211 typed before checks") == "0211 typed before checks"
