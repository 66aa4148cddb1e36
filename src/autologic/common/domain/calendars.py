"""Dates in the clinic's calendar: Gregorian or Jalali (Solar Hijri), with local digits."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

import jdatetime  # type: ignore[import-untyped]

from autologic.common.domain.errors import ValidationFailed


class Calendar(StrEnum):
    """Calendars a site can show dates in."""

    GREGORIAN = "gregorian"
    JALALI = "jalali"


MIN_JALALI_YEAR = 623  # 1 Farvardin 1 AP fell in March 622
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


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


def parse_date(text: str, calendar: Calendar) -> date:
    """Read a typed date: ISO 8601 always, YYYY/MM/DD in the site's calendar, or DD.MM.YYYY."""
    raw = text.strip().translate(ASCII_DIGITS)
    try:
        if m := _ISO.match(raw):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _SLASHED.match(raw):
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
            if calendar == Calendar.JALALI:
                gregorian: date = jdatetime.date(y, mo, d).togregorian()
                return gregorian
            return date(y, mo, d)
        if m := _DOTTED.match(raw):
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError as exc:
        raise ValidationFailed(
            "impossible_date", f"{text.strip()} is not a real date.", data={"text": text.strip()}
        ) from exc
    hint = "YYYY/MM/DD (Jalali)" if calendar == Calendar.JALALI else "YYYY-MM-DD"
    raise ValidationFailed("invalid_date", f"This is not a date; use {hint}.", data={"hint": hint})


def age_on(born: date, today: date) -> int:
    """Whole years of age on a given day."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
