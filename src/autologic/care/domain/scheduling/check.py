"""Independent verifier of a plan against every hard constraint of its problem.

Deliberately shares no code with the solvers: it walks minutes and sweeps events the slow,
obvious way, so a bug in the solvers' interval arithmetic cannot hide in both places.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from autologic.care.domain.scheduling.model import (
    DAY,
    CoursePlan,
    CourseRequest,
    Placement,
    Plan,
    Problem,
    Resource,
    Violation,
    WeeklyHours,
)

Usage = tuple[int, int, int, str, str]  # start, end, amount, course, step (or hold label)


def _open_at(hours: WeeklyHours | None, weekday: int, minute_of_day: int) -> bool:
    if hours is None:
        return True
    return any(lo <= minute_of_day < hi for lo, hi in hours[weekday])


def _weekday(problem: Problem, minute: int) -> int:
    return (problem.start.weekday() + minute // DAY) % 7


def _closed(problem: Problem, minute: int) -> bool:
    return problem.start + timedelta(days=minute // DAY) in problem.closed_days


def check(problem: Problem, plan: Plan) -> list[Violation]:
    """Every hard-constraint violation in ``plan``; an empty list means the plan is valid."""
    out: list[Violation] = []
    resources = {r.id: r for r in problem.resources}
    usage: dict[str, list[Usage]] = defaultdict(list)
    courses = {c.id: c for c in problem.courses}

    for course_id in plan.placed:
        if course_id not in courses:
            out.append(Violation("unknown_course", f"plan places unknown course {course_id}"))
        if course_id in plan.unplaced:
            out.append(Violation("course_twice", "course is both placed and unplaced", course_id))
    for course in problem.courses:
        cplan = plan.placed.get(course.id)
        if cplan is None:
            if course.id not in plan.unplaced:
                out.append(
                    Violation("unaccounted", "course neither placed nor explained", course.id)
                )
            # Steps that were done or booked occupy their resources whatever happens next.
            for fixed in course.fixed:
                _use_step(course, fixed, resources, usage, out, problem, checks=False)
            continue
        _check_course(problem, course, cplan, resources, usage, out)

    for rid, uses in usage.items():
        resource = resources.get(rid)
        if resource is not None:
            _check_capacity(resource, uses, out)
    return out


def _check_course(
    problem: Problem,
    course: CourseRequest,
    cplan: CoursePlan,
    resources: dict[str, Resource],
    usage: dict[str, list[Usage]],
    out: list[Violation],
) -> None:
    keys = [s.key for s in course.steps]
    by_step: dict[str, Placement] = {}
    for placement in cplan.placements:
        if placement.step not in keys:
            out.append(
                Violation("unknown_step", "placement of an unknown step", course.id, placement.step)
            )
        elif placement.step in by_step:
            out.append(Violation("duplicate_step", "step placed twice", course.id, placement.step))
        else:
            by_step[placement.step] = placement
    for key in keys:
        if key not in by_step:
            out.append(
                Violation("incomplete_course", "step of a placed course is missing", course.id, key)
            )

    fixed = {p.step: p for p in course.fixed}
    for key, want in fixed.items():
        if by_step.get(key) != want:
            out.append(Violation("fixed_moved", "a fixed placement changed", course.id, key))

    for step in course.steps:
        found = by_step.get(step.key)
        if found is None:
            continue
        placement = found
        is_fixed = step.key in fixed
        _use_step(course, placement, resources, usage, out, problem, checks=not is_fixed)
        if is_fixed:
            continue
        if placement.end - placement.start != step.duration:
            out.append(
                Violation("duration", "end - start is not the duration", course.id, step.key)
            )
        if placement.start < course.earliest:
            out.append(
                Violation(
                    "earliest",
                    "starts before the course's earliest start",
                    course.id,
                    step.key,
                    at=placement.start,
                )
            )
        if (
            step is course.steps[0]
            and course.latest is not None
            and placement.start > course.latest
        ):
            out.append(
                Violation(
                    "latest",
                    "course starts after its latest start",
                    course.id,
                    step.key,
                    at=placement.start,
                )
            )
        if placement.start % problem.slot_minutes:
            out.append(Violation("off_grid", "start is not on the slot grid", course.id, step.key))
        if placement.start < 0 or placement.end > problem.horizon:
            out.append(Violation("horizon", "outside the planning horizon", course.id, step.key))
        if step.time_of_day is not None:
            lo, hi = step.time_of_day
            day_start = placement.start // DAY * DAY
            if placement.start - day_start < lo or placement.end - day_start > hi:
                out.append(
                    Violation(
                        "time_of_day",
                        "outside the step's time-of-day window",
                        course.id,
                        step.key,
                        at=placement.start,
                    )
                )
        if step.in_clinic_hours:
            for minute in range(placement.start, placement.end):
                if _closed(problem, minute):
                    out.append(
                        Violation(
                            "closed_day",
                            "in-clinic step on a closing day",
                            course.id,
                            step.key,
                            at=minute,
                        )
                    )
                    break
                if not _open_at(problem.site_hours, _weekday(problem, minute), minute % DAY):
                    out.append(
                        Violation(
                            "site_hours",
                            "in-clinic step outside site hours",
                            course.id,
                            step.key,
                            at=minute,
                        )
                    )
                    break

    for link in course.links:
        a, b = by_step.get(link.before), by_step.get(link.after)
        if a is None or b is None or (link.before in fixed and link.after in fixed):
            continue
        gap = b.start // DAY - a.start // DAY if link.unit == "day" else b.start - a.start
        if gap < link.min_gap:
            out.append(
                Violation(
                    "link_min",
                    f"{link.before}->{link.after} gap {gap} < {link.min_gap}",
                    course.id,
                    link.after,
                    at=b.start,
                )
            )
        if link.max_gap is not None and gap > link.max_gap:
            out.append(
                Violation(
                    "link_max",
                    f"{link.before}->{link.after} gap {gap} > {link.max_gap}",
                    course.id,
                    link.after,
                    at=b.start,
                )
            )

    chosen: dict[int, list[str]] = defaultdict(list)
    for assignment in cplan.holds:
        chosen[assignment.index].append(assignment.resource)
    pinned = {h.index: h.resource for h in course.fixed_holds}
    for index, hold in enumerate(course.holds):
        rids = chosen.get(index, [])
        if len(rids) != 1:
            out.append(
                Violation(
                    "hold_missing",
                    f"hold {index} needs exactly one resource",
                    course.id,
                    hold.to_step,
                )
            )
            continue
        rid = rids[0]
        if index in pinned and pinned[index] != rid:
            out.append(Violation("fixed_moved", f"hold {index} changed resource", course.id))
        resource = resources.get(rid)
        if resource is None or resource.kind != hold.kind:
            out.append(
                Violation(
                    "hold_resource",
                    f"hold {index}: not a {hold.kind}",
                    course.id,
                    hold.to_step,
                    rid,
                )
            )
            continue
        if hold.capability is not None and hold.capability not in resource.capabilities:
            out.append(
                Violation(
                    "capability",
                    f"hold {index}: {rid} lacks {hold.capability}",
                    course.id,
                    hold.to_step,
                    rid,
                )
            )
        a, b = by_step.get(hold.from_step), by_step.get(hold.to_step)
        if a is None or b is None:
            continue
        if b.start < a.end:
            out.append(
                Violation(
                    "hold_order",
                    f"{hold.to_step} starts before {hold.from_step} ends",
                    course.id,
                    hold.to_step,
                    rid,
                    b.start,
                )
            )
            continue
        if b.start > a.end:
            usage[rid].append((a.end, b.start, hold.amount, course.id, f"hold {index}"))
    for index in chosen:
        if not 0 <= index < len(course.holds):
            out.append(Violation("hold_missing", f"no hold with index {index}", course.id))


def _use_step(
    course: CourseRequest,
    placement: Placement,
    resources: dict[str, Resource],
    usage: dict[str, list[Usage]],
    out: list[Violation],
    problem: Problem,
    *,
    checks: bool,
) -> None:
    try:
        step = course.step(placement.step)
    except KeyError:
        return
    if len(placement.resources) != len(step.demands):
        out.append(
            Violation("demand_count", "one resource per demand is needed", course.id, step.key)
        )
    for demand, rid in zip(step.demands, placement.resources, strict=False):
        resource = resources.get(rid)
        if resource is None:
            out.append(Violation("unknown_resource", f"no resource {rid}", course.id, step.key))
            continue
        if placement.end > placement.start:
            usage[rid].append((placement.start, placement.end, demand.amount, course.id, step.key))
        if not checks:
            continue
        if resource.kind != demand.kind:
            out.append(
                Violation(
                    "resource_kind", f"{rid} is not a {demand.kind}", course.id, step.key, rid
                )
            )
        if demand.capability is not None and demand.capability not in resource.capabilities:
            out.append(
                Violation(
                    "capability", f"{rid} lacks {demand.capability}", course.id, step.key, rid
                )
            )
        for minute in range(placement.start, placement.end):
            if not _open_at(resource.hours, _weekday(problem, minute), minute % DAY):
                out.append(
                    Violation(
                        "hours", f"outside the hours of {rid}", course.id, step.key, rid, minute
                    )
                )
                break


def _check_capacity(resource: Resource, uses: list[Usage], out: list[Violation]) -> None:
    # Ends sort before starts at the same minute: back-to-back bookings do not overlap.
    events = sorted(
        [(start, 1, amount, course, step) for start, _, amount, course, step in uses]
        + [(end, 0, -amount, course, step) for _, end, amount, course, step in uses]
    )
    level = 0
    over = False
    for minute, is_start, amount, course, step in events:
        level += amount
        if is_start and level > resource.capacity and not over:
            out.append(
                Violation(
                    "capacity",
                    f"{resource.id} holds {level} > {resource.capacity}",
                    course,
                    step,
                    resource.id,
                    minute,
                )
            )
        over = level > resource.capacity
