"""Date-time inputs follow the clinic's calendar: a Jalali clinic types Jalali dates (Persian
digits too) and gets the right UTC instant; a Gregorian clinic types as before.

Reference days: Nowruz (1 Farvardin) 1404 was Friday 21 March 2025 and 1 Farvardin 1403 was
Wednesday 20 March 2024; Tehran keeps UTC+03:30 all year since 2022 (no daylight saving)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django import forms
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from autologic.common.domain.calendars import Calendar, parse_datetime
from autologic.common.domain.errors import ValidationFailed
from autologic.common.forms import ClinicDateField, LocalDateTimeField

TEHRAN = "Asia/Tehran"


@pytest.mark.parametrize(
    "typed",
    [
        "1404/01/01 10:30",
        "۱۴۰۴/۰۱/۰۱ ۱۰:۳۰",
        "١٤٠٤/٠١/٠١ ١٠:٣٠",
        " 1404/1/1  10:30 ",
        "2025-03-21T10:30",
    ],
)
def test_a_jalali_clinic_types_jalali_date_times(typed):
    field = LocalDateTimeField(label="Collected at", zone=TEHRAN, calendar=Calendar.JALALI)
    assert field.clean(typed) == datetime(2025, 3, 21, 7, 0, tzinfo=UTC)


def test_nowruz_1403_fell_on_20_march_2024():
    assert parse_datetime("1403/01/01 00:00", Calendar.JALALI) == datetime(2024, 3, 20, 0, 0)


@pytest.mark.parametrize("typed", ["2025-03-21 10:30", "2025-03-21T10:30", "21.03.2025 10:30"])
def test_a_gregorian_clinic_types_as_before(typed):
    field = LocalDateTimeField(zone="Europe/Berlin")
    assert field.clean(typed) == datetime(2025, 3, 21, 9, 30, tzinfo=UTC)


def test_a_gregorian_slashed_date_is_not_read_as_jalali():
    with pytest.raises(forms.ValidationError):
        LocalDateTimeField(zone="UTC").clean("1404/01/01 10:30")  # year 1404 is out of range


def test_a_stored_time_shows_in_the_sites_calendar_and_zone():
    field = LocalDateTimeField(zone=TEHRAN, calendar=Calendar.JALALI)
    assert field.prepare_value(datetime(2025, 3, 21, 7, 0, tzinfo=UTC)) == "1404/01/01 10:30"
    html = field.widget.render(
        "collected_at", field.prepare_value(datetime(2025, 3, 21, 7, tzinfo=UTC))
    )
    assert 'value="1404/01/01 10:30"' in html and 'placeholder="1405/01/01 14:30"' in html


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1404/01/01", "This is not a date and time; type it like 1405/01/01 14:30."),
        ("tomorrow 10:00", "This is not a date and time; type it like 1405/01/01 14:30."),
        ("1404/12/31 10:00", "1404/12/31 is not a real date."),  # 1404 is not a leap year
        ("1404/01/01 24:10", "24:10 is not a real time."),
        ("1300/01/01 10:00", "Enter a time from 1378/10/11 to 1579/10/10."),
    ],
)
def test_a_refused_time_names_the_field_and_the_reason(typed, reason):
    field = LocalDateTimeField(label="Collected at", zone=TEHRAN, calendar=Calendar.JALALI)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(typed)
    assert refused.value.messages == [f"Collected at: {reason}"]


def test_a_refused_date_names_the_field():
    field = ClinicDateField(label="Expires on", calendar=Calendar.JALALI)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("1404/13/01")
    assert refused.value.messages == ["Expires on: 1404/13/01 is not a real date."]


def test_the_persian_interface_gets_the_range_in_persian_digits():
    field = LocalDateTimeField(label="Onset", zone=TEHRAN, calendar=Calendar.JALALI)
    with translation.override("fa"), pytest.raises(forms.ValidationError) as refused:
        field.clean("۱۳۰۰/۰۱/۰۱ ۱۰:۰۰")
    assert "۱۳۷۸/۱۰/۱۱" in refused.value.messages[0]


def test_the_domain_refuses_with_codes():
    with pytest.raises(ValidationFailed) as refused:
        parse_datetime("1404/01/01 7", Calendar.JALALI)
    assert refused.value.code == "invalid_datetime"


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2200, 12, 30)),
    calendar=st.sampled_from(list(Calendar)),
    # Zones without daylight saving in the range: a repeated local hour cannot read back.
    zone=st.sampled_from(["Asia/Dubai", "Asia/Kolkata", "UTC"]),
)
def test_what_is_shown_reads_back_as_the_same_minute(moment, calendar, zone):
    field = LocalDateTimeField(zone=zone, calendar=calendar)
    instant = moment.replace(second=0, microsecond=0, tzinfo=UTC)
    assert field.clean(field.prepare_value(instant)) == instant
