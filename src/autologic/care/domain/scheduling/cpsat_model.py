"""CP-SAT model of a set of free courses; everything else is fixed background.

Formulation (times in slots of ``slot_minutes``; a step starts at ``slot * k``):

- a Boolean ``x_c`` per course; every non-fixed step has one start variable whose domain already
  excludes closing days, site hours and the step's time-of-day window;
- per demand, one optional fixed-size interval per candidate resource; exactly one of them is
  present iff ``x_c`` (``sum == x_c``), so a course is placed whole or not at all;
- one NoOverlap (capacity 1) or Cumulative per resource over those intervals plus fixed
  background intervals: closed hours at full capacity, fixed placements, and the bookings of
  courses that are not free in this model; so a step lies inside its resources' hours (a
  resource that also takes holds gets its hours as a start domain instead, since holds run
  through the night);
- a hold is an optional variable-size interval from the end of one step to the start of another;
- links are linear constraints on starts (minute links) or on day variables with
  ``day * 1440 <= start <= day * 1440 + 1439`` (day links), enforced only if ``x_c``;
- the objective maximises priority-weighted placed courses; a course of higher priority
  outweighs all lower ones together, and any course outweighs all lateness (days from the
  horizon start, summed over steps), which breaks ties towards earlier dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from autologic.care.domain.scheduling.calendar import Windows, intersect, start_ranges
from autologic.care.domain.scheduling.model import (
    DAY,
    CoursePlan,
    HoldAssignment,
    Link,
    Placement,
    Problem,
)
from autologic.care.domain.scheduling.shape import Shape, Site


@dataclass
class Option:
    """One candidate resource for a demand or hold: its presence literal and interval."""

    resource: str
    present: cp_model.IntVar
    interval: cp_model.IntervalVar
    amount: int


@dataclass
class CourseVars:
    """The variables of one optional course."""

    shape: Shape
    present: cp_model.IntVar
    starts: dict[str, cp_model.IntVar] = field(default_factory=dict)
    days: dict[str, cp_model.IntVar] = field(default_factory=dict)
    lowest: dict[str, int] = field(default_factory=dict)  # smallest k of each start
    day_span: int = 0  # sum over steps of (last day - first day) a step may take
    options: dict[str, list[list[Option]]] = field(default_factory=dict)
    holds: dict[int, list[Option]] = field(default_factory=dict)
    hold_sizes: dict[int, cp_model.IntVar] = field(default_factory=dict)


class Builder:
    """One CP-SAT model over a set of free courses, everything else being fixed background."""

    def __init__(
        self, problem: Problem, site: Site, background: dict[str, list[tuple[int, int, int]]]
    ) -> None:
        """A model whose resources already carry ``background`` (start, end, amount) usage."""
        self.problem = problem
        self.site = site
        self.slot = problem.slot_minutes
        self.per_day = DAY // self.slot
        self.model = cp_model.CpModel()
        self.background = background
        self.usage: dict[str, list[tuple[cp_model.IntervalVar, int]]] = {
            r.id: [] for r in problem.resources
        }
        self.courses: list[CourseVars] = []
        self.hold_resources = hold_resources(problem, site)

    def add_course(self, sh: Shape, est: dict[str, int], lst: dict[str, int]) -> bool:
        """Variables and constraints of one optional course; False if it cannot fit at all."""
        m = self.model
        slot = self.slot
        x = m.new_bool_var(f"x_{sh.course.id}")
        cv = CourseVars(sh, x)
        # Intervals join their resources only once the whole course is known to be possible.
        pending: list[tuple[str, cp_model.IntervalVar, int]] = []
        for key, step in sh.steps.items():
            if key in sh.fixed:
                continue
            windows = intersect(
                self.site.step_windows(step), [(est[key], lst[key] + step.duration)]
            )
            # Keep only starts where every demand has at least one candidate open.
            per_demand: list[list[tuple[str, Windows]]] = []
            for candidates in sh.candidates[key]:
                opened = [
                    (r.id, intersect(self.site.windows(r, step), windows)) for r in candidates
                ]
                opened = [(rid, w) for rid, w in opened if start_ranges(w, step.duration, slot)]
                if not opened:
                    return False
                union = sorted(iv for _, w in opened for iv in w)
                windows = intersect(windows, _union(union))
                per_demand.append(opened)
            ranges = start_ranges(windows, step.duration, slot)
            if not ranges:
                return False
            k = m.new_int_var_from_domain(
                cp_model.Domain.from_intervals([list(r) for r in ranges]), ""
            )
            cv.starts[key] = k
            cv.lowest[key] = ranges[0][0]
            first_day, last_day = ranges[0][0] // self.per_day, ranges[-1][1] // self.per_day
            cv.day_span += last_day - first_day
            day = m.new_int_var(first_day, last_day, "")
            m.add(k >= self.per_day * day)
            m.add(k <= self.per_day * day + self.per_day - 1)
            cv.days[key] = day
            cv.options[key] = []
            for demand, opened in zip(step.demands, per_demand, strict=True):
                options = []
                for rid, rwindows in opened:
                    present = x if len(opened) == 1 else m.new_bool_var("")
                    interval = m.new_optional_fixed_size_interval_var(
                        slot * k, step.duration, present, ""
                    )
                    options.append(Option(rid, present, interval, demand.amount))
                    pending.append((rid, interval, demand.amount))
                    # Resources that also take holds get no closed-hours blocks (holds run
                    # at night), so their hours are enforced on the start instead.
                    if rid in self.hold_resources and rwindows != windows:
                        rranges = start_ranges(rwindows, step.duration, slot)
                        m.add_linear_expression_in_domain(
                            k, cp_model.Domain.from_intervals([list(r) for r in rranges])
                        ).only_enforce_if(present)
                if len(options) > 1:
                    m.add(sum(o.present for o in options) == x)
                cv.options[key].append(options)
        for link in sh.course.links:
            self._link(cv, link)
        for index, hold in enumerate(sh.course.holds):
            a, b = sh.fixed.get(hold.from_step), sh.fixed.get(hold.to_step)
            if a is not None and b is not None and index in sh.pinned:
                continue
            start = (
                a.end
                if a is not None
                else slot * cv.starts[hold.from_step] + (sh.steps[hold.from_step].duration)
            )
            end = b.start if b is not None else slot * cv.starts[hold.to_step]
            size = m.new_int_var(0, self.problem.horizon, "")
            m.add(end >= start).only_enforce_if(x)
            candidates = sh.hold_candidates[index]
            if not candidates:
                return False
            options = []
            for r in candidates:
                present = x if len(candidates) == 1 else m.new_bool_var("")
                interval = m.new_optional_interval_var(start, size, end, present, "")
                options.append(Option(r.id, present, interval, hold.amount))
                pending.append((r.id, interval, hold.amount))
            if len(options) > 1:
                m.add(sum(o.present for o in options) == x)
            cv.holds[index] = options
            cv.hold_sizes[index] = size
        for rid, interval, amount in pending:
            self.usage[rid].append((interval, amount))
        self.courses.append(cv)
        return True

    def _link(self, cv: CourseVars, link: Link) -> None:
        m = self.model
        sh = cv.shape
        if link.before in sh.fixed and link.after in sh.fixed:
            return
        if link.unit == "minute":
            a = self._start(cv, link.before)
            b = self._start(cv, link.after)
        else:
            a = self._day(cv, link.before)
            b = self._day(cv, link.after)
        m.add(b - a >= link.min_gap).only_enforce_if(cv.present)
        if link.max_gap is not None:
            m.add(b - a <= link.max_gap).only_enforce_if(cv.present)

    def _start(self, cv: CourseVars, key: str) -> cp_model.LinearExpr | int:
        fixed = cv.shape.fixed.get(key)
        return fixed.start if fixed is not None else self.slot * cv.starts[key]

    def _day(self, cv: CourseVars, key: str) -> cp_model.LinearExpr | int:
        fixed = cv.shape.fixed.get(key)
        return fixed.start // DAY if fixed is not None else cv.days[key]

    def resources(self) -> None:
        """NoOverlap (capacity 1) or Cumulative per resource, background as fixed intervals."""
        m = self.model
        for r in self.problem.resources:
            uses = self.usage[r.id]
            if not uses:
                continue
            fixed = [
                (m.new_fixed_size_interval_var(lo, hi - lo, ""), amount)
                for lo, hi, amount in self.background.get(r.id, [])
            ]
            if r.capacity == 1:
                m.add_no_overlap([i for i, _ in uses] + [i for i, _ in fixed])
            else:
                everything = uses + fixed
                m.add_cumulative([i for i, _ in everything], [a for _, a in everything], r.capacity)

    def objective(self, weights: dict[str, int]) -> int:
        """Maximise weighted placed courses, then earliness; returns the weight of one course."""
        spread = 1 + sum(cv.day_span for cv in self.courses)
        lateness = [d for cv in self.courses for d in cv.days.values()]
        self.model.maximize(
            sum(weights[cv.shape.course.id] * spread * cv.present for cv in self.courses)
            - sum(lateness)
        )
        return spread


def hold_resources(problem: Problem, site: Site) -> set[str]:
    """Resources with hours that holds may use: their hours bind steps only, not holds."""
    return {
        r.id
        for c in problem.courses
        for h in c.holds
        for r in site.hold_candidates(h)
        if r.hours is not None
    }


def _union(intervals: list[tuple[int, int]]) -> Windows:
    out: Windows = []
    for lo, hi in intervals:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def priority_weights(shapes: list[Shape]) -> dict[str, int]:
    """Per course: a weight such that one course outweighs every course of a lower level.

    Levels are (has fixed steps, priority): a course already under way comes first.
    """
    counts: dict[tuple[bool, int], int] = {}
    for sh in shapes:
        level = (bool(sh.course.fixed), sh.course.priority)
        counts[level] = counts.get(level, 0) + 1
    weight: dict[tuple[bool, int], int] = {}
    below = 0
    for level in sorted(counts):
        weight[level] = below + 1
        below += weight[level] * counts[level]
    if below > 1 << 30:
        # Too many levels for strict precedence within int64 with the lateness tie-break.
        weight = {level: rank + 1 for rank, level in enumerate(sorted(counts))}
    return {sh.course.id: weight[(bool(sh.course.fixed), sh.course.priority)] for sh in shapes}


def hint(
    builder: Builder, incumbent: Mapping[str, CoursePlan], weights: dict[str, int], spread: int
) -> int:
    """Hint every variable with the incumbent; returns the incumbent's objective value."""
    m = builder.model
    slot = builder.slot
    value = 0
    for cv in builder.courses:
        cplan = incumbent.get(cv.shape.course.id)
        m.add_hint(cv.present, cplan is not None)
        if cplan is not None:
            value += weights[cv.shape.course.id] * spread
        for key, k in cv.starts.items():
            if cplan is not None:
                placement = cplan.placement(key)
                start, chosen = placement.start // slot, placement.resources
            else:
                start, chosen = cv.lowest[key], ()
            m.add_hint(k, start)
            m.add_hint(cv.days[key], start // builder.per_day)
            value -= start // builder.per_day
            for i, options in enumerate(cv.options[key]):
                for option in options:
                    if option.present is not cv.present:
                        m.add_hint(option.present, i < len(chosen) and option.resource == chosen[i])
        held = {h.index: h.resource for h in cplan.holds} if cplan is not None else {}
        for index, options in cv.holds.items():
            for option in options:
                if option.present is not cv.present:
                    m.add_hint(option.present, held.get(index) == option.resource)
            size = 0
            if cplan is not None:
                hold = cv.shape.course.holds[index]
                size = cplan.placement(hold.to_step).start - cplan.placement(hold.from_step).end
            m.add_hint(cv.hold_sizes[index], size)
    return value


def extract(builder: Builder, cv: CourseVars, solver: cp_model.CpSolver) -> CoursePlan:
    """The placed course as the solver left it."""
    sh = cv.shape
    placements = []
    for step in sh.course.steps:
        fixed = sh.fixed.get(step.key)
        if fixed is not None:
            placements.append(fixed)
            continue
        start = builder.slot * solver.value(cv.starts[step.key])
        rids = tuple(
            next(o.resource for o in options if solver.boolean_value(o.present))
            for options in cv.options[step.key]
        )
        placements.append(Placement(step.key, start, start + step.duration, rids))
    holds = dict(sh.pinned)
    for index, options in cv.holds.items():
        holds[index] = next(o.resource for o in options if solver.boolean_value(o.present))
    return CoursePlan(
        sh.course.id,
        tuple(placements),
        tuple(HoldAssignment(i, holds[i]) for i in sorted(holds)),
    )
