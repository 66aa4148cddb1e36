"""Course scheduling rules, on hand-built problems whose right answer is known."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

import pytest

from autologic.care.domain.scheduling import (
    DAY,
    CoursePlan,
    CourseRequest,
    Demand,
    Hold,
    HoldAssignment,
    Link,
    Placement,
    Plan,
    Problem,
    Resource,
    Step,
    check,
    plan,
    replan,
    utilisation,
    weekly_hours,
)

MONDAY = date(2026, 3, 2)
US, FLUORO = "ultrasound", "fluoroscopy"
METHODS = ("greedy", "cpsat")
WEEKDAYS = weekly_hours({"mon-fri": "08:00-18:00"})
H8 = 8 * 60


def at(day: int, hour: int, minute: int = 0) -> int:
    """Minutes from the horizon start (a Monday) to day ``day`` at hour:minute."""
    return day * DAY + hour * 60 + minute


def room(rid: str, *caps: str, hours: str = "08:00-18:00") -> Resource:
    return Resource(rid, "room", 1, frozenset(caps or {US}), weekly_hours({"mon-fri": hours}))


def doctor(rid: str, *caps: str, hours: str = "08:00-18:00") -> Resource:
    return Resource(rid, "clinician", 1, frozenset(caps or {US}), weekly_hours({"mon-fri": hours}))


def session(key: str, minutes: int = 30, guidance: str = US) -> Step:
    return Step(key, minutes, (Demand("room", 1, guidance),))


def sessions(
    cid: str, n: int, gap: tuple[int, int] = (3, 7), earliest: int = 0, **kw: Any
) -> CourseRequest:
    steps = tuple(session(f"s{i}") for i in range(1, n + 1))
    links = tuple(Link.days(f"s{i}", f"s{i + 1}", *gap) for i in range(1, n))
    return CourseRequest(cid, steps, links, earliest=earliest, **kw)


def problem(
    resources: tuple[Resource, ...], *courses: CourseRequest, days: int = 14, **kw: Any
) -> Problem:
    return Problem(MONDAY, days, resources, courses, **kw)


def solved(p: Problem, method: str) -> Plan:
    result = plan(p, method=method, time_limit_s=5)
    assert check(p, result) == []
    assert set(result.placed) | set(result.unplaced) == {c.id for c in p.courses}
    return result


def starts(result: Plan, cid: str) -> dict[str, int]:
    return {p.step: p.start for p in result.placed[cid].placements}


# -- placement rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_one_room_two_slots_three_courses_priority_wins(method: str) -> None:
    # One room, open 08:00-09:00 on one Monday: room for exactly two 30-minute courses.
    r = room("r1", hours="08:00-09:00")
    a = CourseRequest("a", (session("x"),))
    b = CourseRequest("b", (session("x"),), priority=1)
    c = CourseRequest("c", (session("x"),), earliest=at(0, 8, 30))
    result = solved(problem((r,), a, b, c, days=1), method)
    assert set(result.placed) == {"a", "b"}
    assert starts(result, "b")["x"] == at(0, 8)  # higher priority first
    assert starts(result, "a")["x"] == at(0, 8, 30)
    assert result.unplaced["c"].code in {"capacity", "displaced", "no_slot"}


@pytest.mark.parametrize("method", METHODS)
def test_cadence_gaps_stay_inside_min_max_days(method: str) -> None:
    result = solved(problem((room("r1"),), sessions("k", 4, (3, 7)), days=28), method)
    s = starts(result, "k")
    for i in range(1, 4):
        gap = s[f"s{i + 1}"] // DAY - s[f"s{i}"] // DAY
        assert 3 <= gap <= 7
    # Earliest: Mon, Thu, then Sun is shut so Mon (4 days), Thu.
    assert [s[f"s{i}"] for i in range(1, 5)] == [at(0, 8), at(3, 8), at(7, 8), at(10, 8)]


@pytest.mark.parametrize("method", METHODS)
def test_max_gap_pushes_the_first_session_past_closed_days(method: str) -> None:
    # s2 must come 3-4 days after s1; Thursday and Friday of week one are closing days, so no
    # s1 in week one has an open day for s2: both move to week two.
    closed = frozenset({date(2026, 3, 5), date(2026, 3, 6)})
    p = problem((room("r1"),), sessions("k", 2, (3, 4)), closed_days=closed)
    s = starts(solved(p, method), "k")
    assert (s["s1"], s["s2"]) == (at(7, 8), at(10, 8))


@pytest.mark.parametrize("method", METHODS)
def test_working_hours_and_closed_days(method: str) -> None:
    # The only clinician works Tuesdays 13:00-15:00; the first Tuesday is a holiday.
    dr = Resource("dr", "clinician", 1, frozenset(), weekly_hours({"tue": "13:00-15:00"}))
    visit = CourseRequest("v", (Step("visit", 60, (Demand("clinician"),)),))
    p = problem((dr,), visit, closed_days=frozenset({date(2026, 3, 3)}))
    assert starts(solved(p, method), "v")["visit"] == at(8, 13)


@pytest.mark.parametrize("method", METHODS)
def test_lab_step_runs_through_the_night_but_appointments_do_not(method: str) -> None:
    lab = Resource("inc", "incubator", 4)
    steps = (
        Step("draw", 30, (Demand("clinician"),)),
        Step("incubate", 16 * 60, (Demand("incubator"),), in_clinic_hours=False),
        Step("inject", 30, (Demand("clinician"),)),
    )
    links = (
        Link.minutes("draw", "incubate", 30, 60),
        Link.minutes("incubate", "inject", 960, None),
    )
    course = CourseRequest("acs", steps, links, earliest=at(0, 16))
    s = starts(solved(problem((doctor("dr"), lab), course), method), "acs")
    assert s["draw"] == at(0, 16)
    assert s["incubate"] == at(0, 16, 30)  # overnight in the incubator
    assert s["inject"] == at(1, 8, 30)  # next morning, once the 16 hours are over


@pytest.mark.parametrize("method", METHODS)
def test_a_hold_orders_its_steps_even_without_a_link(method: str) -> None:
    centrifuge = Resource("cf", "centrifuge", 1, frozenset(), WEEKDAYS)
    steps = (Step("spin", 20, (Demand("centrifuge"),)), session("inject"))
    course = CourseRequest("acs", steps, holds=(Hold("freezer", 1, "spin", "inject"),))
    p = problem((centrifuge, room("r1"), Resource("frz", "freezer", 5)), course)
    s = starts(solved(p, method), "acs")
    assert (s["spin"], s["inject"]) == (at(0, 8), at(0, 8, 30))  # 08:20 rounded to the grid


@pytest.mark.parametrize("method", METHODS)
def test_an_in_clinic_step_never_runs_into_a_closing_day(method: str) -> None:
    # No resources and no site hours: only the closing day (Tuesday) limits this step.
    course = CourseRequest("c", (Step("prep", 60),), earliest=at(0, 23, 30))
    p = problem((room("r1"),), course, closed_days=frozenset({date(2026, 3, 3)}))
    assert starts(solved(p, method), "c")["prep"] == at(2, 0)


@pytest.mark.parametrize("method", METHODS)
def test_fluoroscopy_step_only_goes_to_a_fluoroscopy_room(method: str) -> None:
    plain, fluoro = room("plain", US), room("fluoro", US, FLUORO)
    spine = CourseRequest("spine", (session("x", guidance=FLUORO),))
    result = solved(problem((plain, fluoro), spine), method)
    assert result.placed["spine"].placements[0].resources == ("fluoro",)


@pytest.mark.parametrize("method", METHODS)
def test_no_room_with_the_capability_leaves_the_course_out_with_a_reason(method: str) -> None:
    spine = CourseRequest("spine", (session("x", guidance=FLUORO),))
    result = solved(problem((room("plain", US),), spine), method)
    assert result.unplaced["spine"].code == "no_resource"
    assert "fluoroscopy" in result.unplaced["spine"].message


@pytest.mark.parametrize("method", METHODS)
def test_incubator_capacity_is_never_exceeded(method: str) -> None:
    # 10 tubes: two courses of 6 tubes cannot incubate at the same time.
    centrifuge = Resource("cf", "centrifuge", 1, frozenset(), WEEKDAYS)
    courses = []
    for cid in ("a", "b", "c"):
        steps = (
            Step("draw", 15, (Demand("clinician"),)),
            Step("spin", 20, (Demand("centrifuge"),)),
        )
        links = (Link.minutes("draw", "spin", 6 * 60 + 15, 24 * 60),)
        holds = (Hold("incubator", 6, "draw", "spin"),)
        courses.append(CourseRequest(cid, steps, links, holds))
    incubator = Resource("inc", "incubator", 10)
    p = problem((doctor("d1"), doctor("d2"), centrifuge, incubator), *courses, days=5)
    result = solved(p, method)
    assert len(result.placed) == 3
    spans = sorted(
        (cp.placement("draw").end, cp.placement("spin").start) for cp in result.placed.values()
    )
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end


@pytest.mark.parametrize("method", METHODS)
def test_course_that_cannot_fit_is_left_out_whole(method: str) -> None:
    # The room is open two days: the two-session course fits, the three-session one does not.
    short = sessions("short", 2, (1, 1))
    long = sessions("long", 3, (1, 1))
    result = solved(problem((room("r1"),), long, short, days=2), method)
    assert set(result.placed) == {"short"}
    assert "long" in result.unplaced
    assert result.unplaced["long"].code
    assert result.unplaced["long"].message


@pytest.mark.parametrize("method", METHODS)
def test_fixed_placements_never_move(method: str) -> None:
    r1 = room("r1")
    booked = Placement("s1", at(2, 10), at(2, 10, 30), ("r1",))
    started = sessions("started", 2, (3, 7), fixed=(booked,))
    other_fixed = Placement("s1", at(0, 8), at(0, 8, 30), ("r1",))
    other = CourseRequest("other", (session("s1"),), fixed=(other_fixed,))
    newcomer = CourseRequest("new", (session("s1"),))
    result = solved(problem((r1,), started, other, newcomer), method)
    assert result.placed["started"].placement("s1") == booked
    assert result.placed["other"].placement("s1") == other_fixed
    assert starts(result, "started")["s2"] >= at(5, 8)
    assert starts(result, "new")["s1"] == at(0, 8, 30)  # the booked 08:00 is taken


@pytest.mark.parametrize("method", METHODS)
def test_fasting_harvest_stays_in_its_morning_window(method: str) -> None:
    harvest = Step("harvest", 30, (Demand("clinician"),), time_of_day=(H8, 10 * 60))
    course = CourseRequest("msc", (harvest,), earliest=at(0, 9, 45))
    assert starts(solved(problem((doctor("d"),), course), method), "msc")["harvest"] == at(1, 8)


def test_cpsat_places_more_than_first_fit_when_the_first_room_is_the_wrong_choice() -> None:
    # First fit puts the ultrasound session into the first room listed, the only one with
    # fluoroscopy, and the spine session then has nowhere to go.
    both = room("both", US, FLUORO, hours="08:00-08:30")
    plain = room("plain", US, hours="08:00-08:30")
    knee = CourseRequest("knee", (session("x"),))
    spine = CourseRequest("spine", (session("x", guidance=FLUORO),), earliest=1)
    p = problem((both, plain), knee, spine, days=1)
    greedy, cpsat = solved(p, "greedy"), solved(p, "cpsat")
    assert set(greedy.placed) == {"knee"}
    assert set(cpsat.placed) == {"knee", "spine"}


def test_cpsat_gives_up_one_long_course_for_two_short_ones() -> None:
    r = room("r1", hours="08:00-09:00")
    long = CourseRequest("long", (session("x", 60),))
    shorts = [CourseRequest(f"short{i}", (session("x", 30),), earliest=i + 1) for i in range(2)]
    p = problem((r,), long, *shorts, days=1)
    assert set(solved(p, "greedy").placed) == {"long"}
    cpsat = solved(p, "cpsat")
    assert set(cpsat.placed) == {"short0", "short1"}
    assert cpsat.unplaced["long"].code == "displaced"


def test_utilisation_is_booked_over_open_minutes() -> None:
    r = room("r1", hours="08:00-09:00")
    p = problem((r,), CourseRequest("a", (session("x"),)), days=1)
    assert utilisation(p, solved(p, "greedy")) == {"room": 0.5}


# -- the checker can fail ----------------------------------------------------------------------


def _base() -> tuple[Problem, Plan]:
    """A valid plan: a two-session course with a freezer hold, and a one-session course."""
    freezer = Resource("frz", "freezer", 1)
    spine_room = room("r1", US, FLUORO, hours="08:00-12:00")
    steps = (
        Step("spin", 20, (Demand("room"),)),
        Step("s1", 30, (Demand("room", 1, US),)),
        Step("s2", 30, (Demand("room", 1, US),), time_of_day=(H8, 12 * 60)),
    )
    course = CourseRequest(
        "k",
        steps,
        (Link.days("s1", "s2", 3, 7),),
        (Hold("freezer", 1, "spin", "s2"),),
        earliest=0,
        latest=at(3, 0),
    )
    single = CourseRequest("one", (session("x"),))
    p = problem((spine_room, freezer), course, single, days=14)
    good = Plan(
        "hand",
        {
            "k": CoursePlan(
                "k",
                (
                    Placement("spin", at(0, 8), at(0, 8, 20), ("r1",)),
                    Placement("s1", at(0, 9), at(0, 9, 30), ("r1",)),
                    Placement("s2", at(3, 9), at(3, 9, 30), ("r1",)),
                ),
                (HoldAssignment(0, "frz"),),
            ),
            "one": CoursePlan("one", (Placement("x", at(0, 10), at(0, 10, 30), ("r1",)),)),
        },
        {},
    )
    assert check(p, good) == []
    return p, good


def _move(plan_: Plan, cid: str, step: str, start: int, **kw: Any) -> Plan:
    cplan = plan_.placed[cid]
    old = cplan.placement(step)
    new = dataclasses.replace(old, start=start, end=start + (old.end - old.start), **kw)
    placements = tuple(new if p.step == step else p for p in cplan.placements)
    placed = dict(plan_.placed)
    placed[cid] = dataclasses.replace(cplan, placements=placements)
    return dataclasses.replace(plan_, placed=placed)


def _codes(p: Problem, broken: Plan) -> set[str]:
    return {v.code for v in check(p, broken)}


def test_check_catches_double_booking() -> None:
    p, good = _base()
    assert "capacity" in _codes(p, _move(good, "one", "x", at(0, 9)))


def test_check_catches_work_outside_hours() -> None:
    p, good = _base()
    assert "hours" in _codes(p, _move(good, "one", "x", at(0, 12)))


def test_check_catches_closed_days() -> None:
    p, good = _base()
    closed = dataclasses.replace(p, closed_days=frozenset({MONDAY}))
    assert "closed_day" in _codes(closed, good)


def test_check_catches_a_gap_too_short_and_too_long() -> None:
    p, good = _base()
    assert "link_min" in _codes(p, _move(good, "k", "s2", at(2, 9)))
    assert "link_max" in _codes(p, _move(good, "k", "s2", at(8, 9)))


def test_check_catches_a_hold_over_capacity() -> None:
    p, good = _base()
    crowded = dataclasses.replace(
        p,
        courses=(*p.courses, dataclasses.replace(p.courses[0], id="k2")),
    )
    placed = dict(good.placed)
    placed["k2"] = dataclasses.replace(good.placed["k"], course="k2")
    shifted = _move(
        dataclasses.replace(good, placed=placed), "k2", "spin", at(1, 8)
    )  # rooms differ in time, the freezer does not
    shifted = _move(shifted, "k2", "s1", at(1, 9))
    shifted = _move(shifted, "k2", "s2", at(4, 9))
    violations = check(crowded, shifted)
    assert [v.resource for v in violations if v.code == "capacity"] == ["frz"]


def test_check_catches_a_hold_that_ends_before_it_starts() -> None:
    p, good = _base()
    assert "hold_order" in _codes(p, _move(good, "k", "spin", at(3, 10)))


def test_check_catches_a_missing_hold_resource() -> None:
    p, good = _base()
    cplan = dataclasses.replace(good.placed["k"], holds=())
    assert "hold_missing" in _codes(
        p, dataclasses.replace(good, placed={**good.placed, "k": cplan})
    )


def test_check_catches_earliest_latest_and_horizon() -> None:
    p, good = _base()
    late = dataclasses.replace(
        p, courses=(dataclasses.replace(p.courses[0], earliest=at(0, 8, 30)), p.courses[1])
    )
    assert "earliest" in _codes(late, good)
    assert "latest" in _codes(p, _move(good, "k", "spin", at(3, 8)))
    assert "horizon" in _codes(dataclasses.replace(p, days=2), good)


def test_check_catches_a_missing_capability_and_a_wrong_kind() -> None:
    p, good = _base()
    plain = dataclasses.replace(p, resources=(room("r1", hours="08:00-12:00"), p.resources[1]))
    spine = dataclasses.replace(p.courses[1], steps=(session("x", guidance=FLUORO),))
    assert "capability" in _codes(dataclasses.replace(plain, courses=(p.courses[0], spine)), good)
    assert "resource_kind" in _codes(p, _move(good, "one", "x", at(0, 10), resources=("frz",)))


def test_check_catches_half_a_course_and_a_missing_course() -> None:
    p, good = _base()
    cplan = good.placed["k"]
    half = dataclasses.replace(cplan, placements=cplan.placements[:2])
    assert "incomplete_course" in _codes(
        p, dataclasses.replace(good, placed={**good.placed, "k": half})
    )
    assert "unaccounted" in _codes(p, dataclasses.replace(good, placed={"k": cplan}))


def test_check_catches_a_moved_fixed_placement() -> None:
    p, good = _base()
    pinned = dataclasses.replace(
        p.courses[1], fixed=(Placement("x", at(0, 11), at(0, 11, 30), ("r1",)),)
    )
    assert "fixed_moved" in _codes(dataclasses.replace(p, courses=(p.courses[0], pinned)), good)


def test_check_catches_off_grid_wrong_duration_and_time_of_day() -> None:
    p, good = _base()
    assert "off_grid" in _codes(p, _move(good, "one", "x", at(0, 10, 5)))
    stretched = _move(good, "one", "x", at(0, 10))
    cplan = stretched.placed["one"]
    longer = dataclasses.replace(cplan.placements[0], end=at(0, 11))
    assert "duration" in _codes(
        p,
        dataclasses.replace(
            good, placed={**good.placed, "one": dataclasses.replace(cplan, placements=(longer,))}
        ),
    )
    afternoon = dataclasses.replace(
        p, resources=(room("r1", US, FLUORO, hours="08:00-18:00"), p.resources[1])
    )
    assert "time_of_day" in _codes(afternoon, _move(good, "k", "s2", at(3, 13)))


# -- re-planning -------------------------------------------------------------------------------


def _acs_problem(closed: frozenset[date] = frozenset(), busy: bool = False) -> Problem:
    fluoro = room("fluoro", US, FLUORO)
    courses = [sessions("spine", 4, (3, 7))]
    courses[0] = dataclasses.replace(
        courses[0], steps=tuple(session(s.key, guidance=FLUORO) for s in courses[0].steps)
    )
    courses.append(sessions("knee", 2, (3, 7), earliest=at(1, 0)))
    if busy:
        # Someone else has the fluoroscopy room booked solid from day 10 to day 20.
        wall = tuple(Placement(f"b{d}", at(d, 8), at(d, 18), ("fluoro",)) for d in range(10, 21))
        steps = tuple(Step(f"b{d}", 600, (Demand("room", 1, FLUORO),)) for d in range(10, 21))
        courses.append(CourseRequest("wall", steps, fixed=wall))
    return problem((fluoro,), *courses, days=42, closed_days=closed)


def test_replan_moves_only_the_rest_of_that_course() -> None:
    p = _acs_problem()
    before = solved(p, "greedy")
    s = starts(before, "spine")
    assert [s[f"s{i}"] // DAY for i in range(1, 5)] == [0, 3, 7, 10]
    now = at(4, 18)  # s2 (Thursday 08:00) was missed; it is now Friday evening
    result = replan(p, before, "spine", "s2", now)
    assert result.ok and result.explanation is None
    after = starts(result.plan, "spine")
    assert after["s1"] == s["s1"]
    assert set(result.moved) == {"s2", "s3", "s4"}
    # Monday is 7 days after s1 (the most allowed); s3 3 days later; s4 not on Sunday.
    assert [after[f"s{i}"] for i in range(2, 5)] == [at(7, 8), at(10, 8), at(14, 8)]
    assert result.plan.placed["knee"] == before.placed["knee"]
    assert check(p, result.plan) == []


def test_replan_keeps_later_steps_that_still_fit() -> None:
    p = _acs_problem()
    before = solved(p, "greedy")
    result = replan(p, before, "spine", "s2", datetime(2026, 3, 5, 12, 0))
    assert result.ok and result.moved == ("s2",)
    assert starts(result.plan, "spine")["s2"] == at(3, 12)  # the same afternoon


def test_replan_explains_a_window_of_closed_days() -> None:
    p = _acs_problem()
    before = solved(p, "greedy")
    assert starts(before, "spine")["s3"] == at(7, 8)
    # After planning, the site closes days 8-14: s4 (3-7 days after s3) has no open day.
    closed = dataclasses.replace(
        p, closed_days=frozenset(date(2026, 3, 2 + d) for d in range(8, 15))
    )
    result = replan(closed, before, "spine", "s4", at(10, 12))
    assert not result.ok and result.plan is before
    why = result.explanation
    assert why is not None
    assert why.code == "link_max" and why.step == "s4"
    assert why.constraint == "link s3->s4 3–7 days"
    assert (why.window_start, why.window_end) == (at(10, 12), at(14, 23, 59))
    assert why.message.startswith("s4 must start 3–7 days after s3 (2026-03-09 08:00)")
    assert "closed" in why.message


def test_replan_explains_a_window_fully_booked() -> None:
    p = _acs_problem()
    before = solved(p, "greedy")
    busy = _acs_problem(busy=True)
    # s4 (day 10) missed; days 10-14, 3-7 days after s3, are now booked solid by "wall".
    result = replan(busy, before, "spine", "s4", at(10, 12))
    assert not result.ok
    why = result.explanation
    assert why is not None and why.code == "link_max"
    assert "every room with fluoroscopy is fully booked or closed" in why.message
