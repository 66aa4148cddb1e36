"""The shared date bound: every typed date and clinic time is in range or refused by name."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django import forms
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from autologic.common.domain.calendars import (
    DATE_RANGE,
    EVENT_TIME_RANGE,
    Calendar,
    check_date_range,
    parse_date,
)
from autologic.common.domain.errors import ValidationFailed
from autologic.common.forms import ClinicDateField, LocalDateTimeField
from autologic.lab.domain.storage import LoggerFileError, parse_logger_csv

REFUSALS = {"invalid_date", "impossible_date", "date_out_of_range"}
# The zones furthest ahead of and behind UTC, and the sites' own zones.
ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "Europe/Berlin", "Europe/Madrid", "Asia/Dubai"]


def typed(year: int, month: int, day: int, shape: str) -> str:
    return {
        "iso": f"{year:04d}-{month:02d}-{day:02d}",
        "slashed": f"{year:04d}/{month:02d}/{day:02d}",
        "dotted": f"{day:02d}.{month:02d}.{year:04d}",
    }[shape]


@settings(max_examples=300, deadline=None)
@given(
    year=st.integers(0, 9999),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    shape=st.sampled_from(["iso", "slashed", "dotted"]),
    calendar=st.sampled_from(list(Calendar)),
)
def test_extreme_dates_are_in_range_or_refused_by_name(year, month, day, shape, calendar):
    try:
        value = parse_date(typed(year, month, day, shape), calendar)
    except ValidationFailed as refused:
        assert refused.code in REFUSALS
        if refused.code == "date_out_of_range":
            assert set(refused.data) == {"earliest", "latest"}
    else:
        assert DATE_RANGE.earliest <= value <= DATE_RANGE.latest


@pytest.mark.parametrize(
    ("text", "calendar", "shown"),
    [
        ("0001-01-01", Calendar.GREGORIAN, ("1900-01-01", "2200-12-31")),
        ("0000-01-01", Calendar.GREGORIAN, ("1900-01-01", "2200-12-31")),
        ("31.12.9999", Calendar.GREGORIAN, ("1900-01-01", "2200-12-31")),
        ("1899-12-31", Calendar.JALALI, ("1900-01-01", "2200-12-31")),  # ISO is Gregorian
        ("1278/10/10", Calendar.JALALI, ("1278/10/11", "1579/10/10")),
        ("9999/12/29", Calendar.JALALI, ("1278/10/11", "1579/10/10")),
        ("0001/01/01", Calendar.JALALI, ("1278/10/11", "1579/10/10")),
    ],
)
def test_extreme_dates_name_the_range_in_the_calendar_typed(text, calendar, shown):
    with pytest.raises(ValidationFailed) as refused:
        parse_date(text, calendar)
    assert refused.value.code == "date_out_of_range"
    assert (refused.value.data["earliest"], refused.value.data["latest"]) == shown


def test_the_range_edges_are_accepted_in_both_calendars():
    assert parse_date("1900-01-01", Calendar.GREGORIAN) == date(1900, 1, 1)
    assert parse_date("2200-12-31", Calendar.GREGORIAN) == date(2200, 12, 31)
    assert parse_date("1278/10/11", Calendar.JALALI) == date(1900, 1, 1)
    assert parse_date("۱۵۷۹/۱۰/۱۰", Calendar.JALALI) == date(2200, 12, 31)


def test_the_persian_interface_shows_the_range_in_persian_digits():
    with pytest.raises(ValidationFailed) as refused:
        check_date_range(date(1, 1, 1), DATE_RANGE, Calendar.JALALI, "fa")
    assert refused.value.data == {"earliest": "۱۲۷۸/۱۰/۱۱", "latest": "۱۵۷۹/۱۰/۱۰"}


def test_extreme_dates_in_a_clinic_date_field_get_the_message_in_the_users_language():
    field = ClinicDateField(calendar=Calendar.GREGORIAN)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("9999-12-31")
    assert refused.value.messages == ["Enter a date from 1900-01-01 to 2200-12-31."]
    with pytest.raises(forms.ValidationError):
        field.clean(date(1, 1, 1))  # a date object is held to the same range
    with translation.override("fa"), pytest.raises(forms.ValidationError) as persian:
        ClinicDateField(calendar=Calendar.JALALI).clean("0001/01/01")
    assert "۱۲۷۸/۱۰/۱۱" in persian.value.messages[0]


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime.min, max_value=datetime.max),
    zone=st.sampled_from(ZONES),
)
def test_extreme_times_are_in_range_or_refused_by_name(moment, zone):
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M}"
    field = LocalDateTimeField(zone=zone)
    try:
        value = field.clean(text)
    except forms.ValidationError as refused:
        assert refused.messages == ["Enter a time from 2000-01-01 to 2200-12-31."]
        assert moment.date() not in EVENT_TIME_RANGE
    else:
        assert value.tzinfo == UTC
        assert EVENT_TIME_RANGE.earliest <= moment.date() <= EVENT_TIME_RANGE.latest


def test_the_time_input_is_typed_in_the_sites_calendar_with_an_example():
    html = LocalDateTimeField(zone="Asia/Tehran", calendar=Calendar.JALALI).widget.render(
        "at", None
    )
    assert 'type="text"' in html and 'placeholder="1405/01/01 14:30"' in html
    assert "datetime-local" not in html


@pytest.mark.parametrize(
    "stamp",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1999-12-31T23:59:59Z"],
)
def test_extreme_logger_times_are_refused_naming_the_line(stamp):
    with pytest.raises(LoggerFileError, match="line 2: .* is not from 2000-01-01 to 2200-12-31"):
        parse_logger_csv(f"timestamp,celsius\n{stamp},-20\n")
