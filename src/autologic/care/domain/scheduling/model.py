"""Scheduling inputs and outputs: resources, course requests, plans, explanations, time helpers.

All times are whole minutes from midnight at the start of the horizon (``Problem.start``);
``Problem.minute`` and ``Problem.when`` convert to and from naive local datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

DAY = 1440
KINDS = frozenset({"room", "incubator", "centrifuge", "freezer", "clinician", "culture"})
UNITS = frozenset({"minute", "day"})
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Per weekday (Monday first): the open (start, end) minutes of that day, sorted, not overlapping.
WeeklyHours = tuple[tuple[tuple[int, int], ...], ...]

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _clock(hours: str, minutes: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if value > DAY or int(minutes) >= 60:
        raise ValueError(f"not a time of day: {hours}:{minutes}")
    return value


def weekly_hours(spec: Mapping[str, str]) -> WeeklyHours:
    """Build weekly hours from e.g. ``{"mon-fri": "08:00-12:30, 13:30-17:00", "sat": ""}``;
    a range may wrap over the weekend (``"sat-wed"``)."""
    days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAY_NAMES]
    for key, text in spec.items():
        first, _, last = key.lower().partition("-")
        lo = WEEKDAY_NAMES.index(first)
        hi = WEEKDAY_NAMES.index(last) if last else lo
        ranges = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            match = _RANGE.match(part)
            if not match:
                raise ValueError(f"not a time range: {part!r}")
            start, end = _clock(*match.group(1, 2)), _clock(*match.group(3, 4))
            ranges.append((start, end))
        # "sat-wed" wraps over the weekend (a Saturday-to-Wednesday working week).
        span = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
        for weekday in span:
            days[weekday] = sorted(days[weekday] + ranges)
    result = tuple(tuple(day) for day in days)
    _check_hours(result)
    return result


def _check_hours(hours: WeeklyHours) -> None:
    if len(hours) != 7:
        raise ValueError("weekly hours need exactly 7 weekdays, Monday first")
    for day in hours:
        previous_end = 0
        for start, end in day:
            if not 0 <= start < end <= DAY or start < previous_end:
                raise ValueError(f"hours must be sorted, non-overlapping ranges in a day: {day}")
            previous_end = end


def to_minute(start: date, when: datetime) -> int:
    """Minutes from midnight of ``start`` to the naive local datetime ``when``."""
    delta = when - datetime.combine(start, time())
    return delta.days * DAY + delta.seconds // 60


def to_datetime(start: date, minute: int) -> datetime:
    """The naive local datetime ``minute`` minutes after midnight of ``start``."""
    return datetime.combine(start, time()) + timedelta(minutes=minute)


@dataclass(frozen=True)
class Resource:
    """A room, incubator, centrifuge, freezer, clinician or culture bank with a capacity."""

    id: str
    kind: str
    capacity: int = 1
    capabilities: frozenset[str] = frozenset()
    # None: available day and night (lab equipment); otherwise the weekly working hours.
    hours: WeeklyHours | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"resource {self.id}: unknown kind {self.kind!r}")
        if self.capacity < 1:
            raise ValueError(f"resource {self.id}: capacity must be at least 1")
        if self.hours is not None:
            _check_hours(self.hours)


@dataclass(frozen=True)
class Demand:
    """Needs one resource of ``kind`` having ``capability``, consuming ``amount`` of it."""

    kind: str
    amount: int = 1
    capability: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown resource kind {self.kind!r}")
        if self.amount < 1:
            raise ValueError("a demand needs an amount of at least 1")


@dataclass(frozen=True)
class Step:
    """One appointment or lab step of a course: a fixed duration and its resource demands."""

    key: str
    duration: int
    demands: tuple[Demand, ...] = ()
    # True: the site must be open (not a closing day, inside site hours). Lab steps that run
    # through nights and holidays say False. Resource hours apply to every step either way.
    in_clinic_hours: bool = True
    # Minute-of-day window the whole step must lie in, e.g. (420, 660) for a fasting harvest.
    time_of_day: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.duration < 1:
            raise ValueError(f"step {self.key}: duration must be at least one minute")
        if self.time_of_day is not None:
            lo, hi = self.time_of_day
            if not 0 <= lo < hi <= DAY:
                raise ValueError(f"step {self.key}: bad time_of_day {self.time_of_day}")


@dataclass(frozen=True)
class Link:
    """Start-to-start gap between two steps of a course, in minutes or in calendar days.

    With ``unit="day"`` the gap is the difference of the calendar dates the two steps start on,
    so "3 to 7 days later" does not depend on the hour of the earlier session.
    """

    before: str
    after: str
    min_gap: int = 0
    max_gap: int | None = None
    unit: str = "minute"
    label: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"link unit must be 'minute' or 'day', not {self.unit!r}")
        if self.max_gap is not None and self.max_gap < self.min_gap:
            raise ValueError(f"link {self.before}->{self.after}: max gap below min gap")

    @classmethod
    def days(
        cls, before: str, after: str, min_days: int, max_days: int | None, label: str = ""
    ) -> Link:
        """A gap in calendar days, e.g. ``Link.days("s3", "s4", 3, 7)``."""
        return cls(before, after, min_days, max_days, "day", label)

    @classmethod
    def minutes(
        cls, before: str, after: str, min_minutes: int, max_minutes: int | None, label: str = ""
    ) -> Link:
        """A gap in minutes, e.g. six to 24 hours of incubation."""
        return cls(before, after, min_minutes, max_minutes, "minute", label)

    def describe(self) -> str:
        """The gap in words, e.g. "3–7 days"."""
        unit = "days" if self.unit == "day" else "min"
        if self.max_gap is None:
            return f"at least {self.min_gap} {unit}"
        if self.max_gap == self.min_gap:
            return f"exactly {self.min_gap} {unit}"
        return f"{self.min_gap}–{self.max_gap} {unit}"


@dataclass(frozen=True)
class Hold:
    """Capacity held from the end of ``from_step`` to the start of ``to_step`` (freezer, culture).

    The later step cannot start before the earlier one ends. Holds run through nights and
    closing days and ignore resource hours: a freezer keeps its aliquots over the weekend.
    """

    kind: str
    amount: int
    from_step: str
    to_step: str
    capability: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown resource kind {self.kind!r}")
        if self.amount < 1:
            raise ValueError("a hold needs an amount of at least 1")


@dataclass(frozen=True)
class Placement:
    """Where and when a step runs: one resource id per demand, in the step's demand order."""

    step: str
    start: int
    end: int
    resources: tuple[str, ...]


@dataclass(frozen=True)
class HoldAssignment:
    """The resource chosen for ``CourseRequest.holds[index]``; times follow from the steps."""

    index: int
    resource: str


@dataclass(frozen=True)
class CourseRequest:
    """A whole treatment course to place, with the steps already done or booked (``fixed``)."""

    id: str
    steps: tuple[Step, ...]
    links: tuple[Link, ...] = ()
    holds: tuple[Hold, ...] = ()
    # Every step that is not fixed starts at or after ``earliest``; ``latest`` bounds the start
    # of ``steps[0]`` (the course start) unless that step is fixed.
    earliest: int = 0
    latest: int | None = None
    # Higher is more urgent; a course of higher priority is never given up for any number of
    # lower-priority ones.
    priority: int = 0
    fixed: tuple[Placement, ...] = ()
    fixed_holds: tuple[HoldAssignment, ...] = ()

    def step(self, key: str) -> Step:
        """The step with this key."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


@dataclass(frozen=True)
class Problem:
    """A site's resources and closing days over a horizon of whole days, and the courses."""

    start: date
    days: int
    resources: tuple[Resource, ...]
    courses: tuple[CourseRequest, ...]
    closed_days: frozenset[date] = frozenset()
    slot_minutes: int = 15
    # Opening hours of the site for in-clinic steps; None: only the resources' hours count.
    site_hours: WeeklyHours | None = None

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("the horizon needs at least one day")
        if self.slot_minutes < 1 or DAY % self.slot_minutes:
            raise ValueError("slot_minutes must divide a day (5, 10, 15, 30, 60 ...)")
        if self.site_hours is not None:
            _check_hours(self.site_hours)
        ids = [r.id for r in self.resources]
        if len(set(ids)) != len(ids):
            raise ValueError("resource ids must be unique")
        course_ids = [c.id for c in self.courses]
        if len(set(course_ids)) != len(course_ids):
            raise ValueError("course ids must be unique")

    @property
    def horizon(self) -> int:
        """Length of the horizon in minutes."""
        return self.days * DAY

    def minute(self, when: datetime) -> int:
        """Minutes from the horizon start to ``when``."""
        return to_minute(self.start, when)

    def when(self, minute: int) -> datetime:
        """The datetime ``minute`` minutes after the horizon start."""
        return to_datetime(self.start, minute)

    def date_of(self, minute: int) -> date:
        """The calendar date a minute falls on."""
        return self.start + timedelta(days=minute // DAY)

    def course(self, course_id: str) -> CourseRequest:
        """The course with this id."""
        for course in self.courses:
            if course.id == course_id:
                return course
        raise KeyError(course_id)


@dataclass(frozen=True)
class CoursePlan:
    """All placements of one placed course, and the resources its holds use."""

    course: str
    placements: tuple[Placement, ...]
    holds: tuple[HoldAssignment, ...] = ()

    def placement(self, step: str) -> Placement:
        """The placement of this step."""
        for placement in self.placements:
            if placement.step == step:
                return placement
        raise KeyError(step)


@dataclass(frozen=True)
class Explanation:
    """Why a course (or the rest of one) cannot be placed: a stable code for translation."""

    code: str
    message: str
    course: str
    step: str | None = None
    constraint: str | None = None
    window_start: int | None = None
    window_end: int | None = None
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """Placed courses by id and, for the others, why not."""

    method: str
    placed: Mapping[str, CoursePlan]
    unplaced: Mapping[str, Explanation]
    # "greedy"; for CP-SAT "optimal" or "feasible" (one model over all courses), "lns"
    # (neighbourhoods of a large problem), "greedy_time_limit" (no time left after greedy),
    # "greedy_fallback" (a safety net that keeps the greedy plan if CP-SAT did worse).
    status: str = ""
    stats: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    """One broken hard constraint found by ``check``."""

    code: str
    message: str
    course: str | None = None
    step: str | None = None
    resource: str | None = None
    at: int | None = None


@dataclass(frozen=True)
class Replan:
    """The outcome of re-planning the rest of a course after a missed session."""

    ok: bool
    plan: Plan
    course: str
    moved: tuple[str, ...] = ()
    explanation: Explanation | None = None
