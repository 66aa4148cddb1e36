"""Phone numbers: read as the clinic's staff type them, stored and sent in E.164."""

from __future__ import annotations

import phonenumbers
from babel.core import get_global

from autologic.common.domain.errors import ValidationFailed

MAX_TYPED = 64  # longer text is no phone number; phonenumbers itself stops at 250


def region_for_zone(time_zone: str) -> str | None:
    """The country (ISO 3166 code) of a clinic's time zone, for numbers typed without +."""
    region = get_global("zone_territories").get(time_zone)
    return region if isinstance(region, str) and region.isalpha() else None


def to_e164(text: str, region: str | None) -> str:
    """The number in E.164 (``+49301234567``), read with the clinic's region when it is typed
    without +; refuses anything that is not a valid number, naming the field ``phone``."""
    typed = " ".join(str(text).split())
    if not typed or len(typed) > MAX_TYPED:
        raise _invalid(typed[:MAX_TYPED])
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException as exc:
        no_country = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
        if no_country and region is None and not typed.startswith(("+", "00")):
            raise ValidationFailed(
                "phone_needs_country",
                "Type the number with its country code, e.g. +49 30 1234567.",
                "phone",
            ) from None
        raise _invalid(typed) from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid(typed)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _invalid(typed: str) -> ValidationFailed:
    return ValidationFailed(
        "invalid_phone",
        f"{typed} is not a valid phone number; a foreign number needs its country code (+…).",
        "phone",
        {"text": typed},
    )


def display_phone(e164: str) -> str:
    """Show a stored number in international format (+49 30 1234567); others unchanged."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
