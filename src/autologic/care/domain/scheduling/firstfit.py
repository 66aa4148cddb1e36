"""First-fit placement of one course: each step at its earliest feasible slot.

A step that cannot start inside its window pushes the step that bounds the window (a max-gap
link) later and re-places the course from there; a course that cannot be completed is dropped
whole and its bookings are undone.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from autologic.care.domain.scheduling.calendar import align, fits, next_fit
from autologic.care.domain.scheduling.explain import Upper, explain_window
from autologic.care.domain.scheduling.model import (
    DAY,
    CoursePlan,
    Explanation,
    HoldAssignment,
    Link,
    Placement,
    Problem,
    Resource,
    Step,
)
from autologic.care.domain.scheduling.profile import NEG, POS, Booking, Profile
from autologic.care.domain.scheduling.shape import Shape, Site

# Each push strictly delays one step, so the search ends anyway; this bounds the slow cases.
MAX_BACKTRACKS = 200


@dataclass
class Outcome:
    """A placed course and its bookings, or why it failed."""

    plan: CoursePlan | None
    bookings: list[Booking]
    failure: Explanation | None = None


class Greedy:
    """Resource profiles of a site and first-fit placement of one course at a time."""

    def __init__(self, problem: Problem, site: Site | None = None) -> None:
        """Empty profiles for every resource."""
        self.problem = problem
        self.site = site or Site(problem)
        self.slot = problem.slot_minutes
        self.profiles = {r.id: Profile() for r in problem.resources}

    def book(self, bookings: list[Booking], rid: str, start: int, end: int, amount: int) -> None:
        """Book and remember the booking so it can be undone."""
        self.profiles[rid].add(start, end, amount)
        bookings.append((rid, start, end, amount))

    def release(self, bookings: list[Booking], keep: int = 0) -> None:
        """Undo bookings after the first ``keep``."""
        while len(bookings) > keep:
            rid, start, end, amount = bookings.pop()
            self.profiles[rid].add(start, end, -amount)

    def book_fixed(self, shapes: list[Shape]) -> None:
        """Book every fixed placement (and fixed hold between two fixed steps) of every course."""
        sink: list[Booking] = []
        for sh in shapes:
            course = sh.course
            for placement in course.fixed:
                step = sh.steps.get(placement.step)
                if step is None:
                    continue
                for demand, rid in zip(step.demands, placement.resources, strict=False):
                    if rid in self.profiles:
                        self.book(sink, rid, placement.start, placement.end, demand.amount)
            for index, rid in sh.pinned.items():
                if not 0 <= index < len(course.holds) or rid not in self.profiles:
                    continue
                hold = course.holds[index]
                a, b = sh.fixed.get(hold.from_step), sh.fixed.get(hold.to_step)
                if a is not None and b is not None:
                    self.book(sink, rid, a.end, b.start, hold.amount)

    def book_plan(self, sh: Shape, cplan: CoursePlan) -> list[Booking]:
        """Book a course plan's non-fixed placements and its holds; returns the bookings."""
        bookings: list[Booking] = []
        for placement in cplan.placements:
            if placement.step in sh.fixed:
                continue
            step = sh.steps[placement.step]
            for demand, rid in zip(step.demands, placement.resources, strict=True):
                self.book(bookings, rid, placement.start, placement.end, demand.amount)
        for assignment in cplan.holds:
            hold = sh.course.holds[assignment.index]
            if (
                assignment.index in sh.pinned
                and hold.from_step in sh.fixed
                and hold.to_step in sh.fixed
            ):
                continue  # booked with the fixed placements
            a, b = cplan.placement(hold.from_step), cplan.placement(hold.to_step)
            self.book(bookings, assignment.resource, a.end, b.start, hold.amount)
        return bookings

    # -- searching -----------------------------------------------------------------------------

    def next_free(self, r: Resource, step: Step, t: int, amount: int) -> int | None:
        """Earliest grid start >= t where ``r`` is open and has room for the whole step."""
        # One merged walk over the open windows and the booked segments: both only move forward.
        windows = self.site.windows(r, step)
        profile = self.profiles[r.id]
        times, levels = profile.times, profile.levels
        n_times = len(times)
        limit = r.capacity - amount
        duration = step.duration
        slot = self.slot
        t = -(-t // slot) * slot
        w = max(bisect_right(windows, (t, POS)) - 1, 0)
        p = bisect_right(times, t) - 1
        n_windows = len(windows)
        while True:
            while w < n_windows:
                lo, hi = windows[w]
                if lo > t:
                    t = -(-lo // slot) * slot
                if t + duration <= hi:
                    break
                w += 1
            else:
                return None
            while p + 1 < n_times and times[p + 1] <= t:
                p += 1
            end = t + duration
            j = p
            while j < n_times and times[j] < end:
                if levels[j] > limit:
                    break
                j += 1
            else:
                return t
            if j + 1 >= n_times:
                return None
            t = -(-times[j + 1] // slot) * slot
            p = j + 1

    def earliest(
        self, sh: Shape, key: str, t: int, limit: int, placed: dict[str, Placement]
    ) -> int | None:
        """Earliest start in [t, limit] where every demand (and outgoing fixed hold) fits."""
        step = sh.steps[key]
        duration = step.duration
        step_windows = self.site.step_windows(step)
        outgoing = [i for i in sh.holds_out[key] if sh.course.holds[i].to_step in placed]
        while t <= limit:
            before = t
            start = next_fit(step_windows, t, duration, self.slot)
            if start is None:
                return None
            t = start
            for demand, candidates in zip(step.demands, sh.candidates[key], strict=True):
                best = None
                for r in candidates:
                    found = self.next_free(r, step, t, demand.amount)
                    if found is not None and (best is None or found < best):
                        best = found
                if best is None:
                    return None
                t = max(t, best)
            for index in outgoing:
                hold = sh.course.holds[index]
                until = placed[hold.to_step].start
                best = None
                for r in sh.hold_candidates[index]:
                    blocked = self.profiles[r.id].last_block(
                        t + duration, until, r.capacity - hold.amount
                    )
                    found = t if blocked is None else align(blocked - duration, self.slot)
                    best = found if best is None else min(best, found)
                if best is None:
                    return None
                t = max(t, best)
            if t == before:
                return t
        return None

    def _assign(self, sh: Shape, key: str, t: int, bookings: list[Booking]) -> list[str] | None:
        step = sh.steps[key]
        end = t + step.duration
        chosen: list[str] = []
        mark = len(bookings)
        for demand, candidates in zip(step.demands, sh.candidates[key], strict=True):
            for r in candidates:
                if fits(self.site.windows(r, step), t, end) and (
                    self.profiles[r.id].first_block(t, end, r.capacity - demand.amount) is None
                ):
                    self.book(bookings, r.id, t, end, demand.amount)
                    chosen.append(r.id)
                    break
            else:
                self.release(bookings, mark)
                return None
        return chosen

    def _hold_resource(self, sh: Shape, index: int, start: int, end: int) -> str | None:
        hold = sh.course.holds[index]
        for r in sh.hold_candidates[index]:
            if self.profiles[r.id].first_block(start, end, r.capacity - hold.amount) is None:
                return r.id
        return None

    # -- placing a course ------------------------------------------------------------------------

    def window(
        self, sh: Shape, key: str, placed: dict[str, Placement], lb: dict[str, int]
    ) -> tuple[int, list[Upper]]:
        """Lower bound and upper bounds (with their sources) on the start of a step."""
        course = sh.course
        step = sh.steps[key]
        lo = max(course.earliest, 0, lb.get(key, 0))
        uppers = [Upper(self.problem.horizon - step.duration, "horizon")]
        if key == course.steps[0].key and course.latest is not None:
            uppers.append(Upper(course.latest, "latest"))
        for link in sh.links_in[key]:
            p = placed.get(link.before)
            if p is None:
                continue
            low, high = _link_bounds(link, p.start, forward=True)
            lo = max(lo, low)
            if high is not None:
                uppers.append(Upper(high, "link_max", link, link.before))
        for link in sh.links_out[key]:
            q = placed.get(link.after)
            if q is None:
                continue
            low, high = _link_bounds(link, q.start, forward=False)
            lo = max(lo, low)
            if high is not None:
                uppers.append(Upper(high, "successor", link, link.after))
        for index in sh.holds_in[key]:
            p = placed.get(sh.course.holds[index].from_step)
            if p is not None:
                lo = max(lo, p.end)
        for index in sh.holds_out[key]:
            q = placed.get(sh.course.holds[index].to_step)
            if q is not None:
                uppers.append(Upper(q.start - step.duration, "hold_successor", None, q.step))
        return lo, uppers

    def place(self, sh: Shape) -> Outcome:
        """Place a course first-fit, or undo everything and explain the failure."""
        course = sh.course
        if sh.error:
            return Outcome(None, [], _fail(course.id, "invalid_course", sh.error))
        for key, per_demand in sh.candidates.items():
            if key in sh.fixed:
                continue
            for demand, candidates in zip(sh.steps[key].demands, per_demand, strict=True):
                if not candidates:
                    what = demand.kind + (f" with {demand.capability}" if demand.capability else "")
                    return Outcome(
                        None, [], _fail(course.id, "no_resource", f"no {what} for {key}", key)
                    )
        for index, candidates in sh.hold_candidates.items():
            if not candidates:
                hold = course.holds[index]
                return Outcome(
                    None,
                    [],
                    _fail(course.id, "no_resource", f"no {hold.kind} for hold {index}", None),
                )

        # With steps already fixed, the search below names the exact constraint instead.
        if sh.empty is not None and not sh.fixed:
            key = sh.empty
            return Outcome(
                None,
                [],
                _fail(
                    course.id,
                    "no_window",
                    f"{key} would have to start after {_fmt(self.problem, sh.est[key])} and by "
                    f"{_fmt(self.problem, sh.lst[key])}: the course's gaps, its earliest and "
                    "latest start, the site's open days and the horizon leave no time for it",
                    key,
                    "course window",
                    sh.est[key],
                    sh.lst[key],
                ),
            )
        placed: dict[str, Placement] = dict(sh.fixed)
        holds: dict[int, str] = dict(sh.pinned)
        bookings: list[Booking] = []
        for index, hold in enumerate(course.holds):
            a, b = sh.fixed.get(hold.from_step), sh.fixed.get(hold.to_step)
            if index in holds or a is None or b is None:
                continue
            # Both ends are facts, only the resource is open: take the first with room.
            rid = self._hold_resource(sh, index, a.end, b.start)
            if rid is None:
                return Outcome(
                    None, [], _fail(course.id, "hold_capacity", f"no room for hold {index}")
                )
            holds[index] = rid
            self.book(bookings, rid, a.end, b.start, hold.amount)
        marks: dict[int, int] = {}
        lb: dict[str, int] = {}
        pushed_by: dict[str, str] = {}
        position = {key: i for i, key in enumerate(sh.order)}
        i = 0
        backtracks = 0
        while i < len(sh.order):
            key = sh.order[i]
            if key in sh.fixed:
                i += 1
                continue
            marks[i] = len(bookings)
            step = sh.steps[key]
            lo, uppers = self.window(sh, key, placed, lb)
            lo = max(lo, sh.est[key])
            hi = min(u.value for u in uppers)
            # No placement of the other steps lets this one start after its static latest.
            t = self.earliest(sh, key, lo, sh.lst[key], placed)
            failure: Explanation | None = None
            push: dict[str, int] = {}
            if t is None or t > hi:
                violated = [u for u in uppers if t is None or u.value < t]
                hard = [u for u in violated if u.kind != "link_max" or u.other in sh.fixed]
                if t is None:
                    # The search stopped at the static latest start; name a constraint only
                    # if it is at least as tight.
                    limit = sh.lst[key]
                    hard = [u for u in hard if u.value <= limit] or [Upper(limit, "static")]
                if t is None or hard:
                    natural, _ = self.window(sh, key, placed, {})
                    failure = explain_window(
                        self,
                        sh,
                        key,
                        natural,
                        lo,
                        hi,
                        t,
                        hard or violated,
                        placed,
                        pushed_by.get(key),
                    )
                else:
                    for u in violated:
                        assert u.link is not None and u.other is not None
                        push[u.other] = _push_before(u.link, t)
            else:
                chosen = self._assign(sh, key, t, bookings)
                if chosen is None:
                    # Demands fit one by one but not together (two of one kind): try later.
                    lb[key] = t + self.slot
                    continue
                for index in sh.holds_in[key]:
                    hold = course.holds[index]
                    source = placed[hold.from_step]
                    rid = self._hold_resource(sh, index, source.end, t)
                    if rid is None:
                        if hold.from_step in sh.fixed:
                            failure = _fail(
                                course.id,
                                "hold_capacity",
                                f"no {hold.kind} has room for {hold.amount} from "
                                f"{_fmt(self.problem, source.end)} to {_fmt(self.problem, t)}",
                                key,
                                f"hold {hold.from_step}->{hold.to_step}",
                                source.end,
                                t,
                            )
                        else:
                            push[hold.from_step] = self._hold_push(sh, index, source, t)
                        break
                    holds[index] = rid
                    self.book(bookings, rid, source.end, t, hold.amount)
                else:
                    for index in sh.holds_out[key]:
                        hold = course.holds[index]
                        target = placed.get(hold.to_step)
                        if target is None:
                            continue
                        rid = self._hold_resource(sh, index, t + step.duration, target.start)
                        if rid is None:  # earliest() made sure one has room
                            raise AssertionError("outgoing hold lost its room")
                        holds[index] = rid
                        self.book(bookings, rid, t + step.duration, target.start, hold.amount)
                    placed[key] = Placement(key, t, t + step.duration, tuple(chosen))
                    i += 1
                    continue
            if failure is not None:
                self.release(bookings)
                return Outcome(None, [], failure)
            backtracks += 1
            if backtracks > MAX_BACKTRACKS:
                self.release(bookings)
                return Outcome(
                    None,
                    [],
                    _fail(
                        course.id, "search_limit", f"gave up after {MAX_BACKTRACKS} retries", key
                    ),
                )
            for other, value in push.items():
                lb[other] = max(lb.get(other, 0), value)
                pushed_by[other] = key
            i = min(position[other] for other in push)
            self.release(bookings, marks[i])
            for later in sh.order[i:]:
                if later not in sh.fixed:
                    placed.pop(later, None)
            for index, hold in enumerate(course.holds):
                if index not in sh.pinned and hold.to_step not in placed:
                    holds.pop(index, None)

        plan = CoursePlan(
            course.id,
            tuple(placed[s.key] for s in course.steps),
            tuple(HoldAssignment(index, holds[index]) for index in sorted(holds)),
        )
        return Outcome(plan, bookings)

    def _hold_push(self, sh: Shape, index: int, source: Placement, t: int) -> int:
        hold = sh.course.holds[index]
        best = t
        for r in sh.hold_candidates[index]:
            blocked = self.profiles[r.id].last_block(source.end, t, r.capacity - hold.amount)
            if blocked is not None:
                best = min(best, blocked)
        duration = source.end - source.start
        return min(best, t) - duration


def _link_bounds(link: Link, other: int, *, forward: bool) -> tuple[int, int | None]:
    """Bounds on a step's start from a placed step at ``other`` (its predecessor if forward)."""
    if link.unit == "day":
        base = other // DAY
        if forward:
            high = None if link.max_gap is None else (base + link.max_gap + 1) * DAY - 1
            return (base + link.min_gap) * DAY, high
        low = NEG if link.max_gap is None else (base - link.max_gap) * DAY
        return low, (base - link.min_gap + 1) * DAY - 1
    if forward:
        high = None if link.max_gap is None else other + link.max_gap
        return other + link.min_gap, high
    low = NEG if link.max_gap is None else other - link.max_gap
    return low, other - link.min_gap


def _push_before(link: Link, t: int) -> int:
    """Earliest start of ``link.before`` that lets ``link.after`` start at ``t``."""
    assert link.max_gap is not None
    if link.unit == "day":
        return (t // DAY - link.max_gap) * DAY
    return t - link.max_gap


def _fmt(problem: Problem, minute: int) -> str:
    return problem.when(minute).strftime("%Y-%m-%d %H:%M")


def _fail(
    course: str,
    code: str,
    message: str,
    step: str | None = None,
    constraint: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Explanation:
    return Explanation(code, message, course, step, constraint, start, end)
