"""Dates in the clinic's calendar: Gregorian or Jalali (Solar Hijri), with local digits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

import jdatetime  # type: ignore[import-untyped]

from autologic.common.domain.errors import ValidationFailed


class Calendar(StrEnum):
    """Calendars a site can show dates in."""

    GREGORIAN = "gregorian"
    JALALI = "jalali"


@dataclass(frozen=True)
class DateRange:
    """The days a typed date may fall on; anything outside is a typing error, refused by name."""

    earliest: date
    latest: date

    def __contains__(self, value: object) -> bool:
        return isinstance(value, date) and self.earliest <= _day(value) <= self.latest


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# Every typed date: births go back to 1900, and nothing a clinic plans lies beyond 2200.
DATE_RANGE = DateRange(date(1900, 1, 1), date(2200, 12, 31))
# The time of something that happens in the clinic (a collection, a reading, an adverse event).
EVENT_TIME_RANGE = DateRange(date(2000, 1, 1), date(2200, 12, 31))

MIN_JALALI_YEAR = 623  # 1 Farvardin 1 AP fell in March 622
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE_TIME = re.compile(r"^(\S+?)(?:T|\s+)(\S+)$")
# What a date-time input shows before anything is typed: an example in the site's calendar.
DATE_EXAMPLE = {Calendar.GREGORIAN: "1981-08-03", Calendar.JALALI: "1360/05/12"}
DATE_TIME_EXAMPLE = {Calendar.GREGORIAN: "2026-03-21 14:30", Calendar.JALALI: "1405/01/01 14:30"}


def format_date(value: date, calendar: Calendar, language: str = "en") -> str:
    """Show a date in the site's calendar; the Persian interface uses Persian digits."""
    if calendar == Calendar.JALALI and value.year >= MIN_JALALI_YEAR:
        j = jdatetime.date.fromgregorian(date=value)
        text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    else:  # Gregorian, or a date before the Jalali era that jdatetime cannot show
        text = value.isoformat()
    return text.translate(PERSIAN_DIGITS) if language == "fa" else text


def format_datetime(value: datetime, calendar: Calendar, language: str = "en") -> str:
    """Show a local datetime as date plus HH:MM in the site's calendar."""
    text = f"{format_date(value.date(), calendar, language)} {value:%H:%M}"
    return text.translate(PERSIAN_DIGITS) if language == "fa" else text


def check_date_range(
    value: date,
    bounds: DateRange = DATE_RANGE,
    calendar: Calendar = Calendar.GREGORIAN,
    language: str = "en",
    *,
    code: str = "date_out_of_range",
) -> date:
    """Return the date (or date-time) if it lies in the range, else refuse naming the range."""
    if value in bounds:
        return value
    raise _out_of_range(bounds, calendar, language, code)


def _out_of_range(
    bounds: DateRange, calendar: Calendar, language: str, code: str
) -> ValidationFailed:
    earliest = format_date(bounds.earliest, calendar, language)
    latest = format_date(bounds.latest, calendar, language)
    what = "a time" if code == "time_out_of_range" else "a date"
    return ValidationFailed(
        code,
        f"Enter {what} from {earliest} to {latest}.",
        data={"earliest": earliest, "latest": latest},
    )


def parse_date(
    text: str,
    calendar: Calendar,
    bounds: DateRange = DATE_RANGE,
    language: str = "en",
    *,
    code: str = "date_out_of_range",
) -> date:
    """Read a typed date in the range: ISO 8601 always, YYYY/MM/DD in the site's calendar, or
    DD.MM.YYYY; Persian and Arabic-Indic digits are read as well. ``code`` names a refusal for
    being out of range (``time_out_of_range`` for the date part of a date-time)."""
    raw = text.strip().translate(ASCII_DIGITS)
    jalali = False
    if m := _ISO.match(raw):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _SLASHED.match(raw):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        jalali = calendar == Calendar.JALALI
    elif m := _DOTTED.match(raw):
        y, mo, d = int(m[3]), int(m[2]), int(m[1])
    else:
        hint = "YYYY/MM/DD (Jalali)" if calendar == Calendar.JALALI else "YYYY-MM-DD"
        raise ValidationFailed(
            "invalid_date", f"This is not a date; use {hint}.", data={"hint": hint}
        )
    # The year first: years the libraries cannot even represent are out of range, not unreal.
    shown = Calendar.JALALI if jalali else Calendar.GREGORIAN
    first, last = (_year(bounds.earliest, jalali), _year(bounds.latest, jalali))
    if not first <= y <= last:
        raise _out_of_range(bounds, shown, language, code)
    try:
        value: date = jdatetime.date(y, mo, d).togregorian() if jalali else date(y, mo, d)
    except ValueError as exc:
        typed = interface_digits(
            raw, language
        )  # echoed in the interface's digits, as the line around it
        raise ValidationFailed(
            "impossible_date", f"{typed} is not a real date.", data={"text": typed}
        ) from exc
    return check_date_range(value, bounds, shown, language, code=code)


def parse_datetime(
    text: str, calendar: Calendar, bounds: DateRange = EVENT_TIME_RANGE, language: str = "en"
) -> datetime:
    """Read a typed local date and time (naive, wall-clock): the date as ``parse_date`` reads
    it, a space (or ISO 8601's T), then HH:MM or HH:MM:SS. "1404/09/15 14:30" at a Jalali site."""
    raw = text.strip().translate(ASCII_DIGITS)
    hint = DATE_TIME_EXAMPLE[calendar]
    parts = _DATE_TIME.match(raw)
    clock = _TIME.match(parts[2]) if parts else None
    if parts is None or clock is None:
        raise ValidationFailed(
            "invalid_datetime",
            f"This is not a date and time; type it like {hint}.",
            data={"hint": hint},
        )
    try:
        day = parse_date(parts[1], calendar, bounds, language, code="time_out_of_range")
    except ValidationFailed as exc:
        if exc.code != "invalid_date":
            raise
        raise ValidationFailed(
            "invalid_datetime",
            f"This is not a date and time; type it like {hint}.",
            data={"hint": hint},
        ) from exc
    hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        typed = interface_digits(parts[2], language)
        raise ValidationFailed(
            "impossible_time", f"{typed} is not a real time.", data={"text": typed}
        )
    return datetime.combine(day, time(hour, minute, second))


def interface_digits(text: str, language: str) -> str:
    """Text in the digits of the interface: Persian digits in Persian, ASCII otherwise."""
    return text.translate(PERSIAN_DIGITS) if language == "fa" else text.translate(ASCII_DIGITS)


def _year(value: date, jalali: bool) -> int:
    return int(jdatetime.date.fromgregorian(date=value).year) if jalali else value.year


def age_on(born: date, today: date) -> int:
    """Whole years of age on a given day."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
