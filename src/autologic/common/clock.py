"""The process-wide clock that actions and views ask for the time (replaceable in tests)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from autologic.common.domain.clock import Clock, SystemClock

_clock: Clock = SystemClock()


def now() -> datetime:
    """Return the current UTC time from the configured clock."""
    return _clock.now()


def set_clock(clock: Clock) -> Clock:
    """Replace the clock and return the previous one (tests restore it)."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def local_today(time_zone: str) -> date:
    """Return today's date in a site's time zone."""
    return now().astimezone(ZoneInfo(time_zone)).date()
