"""Calendar conversion and formatting, checked against known Jalali–Gregorian pairs."""

from datetime import date, datetime

import pytest

from autologic.common.domain.calendars import (
    Calendar,
    age_on,
    format_date,
    format_datetime,
    parse_date,
)
from autologic.common.domain.errors import ValidationFailed

# Known pairs: Nowruz 1403 fell on 20 March 2024; 1 Farvardin 1400 on 21 March 2021;
# 12 Mordad 1360 is 3 August 1981; 29 Esfand 1402 (the last day of that year) is 19 March 2024.
KNOWN = [
    ((1403, 1, 1), date(2024, 3, 20)),
    ((1400, 1, 1), date(2021, 3, 21)),
    ((1360, 5, 12), date(1981, 8, 3)),
    ((1402, 12, 29), date(2024, 3, 19)),
]


@pytest.mark.parametrize(("jalali", "gregorian"), KNOWN)
def test_jalali_dates_parse_to_the_right_gregorian_day(jalali, gregorian):
    y, m, d = jalali
    assert parse_date(f"{y}/{m:02d}/{d:02d}", Calendar.JALALI) == gregorian


@pytest.mark.parametrize(("jalali", "gregorian"), KNOWN)
def test_jalali_formatting_is_the_inverse(jalali, gregorian):
    y, m, d = jalali
    assert format_date(gregorian, Calendar.JALALI) == f"{y}/{m:02d}/{d:02d}"


def test_persian_interface_uses_persian_digits():
    assert format_date(date(2024, 3, 20), Calendar.JALALI, "fa") == "۱۴۰۳/۰۱/۰۱"
    assert format_date(date(2024, 3, 20), Calendar.GREGORIAN, "fa") == "۲۰۲۴-۰۳-۲۰"
    assert format_date(date(2024, 3, 20), Calendar.JALALI, "de") == "1403/01/01"


def test_persian_digits_are_accepted_when_typed():
    assert parse_date("۱۳۶۰/۰۵/۱۲", Calendar.JALALI) == date(1981, 8, 3)


def test_gregorian_sites_accept_iso_slashes_and_german_dots():
    assert parse_date("1981-08-03", Calendar.GREGORIAN) == date(1981, 8, 3)
    assert parse_date("1981/08/03", Calendar.GREGORIAN) == date(1981, 8, 3)
    assert parse_date("03.08.1981", Calendar.GREGORIAN) == date(1981, 8, 3)


def test_iso_is_always_gregorian_even_at_a_jalali_site():
    assert parse_date("1981-08-03", Calendar.JALALI) == date(1981, 8, 3)


@pytest.mark.parametrize("text", ["1981-02-30", "1403/13/01", "yesterday", "", "12/12"])
def test_impossible_or_malformed_dates_are_refused_with_a_reason(text):
    calendar = Calendar.JALALI if text.startswith("1403") else Calendar.GREGORIAN
    with pytest.raises(ValidationFailed) as err:
        parse_date(text, calendar)
    real_date_shape = text in {"1981-02-30", "1403/13/01"}
    assert err.value.code == ("impossible_date" if real_date_shape else "invalid_date")
    assert "date" in err.value.message


def test_datetime_formatting_shows_local_minutes():
    moment = datetime(2024, 3, 20, 9, 5)
    assert format_datetime(moment, Calendar.GREGORIAN) == "2024-03-20 09:05"
    assert format_datetime(moment, Calendar.JALALI, "fa") == "۱۴۰۳/۰۱/۰۱ ۰۹:۰۵"


@pytest.mark.parametrize(
    ("born", "today", "years"),
    [
        (date(1980, 5, 10), date(2026, 5, 9), 45),
        (date(1980, 5, 10), date(2026, 5, 10), 46),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
    ],
)
def test_age_counts_completed_years(born, today, years):
    assert age_on(born, today) == years
