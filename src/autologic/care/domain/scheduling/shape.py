"""A course request checked and indexed for the solvers: step order, links, holds, candidates."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from autologic.care.domain.scheduling.calendar import (
    Windows,
    intersect,
    next_fit,
    site_windows,
    step_windows,
    weekly,
)
from autologic.care.domain.scheduling.model import (
    DAY,
    CourseRequest,
    Demand,
    Hold,
    Link,
    Placement,
    Problem,
    Resource,
    Step,
)


@dataclass
class Shape:
    """What the solvers need to know about one course."""

    course: CourseRequest
    steps: dict[str, Step]
    order: list[str]
    links_in: dict[str, list[Link]]
    links_out: dict[str, list[Link]]
    holds_in: dict[str, list[int]]
    holds_out: dict[str, list[int]]
    fixed: dict[str, Placement]
    pinned: dict[int, str]
    # Candidate resources per step and demand, and per hold, in the problem's resource order.
    candidates: dict[str, list[list[Resource]]] = field(default_factory=dict)
    hold_candidates: dict[int, list[Resource]] = field(default_factory=dict)
    error: str = ""
    # Start bounds implied by the course alone (links, holds, earliest/latest, horizon, site).
    est: dict[str, int] = field(default_factory=dict)
    lst: dict[str, int] = field(default_factory=dict)
    empty: str | None = None  # a step whose bounds cross: the course can never fit


class Site:
    """Resources and open windows of a problem, computed once and shared by every course."""

    def __init__(self, problem: Problem) -> None:
        """Index the resources and the site's open windows."""
        self.problem = problem
        self.resources = {r.id: r for r in problem.resources}
        self.site = site_windows(problem)
        self._hours = {r.id: weekly(problem, r.hours) for r in problem.resources}
        self._step: dict[tuple[bool, tuple[int, int] | None], Windows] = {}
        self._resource_step: dict[tuple[str, bool, tuple[int, int] | None], Windows] = {}
        self._candidates: dict[tuple[str, int, str | None], list[Resource]] = {}

    def step_windows(self, step: Step) -> Windows:
        """Where a step may lie, ignoring its resources."""
        key = (step.in_clinic_hours, step.time_of_day)
        if key not in self._step:
            self._step[key] = step_windows(self.problem, step, self.site)
        return self._step[key]

    def windows(self, resource: Resource, step: Step) -> Windows:
        """Where a step may lie on this resource: its hours and the step's windows."""
        key = (resource.id, step.in_clinic_hours, step.time_of_day)
        if key not in self._resource_step:
            self._resource_step[key] = intersect(self._hours[resource.id], self.step_windows(step))
        return self._resource_step[key]

    def hours(self, resource: Resource) -> Windows:
        """The resource's own open windows over the horizon."""
        return self._hours[resource.id]

    def candidates(self, kind: str, amount: int, capability: str | None) -> list[Resource]:
        """Resources of a kind with the capability and room for the amount."""
        key = (kind, amount, capability)
        if key not in self._candidates:
            self._candidates[key] = [
                r
                for r in self.problem.resources
                if r.kind == kind
                and r.capacity >= amount
                and (capability is None or capability in r.capabilities)
            ]
        return self._candidates[key]

    def demand_candidates(self, demand: Demand) -> list[Resource]:
        """Candidates for a step's demand."""
        return self.candidates(demand.kind, demand.amount, demand.capability)

    def hold_candidates(self, hold: Hold) -> list[Resource]:
        """Candidates for a hold."""
        return self.candidates(hold.kind, hold.amount, hold.capability)


def shape(site: Site, course: CourseRequest) -> Shape:
    """Index a course; ``error`` says why it is malformed (unknown step, cycle ...)."""
    steps = {s.key: s for s in course.steps}
    result = Shape(
        course=course,
        steps=steps,
        order=[],
        links_in={k: [] for k in steps},
        links_out={k: [] for k in steps},
        holds_in={k: [] for k in steps},
        holds_out={k: [] for k in steps},
        fixed={p.step: p for p in course.fixed},
        pinned={h.index: h.resource for h in course.fixed_holds},
    )
    if not course.steps:
        result.error = "the course has no steps"
        return result
    if len(steps) != len(course.steps):
        result.error = "two steps share a key"
        return result
    edges: dict[str, set[str]] = {k: set() for k in steps}
    for link in course.links:
        if link.before not in steps or link.after not in steps or link.before == link.after:
            result.error = f"link {link.before}->{link.after} names an unknown step"
            return result
        result.links_in[link.after].append(link)
        result.links_out[link.before].append(link)
        edges[link.before].add(link.after)
    for index, hold in enumerate(course.holds):
        if (
            hold.from_step not in steps
            or hold.to_step not in steps
            or hold.from_step == hold.to_step
        ):
            result.error = f"hold {hold.from_step}->{hold.to_step} names an unknown step"
            return result
        result.holds_in[hold.to_step].append(index)
        result.holds_out[hold.from_step].append(index)
        edges[hold.from_step].add(hold.to_step)
    for placement in course.fixed:
        if placement.step not in steps:
            result.error = f"fixed placement of unknown step {placement.step}"
            return result
    # Kahn's algorithm, breaking ties by the order the steps were listed in.
    rank = {s.key: i for i, s in enumerate(course.steps)}
    indegree = {k: 0 for k in steps}
    for targets in edges.values():
        for target in targets:
            indegree[target] += 1
    ready = [(rank[k], k) for k, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    while ready:
        _, key = heapq.heappop(ready)
        result.order.append(key)
        for target in edges[key]:
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, (rank[target], target))
    if len(result.order) != len(steps):
        result.error = "links and holds form a cycle"
        return result
    for key, step in steps.items():
        result.candidates[key] = [site.demand_candidates(d) for d in step.demands]
    for index, hold in enumerate(course.holds):
        pinned = result.pinned.get(index)
        result.hold_candidates[index] = [
            r for r in site.hold_candidates(hold) if pinned is None or r.id == pinned
        ]
    result.est, result.lst, result.empty = static_bounds(site.problem, site, result)
    return result


def static_bounds(
    problem: Problem, site: Site, sh: Shape
) -> tuple[dict[str, int], dict[str, int], str | None]:
    """Earliest and latest start of every step implied by the course alone, and a step whose
    window is empty (None if every step has one)."""
    course = sh.course
    est: dict[str, int] = {}
    lst: dict[str, int] = {}
    for key, step in sh.steps.items():
        if key in sh.fixed:
            est[key] = lst[key] = sh.fixed[key].start
        else:
            est[key] = max(course.earliest, 0)
            lst[key] = problem.horizon - step.duration
    first = course.steps[0].key
    if course.latest is not None and first not in sh.fixed:
        lst[first] = min(lst[first], course.latest)

    def raise_est(key: str, value: int) -> bool:
        if key in sh.fixed or value <= est[key]:
            return False
        est[key] = value
        return True

    def lower_lst(key: str, value: int) -> bool:
        if key in sh.fixed or value >= lst[key]:
            return False
        lst[key] = value
        return True

    for _ in range(len(sh.steps) + 2):
        changed = False
        for key, step in sh.steps.items():
            if key not in sh.fixed:
                snapped = next_fit(site.step_windows(step), est[key], step.duration, 1)
                changed |= raise_est(key, problem.horizon if snapped is None else snapped)
        for link in course.links:
            a, b = link.before, link.after
            changed |= raise_est(b, _shift(link, est[a], link.min_gap, low=True))
            changed |= lower_lst(a, _shift(link, lst[b], -link.min_gap, low=False))
            if link.max_gap is not None:
                changed |= lower_lst(b, _shift(link, lst[a], link.max_gap, low=False))
                changed |= raise_est(a, _shift(link, est[b], -link.max_gap, low=True))
        for hold in course.holds:
            d = sh.steps[hold.from_step].duration
            changed |= raise_est(hold.to_step, est[hold.from_step] + d)
            changed |= lower_lst(hold.from_step, lst[hold.to_step] - d)
        if not changed:
            break
    empty = next((k for k in sh.order if k not in sh.fixed and est[k] > lst[k]), None)
    return est, lst, empty


def _shift(link: Link, value: int, gap: int, *, low: bool) -> int:
    """``value`` moved by ``gap`` in the link's unit; a day shift gives the day's first or last
    minute."""
    if link.unit == "minute":
        return value + gap
    day = value // DAY + gap
    return day * DAY if low else day * DAY + DAY - 1
