"""Open windows over the horizon (resource hours, site hours, closing days) as sorted intervals.

Shared by the greedy and CP-SAT solvers; the checker does not use it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import timedelta

from autologic.care.domain.scheduling.model import DAY, Problem, Step, WeeklyHours

Windows = list[tuple[int, int]]


def merge(intervals: Iterable[tuple[int, int]]) -> Windows:
    """Sorted union of half-open intervals; touching intervals become one."""
    out: Windows = []
    for lo, hi in sorted(intervals):
        if hi <= lo:
            continue
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def intersect(a: Windows, b: Windows) -> Windows:
    """Intersection of two merged interval lists."""
    out: Windows = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def complement(windows: Windows, horizon: int) -> Windows:
    """The parts of [0, horizon) not covered by ``windows``."""
    out: Windows = []
    cursor = 0
    for lo, hi in windows:
        if lo > cursor:
            out.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < horizon:
        out.append((cursor, horizon))
    return out


def weekly(problem: Problem, hours: WeeklyHours | None) -> Windows:
    """The open minutes of weekly hours over the horizon; None is open throughout."""
    if hours is None:
        return [(0, problem.horizon)]
    first = problem.start.weekday()
    return merge(
        (day * DAY + lo, day * DAY + hi)
        for day in range(problem.days)
        for lo, hi in hours[(first + day) % 7]
    )


def open_days(problem: Problem) -> Windows:
    """Whole days that are not closing days."""
    return merge(
        (day * DAY, (day + 1) * DAY)
        for day in range(problem.days)
        if problem.start + timedelta(days=day) not in problem.closed_days
    )


def step_windows(problem: Problem, step: Step, site: Windows) -> Windows:
    """Where a step may lie before resource hours: site windows and its time-of-day window."""
    windows = site if step.in_clinic_hours else [(0, problem.horizon)]
    if step.time_of_day is not None:
        lo, hi = step.time_of_day
        windows = intersect(windows, [(d * DAY + lo, d * DAY + hi) for d in range(problem.days)])
    return windows


def site_windows(problem: Problem) -> Windows:
    """Where in-clinic steps may lie: open days within site hours."""
    return intersect(open_days(problem), weekly(problem, problem.site_hours))


def align(t: int, slot: int) -> int:
    """``t`` rounded up to the slot grid."""
    return -(-t // slot) * slot


def next_fit(windows: Windows, t: int, duration: int, slot: int) -> int | None:
    """Earliest grid start >= t whose [start, start + duration) lies in one window."""
    t = align(t, slot)
    i = max(bisect_right(windows, (t, 1 << 62)) - 1, 0)
    while i < len(windows):
        lo, hi = windows[i]
        start = max(t, align(lo, slot))
        if start + duration <= hi:
            return start
        i += 1
    return None


def fits(windows: Windows, start: int, end: int) -> bool:
    """Whether [start, end) lies inside one window."""
    i = bisect_right(windows, (start, 1 << 62)) - 1
    return i >= 0 and windows[i][0] <= start and end <= windows[i][1]


def start_ranges(windows: Windows, duration: int, slot: int) -> list[tuple[int, int]]:
    """Inclusive ranges of slot indices k such that [k*slot, k*slot + duration) fits a window."""
    out: list[tuple[int, int]] = []
    for lo, hi in windows:
        k_lo, k_hi = -(-lo // slot), (hi - duration) // slot
        if k_lo <= k_hi:
            out.append((k_lo, k_hi))
    return out
