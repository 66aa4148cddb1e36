"""Human and machine-readable reasons why a step has no place inside its window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from autologic.care.domain.scheduling.calendar import next_fit
from autologic.care.domain.scheduling.model import Explanation, Link, Placement, Problem

if TYPE_CHECKING:
    from autologic.care.domain.scheduling.firstfit import Greedy
    from autologic.care.domain.scheduling.shape import Shape

# Upper-bound kinds to the codes callers translate.
CODES = {
    "link_max": "link_max",
    "successor": "link_successor",
    "latest": "latest",
    "horizon": "horizon",
    "hold_successor": "hold_order",
}


@dataclass
class Upper:
    """An upper bound on a step's start and the constraint it comes from."""

    value: int
    kind: str  # horizon, latest, link_max, successor, hold_successor, static
    link: Link | None = None
    other: str | None = None


def fmt(problem: Problem, minute: int) -> str:
    """A minute as "YYYY-MM-DD HH:MM"."""
    return problem.when(minute).strftime("%Y-%m-%d %H:%M")


def fmt_day(problem: Problem, minute: int) -> str:
    """A minute's date as "YYYY-MM-DD"."""
    return problem.date_of(minute).isoformat()


def blockers(greedy: Greedy, sh: Shape, key: str, lo: int, hi: int) -> str | None:
    """What stops ``key`` from starting in [lo, hi], or None if it could start there."""
    problem = greedy.problem
    step = sh.steps[key]
    slot = problem.slot_minutes
    if lo > hi:
        return "the window is empty"
    first = next_fit(greedy.site.step_windows(step), lo, step.duration, slot)
    if first is None or first > hi:
        if step.time_of_day is None:
            return "the site is closed on those days"
        if step.in_clinic_hours:
            return "the site is closed or outside the step's time-of-day window on those days"
        return "no time of those days is inside the step's time-of-day window"
    parts = []
    for demand, candidates in zip(step.demands, sh.candidates[key], strict=True):
        what = demand.kind + (f" with {demand.capability}" if demand.capability else "")
        opened = False
        free = False
        for r in candidates:
            start = next_fit(greedy.site.windows(r, step), lo, step.duration, slot)
            if start is not None and start <= hi:
                opened = True
                found = greedy.next_free(r, step, lo, demand.amount)
                if found is not None and found <= hi:
                    free = True
                    break
        if not opened:
            parts.append(f"every {what} is closed on those days")
        elif not free:
            parts.append(f"every {what} is fully booked or closed on those days")
    if parts:
        return "; ".join(parts)
    return None


def explain_window(
    greedy: Greedy,
    sh: Shape,
    key: str,
    natural_lo: int,
    lo: int,
    hi: int,
    t: int | None,
    uppers: list[Upper],
    placed: dict[str, Placement],
    pushed_by: str | None,
) -> Explanation:
    """Why ``key`` has no start in its window: the binding bound and what blocks the window."""
    problem = greedy.problem
    course = sh.course
    bound = min(uppers, key=lambda u: u.value) if uppers else None
    hi = bound.value if bound is not None else hi
    params: dict[str, str] = {"step": key}
    day_unit = bound is not None and bound.link is not None and bound.link.unit == "day"
    show = fmt_day if day_unit else fmt
    if natural_lo <= hi:
        window = f"between {show(problem, natural_lo)} and {show(problem, hi)}"
        params.update(window_start=fmt(problem, natural_lo), window_end=fmt(problem, hi))
    else:
        window = f"by {show(problem, hi)}, but it cannot start before {show(problem, natural_lo)}"
        params.update(window_end=fmt(problem, hi))
    constraint = None
    if bound is None or bound.kind == "horizon":
        code = "no_slot" if t is None else "horizon"
        head = f"{key} must end inside the planning horizon"
        if t is None:
            head = f"{key} has no free slot from {fmt(problem, natural_lo)} to the horizon end"
            window = ""
        constraint = "horizon"
    elif bound.kind == "static":
        code = "no_slot"
        head = (
            f"{key} has no free slot between {fmt(problem, max(natural_lo, 0))} and "
            f"{fmt(problem, hi)}, the latest start that the course's gaps, its latest start and "
            "its steps already placed allow"
        )
        constraint = "course window"
        window = ""
    elif bound.kind == "latest":
        code = "latest"
        head = f"the course must start by {fmt(problem, hi)}"
        constraint = "latest"
        window = ""
    else:
        code = CODES[bound.kind]
        assert bound.other is not None
        other = placed[bound.other]
        params.update(other=bound.other, other_start=fmt(problem, other.start))
        if bound.link is not None:
            link = bound.link
            params.update(gap=link.describe(), unit=link.unit)
            label = f" ({link.label})" if link.label else ""
            side = "after" if bound.kind == "link_max" else "before"
            head = (
                f"{key} must start {link.describe()} {side} {bound.other} "
                f"({fmt(problem, other.start)}){label}"
            )
            constraint = f"link {link.before}->{link.after} {link.describe()}"
        else:
            head = f"{key} must end before {bound.other} starts ({fmt(problem, other.start)})"
            constraint = f"hold {key}->{bound.other}"
    reason = blockers(greedy, sh, key, max(natural_lo, 0), hi) if natural_lo <= hi else None
    if reason is None and natural_lo <= hi:
        if pushed_by is not None:
            reason = f"{pushed_by} then has no place inside its own window"
        elif t is not None and lo > natural_lo:
            reason = "the steps after it cannot then be placed inside their windows"
        else:
            reason = "its resources are never free together on those days"
    message = head + (f", i.e. {window}" if window else "") + (f"; {reason}" if reason else "")
    if reason:
        params["reason"] = reason
    return Explanation(
        code,
        message,
        course.id,
        key,
        constraint,
        natural_lo if natural_lo <= hi else None,
        hi,
        params,
    )
