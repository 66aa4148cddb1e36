"""Random small scheduling problems: whatever a solver returns, the checker finds it valid."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autologic.care.domain.scheduling import (
    DAY,
    CourseRequest,
    Demand,
    Hold,
    Link,
    Problem,
    Resource,
    Step,
    check,
    plan,
    replan,
    weekly_hours,
)
from autologic.care.domain.scheduling.cpsat import solve_cpsat

START = date(2026, 3, 2)
CAPS = ("ultrasound", "fluoroscopy")
HOURS = (
    None,
    weekly_hours({"mon-fri": "08:00-18:00"}),
    weekly_hours({"mon-fri": "08:00-12:00"}),
    weekly_hours({"mon-wed": "13:00-17:00", "sat": "09:00-12:00"}),
    weekly_hours({"mon-sun": "00:00-24:00"}),
)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    days = draw(st.integers(3, 10))
    resources = []
    for i in range(draw(st.integers(1, 2))):
        caps = draw(st.sets(st.sampled_from(CAPS), min_size=1))
        resources.append(
            Resource(f"room{i}", "room", 1, frozenset(caps), draw(st.sampled_from(HOURS[1:])))
        )
    for i in range(draw(st.integers(0, 2))):
        caps = draw(st.sets(st.sampled_from(CAPS)))
        resources.append(
            Resource(f"dr{i}", "clinician", 1, frozenset(caps), draw(st.sampled_from(HOURS[1:])))
        )
    if draw(st.booleans()):
        resources.append(Resource("inc", "incubator", draw(st.integers(1, 6))))
    if draw(st.booleans()):
        resources.append(Resource("frz", "freezer", draw(st.integers(1, 3))))
    kinds = sorted({r.kind for r in resources} - {"freezer"})
    holdable = sorted({r.kind for r in resources} & {"freezer", "incubator"})

    courses = []
    for c in range(draw(st.integers(1, 5))):
        n = draw(st.integers(1, 3))
        steps = []
        for i in range(n):
            demands = tuple(
                Demand(
                    kind, 1, draw(st.sampled_from((None, *CAPS))) if kind != "incubator" else None
                )
                for kind in draw(st.lists(st.sampled_from(kinds), max_size=2))
            )
            tod = draw(st.sampled_from((None, (8 * 60, 12 * 60))))
            steps.append(
                Step(
                    f"s{i}",
                    draw(st.sampled_from((15, 20, 30, 45, 60))),
                    demands,
                    in_clinic_hours=draw(st.booleans()),
                    time_of_day=tod,
                )
            )
        links = []
        for i in range(n - 1):
            if draw(st.booleans()):
                low = draw(st.integers(0, 2))
                high = draw(st.sampled_from((None, low, low + 1, low + 3)))
                links.append(Link.days(f"s{i}", f"s{i + 1}", low, high))
            else:
                low = draw(st.integers(0, 600))
                high = draw(st.sampled_from((None, low + 60, low + 24 * 60)))
                links.append(Link.minutes(f"s{i}", f"s{i + 1}", low, high))
        holds = []
        if n > 1 and holdable and draw(st.booleans()):
            holds.append(
                Hold(draw(st.sampled_from(holdable)), draw(st.integers(1, 2)), "s0", f"s{n - 1}")
            )
        earliest = draw(st.integers(0, (days - 1) * DAY))
        latest = draw(st.sampled_from((None, earliest + DAY, earliest + 3 * DAY)))
        courses.append(
            CourseRequest(
                f"c{c}",
                tuple(steps),
                tuple(links),
                tuple(holds),
                earliest=earliest,
                latest=latest,
                priority=draw(st.integers(0, 1)),
            )
        )
    closed = draw(st.sets(st.integers(0, days - 1), max_size=3))
    return Problem(
        START,
        days,
        tuple(resources),
        tuple(courses),
        frozenset(START + timedelta(days=d) for d in closed),
        slot_minutes=draw(st.sampled_from((15, 30))),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_plan_passes_the_checker(p: Problem) -> None:
    greedy = plan(p, method="greedy")
    assert check(p, greedy) == []
    cpsat = plan(p, method="cpsat", time_limit_s=2)
    assert check(p, cpsat) == []
    # The neighbourhood search that large problems use, forced onto this small one.
    lns = solve_cpsat(p, time_limit_s=2, neighbourhoods=True)
    assert check(p, lns) == []
    for result in (greedy, cpsat, lns):
        assert set(result.placed) | set(result.unplaced) == {c.id for c in p.courses}
        assert not set(result.placed) & set(result.unplaced)

    # Hinted with greedy, CP-SAT never places less priority weight.
    def weight(ids: Collection[str]) -> tuple[int, int]:
        chosen = [c for c in p.courses if c.id in ids]
        return (sum(c.priority == 1 for c in chosen), len(chosen))

    if cpsat.status in {"optimal", "feasible"}:
        assert weight(cpsat.placed) >= weight(greedy.placed)
    assert weight(lns.placed) >= weight(greedy.placed)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_replan_keeps_the_plan_valid(p: Problem, data: st.DataObject) -> None:
    before = plan(p, method="greedy")
    if not before.placed:
        return
    cid = data.draw(st.sampled_from(sorted(before.placed)))
    missed = data.draw(st.sampled_from(before.placed[cid].placements))
    result = replan(p, before, cid, missed.step, missed.start + 1, time_limit_s=1)
    if result.ok:
        assert check(p, result.plan) == []
        for other, cplan in before.placed.items():
            if other != cid:
                assert result.plan.placed[other] == cplan
    else:
        assert result.explanation is not None and result.explanation.code
        assert result.plan is before
