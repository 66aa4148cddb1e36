"""Booked amount of a resource over time, as a step function with undo."""

from __future__ import annotations

from bisect import bisect_right

NEG = -(1 << 62)
POS = 1 << 62

Booking = tuple[str, int, int, int]  # resource id, start, end, amount


class Profile:
    """Booked amount of one resource over time, as a step function."""

    __slots__ = ("levels", "times")

    def __init__(self) -> None:
        """An empty profile."""
        self.times: list[int] = [NEG]
        self.levels: list[int] = [0]

    def _split(self, t: int) -> int:
        i = bisect_right(self.times, t) - 1
        if self.times[i] != t:
            i += 1
            self.times.insert(i, t)
            self.levels.insert(i, self.levels[i - 1])
        return i

    def _merge(self, i: int) -> None:
        # Coalescing equal neighbours keeps a fully booked day one segment, so searches jump it.
        if 0 < i < len(self.times) and self.levels[i] == self.levels[i - 1]:
            del self.times[i]
            del self.levels[i]

    def add(self, start: int, end: int, amount: int) -> None:
        """Book (or with a negative amount, release) ``amount`` over [start, end)."""
        if end <= start:
            return
        i = self._split(start)
        j = self._split(end)
        for k in range(i, j):
            self.levels[k] += amount
        self._merge(j)
        self._merge(i)

    def first_block(self, start: int, end: int, limit: int) -> int | None:
        """End of the first segment in [start, end) booked above ``limit``, or None."""
        times, levels = self.times, self.levels
        i = bisect_right(times, start) - 1
        n = len(times)
        while i < n and times[i] < end:
            if levels[i] > limit:
                return times[i + 1] if i + 1 < n else POS
            i += 1
        return None

    def last_block(self, start: int, end: int, limit: int) -> int | None:
        """End of the last segment in [start, end) booked above ``limit``, or None."""
        times, levels = self.times, self.levels
        i = bisect_right(times, start) - 1
        n = len(times)
        found = None
        while i < n and times[i] < end:
            if levels[i] > limit:
                found = times[i + 1] if i + 1 < n else POS
            i += 1
        return found
