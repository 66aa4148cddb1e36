"""Greedy first-fit baseline: courses in request order, each placed first fit or dropped."""

from __future__ import annotations

import time
from collections.abc import Callable

from autologic.care.domain.scheduling.firstfit import Greedy
from autologic.care.domain.scheduling.model import CoursePlan, Explanation, Plan, Problem
from autologic.care.domain.scheduling.shape import Shape, Site, shape


def solve_greedy(
    problem: Problem,
    *,
    site: Site | None = None,
    shapes: list[Shape] | None = None,
    order: Callable[[tuple[int, Shape]], tuple[int, ...]] | None = None,
    explain: bool = True,
) -> Plan:
    """Place courses in request order (fixed first, then priority, earliest), first fit.

    ``order`` replaces the request order (the CP-SAT warm start tries a second one);
    ``explain=False`` skips telling "no room next to others" from "cannot fit at all".
    """
    began = time.perf_counter()
    site = site or Site(problem)
    if shapes is None:
        shapes = [shape(site, c) for c in problem.courses]
    greedy = Greedy(problem, site)
    greedy.book_fixed(shapes)
    placed: dict[str, CoursePlan] = {}
    unplaced: dict[str, Explanation] = {}
    for _, sh in sorted(enumerate(shapes), key=order or request_order):
        outcome = greedy.place(sh)
        if outcome.plan is not None:
            placed[sh.course.id] = outcome.plan
        else:
            assert outcome.failure is not None
            unplaced[sh.course.id] = outcome.failure
    alone = Greedy(problem, site)
    alone.book_fixed(shapes)
    for sh in shapes if explain else []:
        failure = unplaced.get(sh.course.id)
        if failure is None or failure.code in {"invalid_course", "no_resource", "no_window"}:
            continue
        outcome = alone.place(sh)
        if outcome.plan is not None:
            alone.release(outcome.bookings)
            unplaced[sh.course.id] = Explanation(
                "capacity",
                "does not fit next to the courses placed before it: " + failure.message,
                sh.course.id,
                failure.step,
                failure.constraint,
                failure.window_start,
                failure.window_end,
                failure.params,
            )
    return Plan(
        "greedy",
        placed,
        unplaced,
        "greedy",
        {"wall_s": time.perf_counter() - began, "placed": float(len(placed))},
    )


def request_order(item: tuple[int, Shape]) -> tuple[int, ...]:
    """Sort key of (index, shape): fixed steps first, then higher priority, earlier, listed."""
    index, sh = item
    course = sh.course
    return (not course.fixed, -course.priority, course.earliest, index)


def footprint(sh: Shape) -> int:
    """Resource-minutes a course books in clinic hours: small courses are the likeliest to fit."""
    return sum(
        step.duration * sum(d.amount for d in step.demands)
        for step in sh.course.steps
        if step.in_clinic_hours
    )
