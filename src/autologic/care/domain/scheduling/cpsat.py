"""CP-SAT planning: greedy warm starts, then the CP-SAT model over all courses (small problems)
or over neighbourhoods of the incumbent plan (large ones), never accepting a worse plan.

The model itself is in ``cpsat_model``.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Mapping

from ortools.sat.python import cp_model

from autologic.care.domain.scheduling.calendar import complement
from autologic.care.domain.scheduling.cpsat_model import (
    Builder,
    extract,
    hint,
    hold_resources,
    priority_weights,
)
from autologic.care.domain.scheduling.firstfit import Greedy
from autologic.care.domain.scheduling.greedy import footprint, solve_greedy
from autologic.care.domain.scheduling.model import DAY, CoursePlan, Explanation, Plan, Problem
from autologic.care.domain.scheduling.profile import Booking
from autologic.care.domain.scheduling.shape import Shape, Site, shape

WARM_START_SHARE = 0.5  # run the second greedy only if the first took less than this share
FULL_MODEL_MAX = 150  # up to this many courses, one model over all of them
HOOD_DAYS = 14  # above it, neighbourhoods of courses starting within two weeks ...
HOOD_UNPLACED = 40  # ... with this many not-yet-placed challengers each
HOOD_MAX = 160  # bigger groups (a crowded window) are split
_EXTRACT_MARGIN_S = 0.4  # the last solve overruns a little and the plan is still to be built
_MIN_SOLVE_S = 0.25  # below this a solve rarely gets past presolve


class _State:
    """The incumbent plan and the resource usage it books, course by course."""

    def __init__(
        self, problem: Problem, site: Site, shapes: list[Shape], placed: Mapping[str, CoursePlan]
    ) -> None:
        """Book the fixed placements and every placed course."""
        self.problem = problem
        self.site = site
        self.shapes = {sh.course.id: sh for sh in shapes}
        self.greedy = Greedy(problem, site)
        self.greedy.book_fixed(shapes)
        self.placed: dict[str, CoursePlan] = {}
        self.bookings: dict[str, list[Booking]] = {}
        takes_holds = hold_resources(problem, site)
        # Closed hours block a resource's steps, not its holds: a freezer with staffed hours
        # keeps its aliquots overnight, so its hours are enforced on step starts instead.
        self.closed = {
            r.id: [] if r.id in takes_holds else complement(site.hours(r), problem.horizon)
            for r in problem.resources
        }
        for cid, cplan in placed.items():
            self.book(cid, cplan)

    def book(self, cid: str, cplan: CoursePlan) -> None:
        """Add a course's plan to the incumbent."""
        self.placed[cid] = cplan
        self.bookings[cid] = self.greedy.book_plan(self.shapes[cid], cplan)

    def release(self, cid: str) -> None:
        """Take a course out of the incumbent (its fixed placements stay booked)."""
        if cid in self.placed:
            del self.placed[cid]
            self.greedy.release(self.bookings.pop(cid))

    def background(self, lo: int, hi: int) -> dict[str, list[tuple[int, int, int]]]:
        """Per resource, (start, end, amount) already taken in [lo, hi): bookings and closed
        hours (not for resources that take holds, whose hours bind steps only)."""
        out: dict[str, list[tuple[int, int, int]]] = {}
        for r in self.problem.resources:
            profile = self.greedy.profiles[r.id]
            closed = self.closed[r.id]
            points = {lo, hi}
            points.update(t for t in profile.times if lo < t < hi)
            points.update(t for iv in closed for t in iv if lo < t < hi)
            ordered = sorted(points)
            segments: list[tuple[int, int, int]] = []
            for a, b in zip(ordered, ordered[1:], strict=False):
                level = profile.levels[bisect_right(profile.times, a) - 1]
                i = bisect_right(closed, (a, 1 << 62)) - 1
                amount = r.capacity if i >= 0 and closed[i][1] > a else min(level, r.capacity)
                if amount <= 0:
                    continue
                if segments and segments[-1][1] == a and segments[-1][2] == amount:
                    segments[-1] = (segments[-1][0], b, amount)
                else:
                    segments.append((a, b, amount))
            out[r.id] = segments
        return out


def solve_cpsat(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    started: float | None = None,
    neighbourhoods: bool | None = None,
) -> Plan:
    """Greedy, then CP-SAT over all courses (small problems) or over neighbourhoods of the
    incumbent (large ones), never accepting a worse plan.

    ``time_limit_s`` covers everything from ``started`` (a ``time.perf_counter()`` value,
    default now): both greedy runs, model building and solving. ``neighbourhoods`` forces
    (True) or forbids (False) the neighbourhood search; by default it is used above
    ``FULL_MODEL_MAX`` courses.
    """
    began = time.perf_counter() if started is None else started
    deadline = began + time_limit_s - _EXTRACT_MARGIN_S
    site = Site(problem)
    shapes = [shape(site, c) for c in problem.courses]
    greedy = solve_greedy(problem, site=site, shapes=shapes)
    stats: dict[str, float] = {
        "greedy_s": time.perf_counter() - began,
        "greedy_placed": float(len(greedy.placed)),
    }
    weights = priority_weights(shapes)
    free = [
        sh
        for sh in shapes
        if not sh.error
        and sh.empty is None
        and all(c for per_demand in sh.candidates.values() for c in per_demand)
        and all(sh.hold_candidates.values())
    ]
    start = greedy.placed
    # A second greedy often places more: it keeps the first one's choices in every priority
    # level but the lowest, and fills the lowest level with its smallest courses first.
    if time.perf_counter() - began < WARM_START_SHARE * time_limit_s:
        lowest = min((c.priority for c in problem.courses if not c.fixed), default=0)
        first = greedy.placed

        def compact(item: tuple[int, Shape]) -> tuple[int, ...]:
            index, sh = item
            course = sh.course
            keep = course.priority > lowest or bool(course.fixed)
            # Above the lowest level, the first greedy's placed courses in its own order give
            # exactly its placements again.
            size = 0 if keep else footprint(sh)
            return (
                not course.fixed,
                -course.priority,
                keep and course.id not in first,
                size,
                course.earliest,
                index,
            )

        second = solve_greedy(problem, site=site, shapes=shapes, order=compact, explain=False)
        stats["compact_placed"] = float(len(second.placed))
        if _score(second.placed, weights) > _score(greedy.placed, weights):
            start = second.placed
    stats["warm_start_s"] = time.perf_counter() - began
    state = _State(problem, site, shapes, start)
    status = "greedy_time_limit"
    if not (len(free) > FULL_MODEL_MAX if neighbourhoods is None else neighbourhoods):
        left = deadline - time.perf_counter()
        outcome = _solve_hood(state, free, weights, left, workers, seed, count_only=False)
        stats["hoods"] = 1.0
        stats["courses_in_model"] = float(len(free))
        if outcome is not None:
            status = "optimal" if outcome[1] else "feasible"
    else:
        status = _lns(state, free, weights, deadline, workers, seed, stats)
    placed = dict(state.placed)
    if sum(weights[c] for c in placed) < sum(weights[c] for c in greedy.placed):
        placed, status = dict(greedy.placed), "greedy_fallback"  # cannot happen: hinted
    unplaced: dict[str, Explanation] = {}
    for sh in shapes:
        cid = sh.course.id
        if cid not in placed:
            unplaced[cid] = greedy.unplaced.get(cid) or Explanation(
                "displaced",
                "the optimiser gave this course's slots to more courses or to courses of "
                "higher priority",
                cid,
            )
    stats["wall_s"] = time.perf_counter() - began
    stats["placed"] = float(len(placed))
    return Plan("cpsat", placed, unplaced, status, stats)


def _score(placed: Mapping[str, CoursePlan], weights: dict[str, int]) -> tuple[int, int]:
    """Weighted placed courses, then minus the summed start days (earlier is better)."""
    days = sum(p.start // DAY for cplan in placed.values() for p in cplan.placements)
    return sum(weights[c] for c in placed), -days


def _lns(
    state: _State,
    free: list[Shape],
    weights: dict[str, int],
    deadline: float,
    workers: int,
    seed: int,
    stats: dict[str, float],
) -> str:
    """Sweep neighbourhoods over the horizon until time runs out or a sweep gains nothing."""
    order = {sh.course.id: i for i, sh in enumerate(free)}
    hoods = improved = 0
    sweep = 0
    while True:
        gained = False
        plan_hoods = _neighbourhoods(state, free, order, sweep)
        for i, hood in enumerate(plan_hoods):
            left = deadline - time.perf_counter()
            share = left / (len(plan_hoods) - i)
            if left < _MIN_SOLVE_S:
                break
            outcome = _solve_hood(state, hood, weights, max(share, _MIN_SOLVE_S), workers, seed)
            hoods += 1
            if outcome is not None and outcome[0]:
                improved += 1
                gained = True
        sweep += 1
        if deadline - time.perf_counter() < _MIN_SOLVE_S or (not gained and sweep >= 2):
            break
    stats.update(hoods=float(hoods), improved_hoods=float(improved), sweeps=float(sweep))
    return "lns"


def _neighbourhoods(
    state: _State, free: list[Shape], order: dict[str, int], sweep: int
) -> list[list[Shape]]:
    """Courses grouped by when they start (placed) or may start (not placed), in windows of
    ``HOOD_DAYS`` shifted by half a window every other sweep; challengers rotate by sweep."""
    width = HOOD_DAYS * DAY
    offset = (sweep % 2) * width // 2
    placed: dict[int, list[Shape]] = {}
    waiting: dict[int, list[Shape]] = {}
    for sh in free:
        first = sh.course.steps[0].key
        cplan = state.placed.get(sh.course.id)
        if cplan is not None:
            anchor = cplan.placement(first).start
            placed.setdefault((anchor + offset) // width, []).append(sh)
        else:
            anchor = sh.est[first]
            waiting.setdefault((anchor + offset) // width, []).append(sh)
    hoods = []
    for bucket in sorted(set(placed) | set(waiting)):
        ins = placed.get(bucket, [])
        outs = sorted(
            waiting.get(bucket, []),
            key=lambda sh: (-sh.course.priority, footprint(sh), order[sh.course.id]),
        )
        if outs:
            start = (sweep // 2) * HOOD_UNPLACED % len(outs)
            outs = (outs[start:] + outs[:start])[:HOOD_UNPLACED]
        group = ins + outs
        for i in range(0, len(group), HOOD_MAX):
            hoods.append(group[i : i + HOOD_MAX])
    return hoods


def _solve_hood(
    state: _State,
    hood: list[Shape],
    weights: dict[str, int],
    time_s: float,
    workers: int,
    seed: int,
    *,
    count_only: bool = True,
) -> tuple[bool, bool] | None:
    """Re-solve the courses of ``hood`` against everything else; keep the result if better.

    With ``count_only`` the solver stops once no further course can be placed, leaving
    lateness (only a tie-break) where it is. Returns (improved, proven optimal), or None if
    there was no time or no solution.
    """
    if time_s < _MIN_SOLVE_S or not hood:
        return None
    began = time.perf_counter()
    lo = min(min(sh.est.values()) for sh in hood)
    hi = max(max(sh.lst[k] + sh.steps[k].duration for k in sh.steps) for sh in hood)
    for sh in hood:
        for placement in sh.course.fixed:
            lo, hi = min(lo, placement.start), max(hi, placement.end)
    previous = {
        sh.course.id: state.placed[sh.course.id] for sh in hood if sh.course.id in state.placed
    }
    for cid in previous:
        state.release(cid)
    builder = Builder(state.problem, state.site, state.background(lo, hi))
    for sh in hood:
        if not builder.add_course(sh, sh.est, sh.lst) and sh.course.id in previous:
            # The model says a course already placed cannot be; never trade it on that basis.
            for cid, cplan in previous.items():
                state.book(cid, cplan)
            return None
    builder.resources()
    spread = builder.objective(weights)
    hinted = hint(builder, previous, weights, spread)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_s - (time.perf_counter() - began), 0.05)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # Probing in presolve costs seconds on these models and finds little.
    solver.parameters.cp_model_probing_level = 0
    if count_only:
        solver.parameters.absolute_gap_limit = spread - 1
    status = solver.solve(builder.model)
    better = status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (solver.objective_value > hinted)
    if better:
        for cv in builder.courses:
            if solver.boolean_value(cv.present):
                state.book(cv.shape.course.id, extract(builder, cv, solver))
    else:
        for cid, cplan in previous.items():
            state.book(cid, cplan)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return better, status == cp_model.OPTIMAL
