"""Freezer boxes, positions, temperature excursions and data-logger files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from autologic.common.domain.calendars import EVENT_TIME_RANGE


def position_name(row: int, col: int) -> str:
    """Name a box position the way labs do: row letter, column number (A1 is top left)."""
    return f"{chr(ord('A') + row)}{col + 1}"


def free_positions(
    rows: int, cols: int, taken: set[tuple[int, int]], count: int
) -> list[tuple[int, int]]:
    """The next ``count`` free positions in reading order; fewer if the box has no more."""
    found = []
    for row in range(rows):
        for col in range(cols):
            if (row, col) not in taken:
                found.append((row, col))
                if len(found) == count:
                    return found
    return found


@dataclass(frozen=True)
class Excursion:
    """A time the freezer was outside its limits: from the last good reading to the next one."""

    started_at: datetime  # the last in-limit reading before the first bad one (conservative)
    first_bad_at: datetime
    ended_at: datetime | None  # the first in-limit reading after; None while it lasts
    worst_c: float


def excursions(
    readings: list[tuple[datetime, float]], low_c: float, high_c: float
) -> list[Excursion]:
    """Find every excursion; the unknown time before the first bad reading counts as outside."""
    found: list[Excursion] = []
    last_good: datetime | None = None
    start: datetime | None = None
    first_bad: datetime | None = None
    worst = 0.0
    for at, value in sorted(readings):
        inside = low_c <= value <= high_c
        if inside and start is not None and first_bad is not None:
            found.append(Excursion(start, first_bad, at, worst))
            start = first_bad = None
        if inside:
            last_good = at
            continue
        if start is None:
            start, first_bad, worst = (last_good or at), at, value
        elif _beyond(value, low_c, high_c) > _beyond(worst, low_c, high_c):
            worst = value
    if start is not None and first_bad is not None:
        found.append(Excursion(start, first_bad, None, worst))
    return found


def _beyond(value: float, low_c: float, high_c: float) -> float:
    return max(low_c - value, value - high_c, 0.0)


class LoggerFileError(ValueError):
    """A data-logger file that cannot be read; the message names the line."""


def parse_logger_csv(text: str) -> list[tuple[datetime, float]]:
    """Read ``timestamp,celsius`` rows (ISO 8601; naive times are UTC); a header is allowed."""
    rows: list[tuple[datetime, float]] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for number, fields in enumerate(reader, start=1):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) < 2:
            raise LoggerFileError(f"line {number}: expected timestamp,celsius")
        stamp, value = fields[0].strip(), fields[1].strip()
        if number == 1 and not stamp[:1].isdigit():
            continue  # header
        try:
            at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise LoggerFileError(f"line {number}: {stamp!r} is not an ISO 8601 time") from None
        if at not in EVENT_TIME_RANGE:  # before any conversion: year 1 or 9999 would overflow
            first, last = EVENT_TIME_RANGE.earliest, EVENT_TIME_RANGE.latest
            raise LoggerFileError(f"line {number}: {stamp!r} is not from {first} to {last}")
        try:
            celsius = float(value.replace(",", "."))
        except ValueError:
            raise LoggerFileError(f"line {number}: {value!r} is not a temperature") from None
        if not -200 <= celsius <= 100:
            raise LoggerFileError(f"line {number}: {celsius} °C is not a plausible reading")
        rows.append((at if at.tzinfo else at.replace(tzinfo=UTC), celsius))
    if not rows:
        raise LoggerFileError("the file has no readings")
    return rows
