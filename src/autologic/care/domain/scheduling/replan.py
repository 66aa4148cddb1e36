"""Re-planning the rest of one course after a missed or cancelled step."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from autologic.care.domain.scheduling.calendar import align
from autologic.care.domain.scheduling.firstfit import Greedy
from autologic.care.domain.scheduling.model import (
    CoursePlan,
    CourseRequest,
    Explanation,
    Hold,
    HoldAssignment,
    Placement,
    Plan,
    Problem,
    Replan,
)
from autologic.care.domain.scheduling.shape import Site, shape


def replan(
    problem: Problem,
    plan: Plan,
    course_id: str,
    missed_step_key: str,
    now: int | datetime,
    *,
    time_limit_s: float = 5.0,
) -> Replan:
    """Re-place the steps of a course not yet done, after ``missed_step_key`` was missed.

    Done steps (started before ``now``, other than the missed one and the steps that depend on
    it) stay where they are, and so does every other course. The rest goes to its earliest
    feasible place inside the protocol's windows, or the answer explains which constraint
    makes that impossible; the plan is then returned unchanged.
    """
    minute = problem.minute(now) if isinstance(now, datetime) else now
    course = problem.course(course_id)
    cplan = plan.placed.get(course_id)
    if cplan is None:
        raise ValueError(f"course {course_id} is not placed")
    course.step(missed_step_key)  # KeyError for an unknown step

    redo = _descendants(course, missed_step_key) | {missed_step_key}
    redo |= {p.step for p in cplan.placements if p.start >= minute}
    return _place_rest(problem, plan, course_id, redo, minute, time_limit_s)


def reanchor(
    problem: Problem,
    plan: Plan,
    course_id: str,
    step_key: str,
    now: int | datetime,
    *,
    time_limit_s: float = 5.0,
) -> Replan:
    """The rest of a course after ``step_key`` happened at another time than planned; its
    placement in ``plan`` is where it happened.

    The steps that follow it stay where they are while every link and hold from it still
    holds (the windows count from what happened).  Otherwise they are re-placed at their
    earliest feasible place from ``now`` on, everything else staying fixed, or the answer
    explains which constraint makes that impossible and the plan is returned unchanged."""
    minute = problem.minute(now) if isinstance(now, datetime) else now
    course = problem.course(course_id)
    cplan = plan.placed.get(course_id)
    if cplan is None:
        raise ValueError(f"course {course_id} is not placed")
    course.step(step_key)  # KeyError for an unknown step
    after = _descendants(course, step_key)
    placed = {p.step: p for p in cplan.placements}
    if not _broken(problem, course, placed, after):
        return Replan(True, plan, course_id, ())
    return _place_rest(problem, plan, course_id, after, minute, time_limit_s)


def _broken(
    problem: Problem, course: CourseRequest, placed: dict[str, Placement], steps: set[str]
) -> bool:
    """True when a link or hold into one of ``steps`` no longer holds as placed."""
    for link in course.links:
        a, b = placed.get(link.before), placed.get(link.after)
        if link.after not in steps or a is None or b is None:
            continue
        if link.unit == "day":
            gap = (problem.date_of(b.start) - problem.date_of(a.start)).days
        else:
            gap = b.start - a.start
        if gap < link.min_gap or (link.max_gap is not None and gap > link.max_gap):
            return True
    for hold in course.holds:
        a, b = placed.get(hold.from_step), placed.get(hold.to_step)
        if hold.to_step in steps and a is not None and b is not None and b.start < a.end:
            return True
    return False


def _place_rest(
    problem: Problem,
    plan: Plan,
    course_id: str,
    redo: set[str],
    minute: int,
    time_limit_s: float,
) -> Replan:
    """Re-place the steps ``redo`` of a course from ``minute`` on; the rest stays fixed."""
    course = problem.course(course_id)
    cplan = plan.placed[course_id]
    done = tuple(p for p in cplan.placements if p.step not in redo)
    done_keys = {p.step for p in done}
    pins = tuple(
        h
        for h in cplan.holds
        if course.holds[h.index].from_step in done_keys  # the material already sits there
    )
    rest = dataclasses.replace(
        course,
        fixed=done,
        fixed_holds=pins,
        earliest=max(course.earliest, align(minute, problem.slot_minutes)),
    )
    others = [_frozen(c, plan) for c in problem.courses if c.id != course_id]
    sub = dataclasses.replace(problem, courses=(*[c for c in others if c is not None], rest))

    site = Site(sub)
    shapes = [shape(site, c) for c in sub.courses]
    greedy = Greedy(sub, site)
    # Every other course is fixed with its holds pinned, so this books all of them.
    greedy.book_fixed(shapes)
    outcome = greedy.place(shapes[-1])
    new_plan = outcome.plan
    failure = outcome.failure
    if new_plan is None:
        # First fit only ever pushes steps later; the exact model may still find a place.
        from autologic.care.domain.scheduling.cpsat import solve_cpsat

        exact = solve_cpsat(sub, time_limit_s=time_limit_s, neighbourhoods=False)
        new_plan = exact.placed.get(course_id)
        # Not proven impossible only when the exact model had the course and did not finish;
        # a course whose own windows are empty never enters the model.
        unproven = exact.status != "optimal" and exact.stats.get("courses_in_model", 1) > 0
        if new_plan is None and unproven and failure is not None:
            failure = dataclasses.replace(
                failure,
                message=failure.message + " (the exact search ran out of time)",
            )
    if new_plan is None:
        explanation = failure or Explanation("no_slot", "no place found", course_id)
        return Replan(False, plan, course_id, (), explanation)

    old = {p.step: p for p in cplan.placements}
    moved = tuple(p.step for p in new_plan.placements if old.get(p.step) != p)
    placed = dict(plan.placed)
    placed[course_id] = new_plan
    return Replan(
        True,
        dataclasses.replace(plan, placed=placed, status=plan.status or "replanned"),
        course_id,
        moved,
    )


def _descendants(course: CourseRequest, key: str) -> set[str]:
    """Steps that must follow ``key`` through links or holds."""
    after: dict[str, set[str]] = {}
    for link in course.links:
        after.setdefault(link.before, set()).add(link.after)
    for hold in course.holds:
        after.setdefault(hold.from_step, set()).add(hold.to_step)
    seen: set[str] = set()
    todo = [key]
    while todo:
        for nxt in after.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _frozen(course: CourseRequest, plan: Plan) -> CourseRequest | None:
    """Another course as facts: its placed steps all fixed, or only its fixed steps if it was
    not placed (they occupy their resources either way)."""
    cplan: CoursePlan | None = plan.placed.get(course.id)
    if cplan is not None:
        return dataclasses.replace(
            course, fixed=cplan.placements, fixed_holds=cplan.holds, earliest=0, latest=None
        )
    if not course.fixed:
        return None
    keys = {p.step for p in course.fixed}
    holds: list[Hold] = []
    pins: list[HoldAssignment] = []
    for index, hold in enumerate(course.holds):
        if hold.from_step in keys and hold.to_step in keys:
            pin = next((h for h in course.fixed_holds if h.index == index), None)
            if pin is not None:
                pins.append(HoldAssignment(len(holds), pin.resource))
                holds.append(hold)
    return dataclasses.replace(
        course,
        steps=tuple(s for s in course.steps if s.key in keys),
        links=(),
        holds=tuple(holds),
        fixed_holds=tuple(pins),
        earliest=0,
        latest=None,
    )
