"""Course scheduling: place whole treatment courses on a clinic's resources without conflicts.

Pure: no Django, no I/O, no clock; "now" is always an argument. Times are whole minutes from
midnight at ``Problem.start`` (see ``Problem.minute`` / ``Problem.when``).

- ``plan(problem, method="cpsat" | "greedy")`` places as many whole courses as it can;
- ``check(problem, plan)`` lists every broken hard constraint (written apart from the solvers);
- ``replan(problem, plan, course_id, missed_step_key, now)`` re-places the rest of one course;
- ``reanchor(problem, plan, course_id, step_key, now)`` re-places what follows a step that
  happened at another time than planned, when its windows no longer hold;
- ``utilisation(problem, plan)`` gives booked / open capacity-minutes per resource kind.

How the pathways map onto the model (see bench/scheduling.py for a worked site):

- ACS: a blood draw step; incubation is a ``Hold`` on an incubator (one tube per planned
  injection) from the end of the draw to the start of the centrifuge run, with a 6-24 h
  ``Link`` draw -> spin; a centrifuge has capacity 1 (one run at a time, one patient's tubes
  per run); each aliquot is a ``Hold`` of one freezer position from the spin to its injection;
  injections are room + clinician steps with the guidance as capability and day links for the
  cadence (``Link.days("inj3", "inj4", 3, 7)``).
- Cultured MSC: a harvest with a morning ``time_of_day`` window (fasting), a ``Hold`` on the
  culture bank until the injection, and a 19-23 day link; hip cells: same-day minute links.
- Follow-ups are clinician steps with day links; imaging is external and not modelled.
- Steps with ``in_clinic_hours=False`` (lab work) may run at night and on closing days; every
  step still lies inside the hours of the resources it uses. Holds ignore hours.
"""

from __future__ import annotations

import time
from collections import defaultdict

from autologic.care.domain.scheduling.calendar import intersect, merge, open_days, weekly
from autologic.care.domain.scheduling.check import check
from autologic.care.domain.scheduling.greedy import solve_greedy
from autologic.care.domain.scheduling.model import (
    DAY,
    KINDS,
    CoursePlan,
    CourseRequest,
    Demand,
    Explanation,
    Hold,
    HoldAssignment,
    Link,
    Placement,
    Plan,
    Problem,
    Replan,
    Resource,
    Step,
    Violation,
    WeeklyHours,
    to_datetime,
    to_minute,
    weekly_hours,
)
from autologic.care.domain.scheduling.replan import reanchor, replan

__all__ = [
    "DAY",
    "KINDS",
    "CoursePlan",
    "CourseRequest",
    "Demand",
    "Explanation",
    "Hold",
    "HoldAssignment",
    "Link",
    "Placement",
    "Plan",
    "Problem",
    "Replan",
    "Resource",
    "Step",
    "Violation",
    "WeeklyHours",
    "check",
    "plan",
    "reanchor",
    "replan",
    "to_datetime",
    "to_minute",
    "utilisation",
    "weekly_hours",
]

METHODS = ("cpsat", "greedy")


def plan(problem: Problem, *, method: str = "cpsat", time_limit_s: float = 10.0) -> Plan:
    """Place as many whole courses as possible: priority first, then earlier starts."""
    started = time.perf_counter()
    if method == "greedy":
        return solve_greedy(problem)
    if method == "cpsat":
        # Imported here: loading OR-Tools takes a while and the greedy path does not need it.
        from autologic.care.domain.scheduling.cpsat import solve_cpsat

        return solve_cpsat(problem, time_limit_s=time_limit_s, started=started)
    raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def utilisation(problem: Problem, plan: Plan) -> dict[str, float]:
    """Per resource kind: booked capacity-minutes inside open hours / open capacity-minutes."""
    days = open_days(problem)
    windows = {}
    for r in problem.resources:
        # Staffed resources are not open on closing days; equipment without hours always is.
        windows[r.id] = (
            weekly(problem, None) if r.hours is None else intersect(weekly(problem, r.hours), days)
        )
    uses: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    courses = {c.id: c for c in problem.courses}
    for course_id, cplan in plan.placed.items():
        course = courses.get(course_id)
        if course is None:
            continue
        _collect(course, cplan.placements, uses)
        for assignment in cplan.holds:
            hold = course.holds[assignment.index]
            a, b = cplan.placement(hold.from_step), cplan.placement(hold.to_step)
            uses[assignment.resource].append((a.end, b.start, hold.amount))
    for course in problem.courses:
        if course.id not in plan.placed:
            _collect(course, course.fixed, uses)
    booked: dict[str, float] = defaultdict(float)
    capacity: dict[str, float] = defaultdict(float)
    for r in problem.resources:
        open_windows = windows[r.id]
        capacity[r.kind] += r.capacity * sum(hi - lo for lo, hi in open_windows)
        for start, end, amount in uses.get(r.id, []):
            inside = intersect(merge([(start, end)]), open_windows)
            booked[r.kind] += amount * sum(hi - lo for lo, hi in inside)
    return {
        kind: round(booked[kind] / capacity[kind], 6)
        for kind in sorted(KINDS)
        if capacity.get(kind)
    }


def _collect(
    course: CourseRequest,
    placements: tuple[Placement, ...],
    uses: dict[str, list[tuple[int, int, int]]],
) -> None:
    for placement in placements:
        step = course.step(placement.step)
        for demand, rid in zip(step.demands, placement.resources, strict=False):
            uses[rid].append((placement.start, placement.end, demand.amount))
