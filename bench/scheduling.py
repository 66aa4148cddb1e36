"""Benchmark the course scheduler (``autologic.care.domain.scheduling``): greedy vs. CP-SAT.

Run from the project root:

    uv run python bench/scheduling.py [--sizes 100,1000,5000] [--seed 42] \
        [--time-limit 10] [--out bench/results/scheduling.json]

Pure Python, no database: it builds one synthetic site (two procedure rooms, two incubators, a
centrifuge, a freezer, a culture bank, six clinicians, a 13-week horizon with public holidays)
and N course requests, plans them with both methods, and verifies each plan with ``check``.
See bench/README.md for what is measured and how to read the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from autologic.care.domain.scheduling import (  # noqa: E402
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
    utilisation,
    weekly_hours,
)

START = date(2026, 3, 2)  # a Monday; the horizon runs to 31 May 2026
WEEKS = 13
# German public holidays in the horizon: Good Friday, Easter Monday, Labour Day, Ascension,
# Whit Monday.
HOLIDAYS = frozenset(
    {date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 25)}
)
US, FLUORO, HARVEST = "ultrasound", "fluoroscopy", "harvest"

# (share, name): the course mix of an orthobiologics clinic, mostly ACS for large joints.
MIX = (
    (0.55, "acs_knee"),
    (0.10, "acs_bilateral"),
    (0.06, "acs_spine4"),
    (0.06, "acs_spine3"),
    (0.10, "acs_tendon"),
    (0.07, "msc_knee"),
    (0.06, "hip_cells"),
)
ARRIVAL_DAYS = 56  # requests arrive over the first eight weeks
WAIT_DAYS = 21  # a course must start within three weeks of its earliest date


def site() -> tuple[Resource, ...]:
    """The bench site's resources."""
    rooms = weekly_hours({"mon-fri": "08:00-18:00"})
    lab = weekly_hours({"mon-fri": "07:30-18:30"})
    full_early = weekly_hours({"mon-fri": "08:00-17:00"})
    full_late = weekly_hours({"mon-fri": "09:00-18:00"})
    part_am = weekly_hours({"mon-tue": "08:00-13:00", "thu": "08:00-13:00"})
    part_pm = weekly_hours({"wed-fri": "12:00-18:00"})
    return (
        Resource("room-1", "room", 1, frozenset({US, FLUORO}), rooms),
        Resource("room-2", "room", 1, frozenset({US}), rooms),
        Resource("incubator-1", "incubator", 24),
        Resource("incubator-2", "incubator", 24),
        # One run at a time: a run only ever holds one patient's tubes (traceability).
        Resource("centrifuge-1", "centrifuge", 1, frozenset(), lab),
        Resource("freezer-1", "freezer", 500),
        Resource("culture-bank", "culture", 12),
        Resource("dr-1", "clinician", 1, frozenset({US, FLUORO, HARVEST}), full_early),
        Resource("dr-2", "clinician", 1, frozenset({US, HARVEST}), full_early),
        Resource("dr-3", "clinician", 1, frozenset({US, FLUORO}), full_late),
        Resource("dr-4", "clinician", 1, frozenset({US}), full_late),
        Resource("dr-5", "clinician", 1, frozenset({US}), part_am),
        Resource("dr-6", "clinician", 1, frozenset({US, FLUORO}), part_pm),
    )


def follow_up(after: str) -> tuple[Step, Link]:
    """The two-week follow-up: a clinician slot 12-16 days after the last injection."""
    return (
        Step("fu2", 20, (Demand("clinician"),)),
        Link.days(after, "fu2", 12, 16, "two-week follow-up"),
    )


def acs(
    cid: str, sessions: int, gap: tuple[int, int], minutes: int, guidance: str, per_session: int
) -> tuple[tuple[Step, ...], tuple[Link, ...], tuple[Hold, ...]]:
    """ACS: draw, 6-24 h incubation, a centrifuge run, frozen aliquots, N injection sessions."""
    tubes = sessions * per_session
    steps = [
        Step("draw", 15, (Demand("clinician"),)),
        Step("spin", 20, (Demand("centrifuge"),)),
    ]
    links = [Link.minutes("draw", "spin", 15 + 6 * 60, 15 + 24 * 60, "incubation 6-24 h")]
    holds = [Hold("incubator", tubes, "draw", "spin")]
    for k in range(1, sessions + 1):
        key = f"inj{k}"
        steps.append(
            Step(key, minutes, (Demand("room", 1, guidance), Demand("clinician", 1, guidance)))
        )
        holds.append(Hold("freezer", per_session, "spin", key))
        if k == 1:
            links.append(Link.days("spin", key, 0, 7, "first injection within a week"))
        else:
            links.append(Link.days(f"inj{k - 1}", key, gap[0], gap[1]))
    fu, fu_link = follow_up(f"inj{sessions}")
    return (*steps, fu), (*links, fu_link), tuple(holds)


def msc_knee() -> tuple[tuple[Step, ...], tuple[Link, ...], tuple[Hold, ...]]:
    """Cultured marrow MSC: fasting harvest, ~21 days of culture, one injection."""
    fu, fu_link = follow_up("inject")
    steps = (
        Step(
            "harvest",
            30,
            (Demand("room"), Demand("clinician", 1, HARVEST)),
            time_of_day=(8 * 60, 11 * 60),  # fasting: mornings only
        ),
        Step("inject", 30, (Demand("room", 1, US), Demand("clinician", 1, US))),
        fu,
    )
    links = (Link.days("harvest", "inject", 19, 23, "culture 19-23 days"), fu_link)
    return steps, links, (Hold("culture", 1, "harvest", "inject"),)


def hip_cells() -> tuple[tuple[Step, ...], tuple[Link, ...], tuple[Hold, ...]]:
    """Hip: harvest, same-day processing on lab equipment, one fluoroscopy-guided injection."""
    fu, fu_link = follow_up("inject")
    steps = (
        Step("harvest", 45, (Demand("room"), Demand("clinician", 1, HARVEST))),
        Step("process", 120, (Demand("centrifuge"),)),
        Step("inject", 30, (Demand("room", 1, FLUORO), Demand("clinician", 1, FLUORO))),
        fu,
    )
    links = (
        Link.minutes("harvest", "process", 45, 120, "processing within an hour"),
        Link.minutes("process", "inject", 120, 300, "same-day injection"),
        fu_link,
    )
    return steps, links, ()


def course(cid: str, kind: str, earliest_day: int, priority: int) -> CourseRequest:
    """One course request of a kind from ``MIX``."""
    if kind == "acs_knee":
        parts = acs(cid, 6, (3, 7), 30, US, 1)
    elif kind == "acs_bilateral":
        parts = acs(cid, 6, (3, 7), 45, US, 2)
    elif kind == "acs_spine4":
        parts = acs(cid, 4, (6, 8), 30, FLUORO, 1)
    elif kind == "acs_spine3":
        parts = acs(cid, 3, (6, 8), 30, FLUORO, 1)
    elif kind == "acs_tendon":
        parts = acs(cid, 3, (6, 8), 20, US, 1)
    elif kind == "msc_knee":
        parts = msc_knee()
    else:
        parts = hip_cells()
    steps, links, holds = parts
    return CourseRequest(
        cid,
        steps,
        links,
        holds,
        earliest=earliest_day * DAY,
        latest=(earliest_day + WAIT_DAYS) * DAY,
        priority=priority,
    )


def build(n: int, seed: int) -> Problem:
    """The bench problem with ``n`` course requests (the same for a given seed)."""
    rng = random.Random(seed)
    shares = [share for share, _ in MIX]
    kinds = [kind for _, kind in MIX]
    courses = []
    for i in range(n):
        kind = rng.choices(kinds, shares)[0]
        earliest = rng.randrange(ARRIVAL_DAYS)
        priority = 1 if rng.random() < 0.1 else 0
        courses.append(course(f"c{i:05d}", kind, earliest, priority))
    return Problem(START, WEEKS * 7, site(), tuple(courses), HOLIDAYS, slot_minutes=15)


def hardware() -> dict[str, Any]:
    """Where the numbers come from."""
    cpu = ""
    memory_gib = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "ortools": metadata.version("ortools"),
        "platform": platform.platform(),
    }


def demand(problem: Problem) -> dict[str, Any]:
    """Course mix and how many room-minutes the requests need against what the rooms offer."""
    wanted = sum(
        s.duration * d.amount
        for c in problem.courses
        for s in c.steps
        for d in s.demands
        if d.kind == "room"
    )
    open_minutes = 0
    for r in problem.resources:
        if r.kind == "room" and r.hours is not None:
            for day in range(problem.days):
                when = problem.start.toordinal() + day
                if date.fromordinal(when) in problem.closed_days:
                    continue
                weekday = (problem.start.weekday() + day) % 7
                open_minutes += sum(hi - lo for lo, hi in r.hours[weekday])
    return {
        "courses": len(problem.courses),
        "room_minutes_requested": wanted,
        "room_minutes_open": open_minutes,
        "requested_over_open": round(wanted / open_minutes, 2),
    }


def run_one(problem: Problem, method: str, time_limit: float) -> dict[str, Any]:
    """Plan with one method, verify, and summarise."""
    began = time.perf_counter()
    result = plan(problem, method=method, time_limit_s=time_limit)
    wall = time.perf_counter() - began
    checked = time.perf_counter()
    violations = check(problem, result)
    check_s = time.perf_counter() - checked
    reasons: dict[str, int] = {}
    for why in result.unplaced.values():
        reasons[why.code] = reasons.get(why.code, 0) + 1
    by_priority: dict[str, int] = {}
    for c in problem.courses:
        if c.id in result.placed:
            by_priority[str(c.priority)] = by_priority.get(str(c.priority), 0) + 1
    return {
        "wall_s": round(wall, 3),
        "status": result.status,
        "placed": len(result.placed),
        "placed_by_priority": by_priority,
        "unplaced": len(result.unplaced),
        "unplaced_reasons": dict(sorted(reasons.items())),
        "utilisation": utilisation(problem, result),
        "violations": len(violations),
        "violation_examples": [v.message for v in violations[:5]],
        "check_s": round(check_s, 3),
        "stats": {k: round(v, 3) for k, v in result.stats.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Run the bench and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--out", default=str(ROOT / "bench/results/scheduling.json"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    # OR-Tools is imported once here, so no size pays the one-off import inside its timing.
    imported = time.perf_counter()
    import autologic.care.domain.scheduling.cpsat  # noqa: F401

    import_s = time.perf_counter() - imported
    print(HEADER)
    results: dict[str, Any] = {}
    for n in sizes:
        built = time.perf_counter()
        problem = build(n, args.seed)
        build_s = time.perf_counter() - built
        greedy = run_one(problem, "greedy", args.time_limit)
        cpsat = run_one(problem, "cpsat", args.time_limit)
        room = (cpsat["utilisation"].get("room", 0.0), greedy["utilisation"].get("room", 0.0))
        ratio = {
            "placed": round(cpsat["placed"] / max(greedy["placed"], 1), 3),
            "room_utilisation": round(room[0] / max(room[1], 1e-9), 3),
        }
        results[str(n)] = {
            "build_s": round(build_s, 3),
            "demand": demand(problem),
            "greedy": greedy,
            "cpsat": cpsat,
            "cpsat_over_greedy": ratio,
            "cpsat_under_10s": cpsat["wall_s"] < 10.0,
        }
        print_row(n, results[str(n)])

    out = {
        "hardware": hardware(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["uv run python bench/scheduling.py", *(argv or sys.argv[1:])]),
        "seed": args.seed,
        "time_limit_s": args.time_limit,
        "ortools_import_s": round(import_s, 3),
        "site": {
            "start": START.isoformat(),
            "weeks": WEEKS,
            "holidays": sorted(d.isoformat() for d in HOLIDAYS),
            "resources": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "capacity": r.capacity,
                    "capabilities": sorted(r.capabilities),
                }
                for r in site()
            ],
            "mix": {name: share for share, name in MIX},
            "arrival_days": ARRIVAL_DAYS,
            "wait_days": WAIT_DAYS,
        },
        "results": results,
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {path}")
    return 0


HEADER = (
    f"{'size':>6} {'method':<7} {'wall s':>7} {'placed':>7} {'room':>6} {'clin':>6} "
    f"{'freezer':>7} {'incub':>6} {'centr':>6} {'cult':>6} {'viol':>5}  status"
)


def print_row(n: int, row: dict[str, Any]) -> None:
    """One size as two table lines and the ratio."""
    for method in ("greedy", "cpsat"):
        r = row[method]
        u: dict[str, float] = r["utilisation"]
        print(
            f"{n:>6} {method:<7} {r['wall_s']:>7.2f} {r['placed']:>7} "
            f"{u.get('room', 0):>6.1%} {u.get('clinician', 0):>6.1%} {u.get('freezer', 0):>7.1%} "
            f"{u.get('incubator', 0):>6.1%} {u.get('centrifuge', 0):>6.1%} "
            f"{u.get('culture', 0):>6.1%} {r['violations']:>5}  {r['status']}"
        )
    ratio = row["cpsat_over_greedy"]
    print(
        f"{'':>6} cpsat/greedy: placed x{ratio['placed']}, "
        f"room utilisation x{ratio['room_utilisation']}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
