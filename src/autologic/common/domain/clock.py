"""Injected UTC time: code asks a Clock, never the system, so tests can fix the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can say what time it is, in UTC."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that says what it is told; for tests and replays."""

    current: datetime

    def now(self) -> datetime:
        """Return the fixed time."""
        return self.current

    def advance(self, **kwargs: float) -> None:
        """Move the clock forward by a timedelta's keyword arguments."""
        self.current = self.current + timedelta(**kwargs)
