"""Benchmark the outcome registry's analysis engine (issue 18), first part.

    uv run python bench/registry.py --patients 10000 100000 --out bench/results/registry.json

Generates a registry of N patients in memory (one treated hip or knee each, a baseline and up
to nine follow-up scores, process data, later replacements, adverse events), then times, in one
run:

- ``report_s``: the full claims check (every claim of the shipped claim files), a Kaplan-Meier
  curve of survival free of failure, and a responder table stratified by incubation tertiles,
  all through the same pure functions the pages use (``analytics.domain``);
- ``floor_s``: the floor the same run can reach for the KM part alone: a numpy sort and
  cumulative product over the same durations;
- ``km_max_abs_diff_vs_lifelines`` and ``wilson_max_abs_diff_vs_statsmodels``: the engine's
  numbers against the outside references on this data.

Not measured yet (the issue's full benchmark): reading the registry from PostgreSQL, the naive
per-patient ORM loop to compare with, and 1M patients: the engine holds the registry as Python
objects, so 1M patients need about 10M objects (several GB). The JSON says so in ``missing``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from autologic.analytics.domain import claims as claim_rules  # noqa: E402
from autologic.analytics.domain import registry as reg  # noqa: E402
from autologic.outcomes.domain.thresholds import BY_ID, DEFAULTS  # noqa: E402

TODAY = date(2027, 6, 1)
TIMEPOINTS = (("w2", 14), ("w6", 42), ("w12", 84), ("m6", 182), ("m12", 365), ("m24", 730))
CLAIMS_DIR = Path(__file__).resolve().parents[1] / "src" / "autologic" / "analytics" / "claims"


def generate(n: int, seed: int = 7) -> reg.Registry:
    """A registry of n patients: half cells-hip, half ACS knees, realistic gaps and failures."""
    rng = random.Random(seed)
    treated, measures, later, harms = [], [], [], []
    for i in range(n):
        hip = i % 2 == 0
        start = TODAY - timedelta(days=rng.randrange(30, 1100))
        key = f"{i}:{i}"
        closed = frozenset(
            tp for tp, days in TIMEPOINTS if start + timedelta(days=days + 30) < TODAY
        )
        t = reg.Treated(
            key=key,
            patient=i,
            course=i,
            site="bench",
            therapy="cells_hip" if hip else "acs",
            protocol="cells-hip" if hip else "acs-large-joint",
            protocol_version=3,
            region="hip" if hip else "knee",
            side=rng.choice(("left", "right")),
            diagnosis="osteoarthritis",
            grade_system="KL",
            grade=rng.choice((1, 2, 3)),
            age=rng.randrange(40, 85),
            sex=rng.choice(("female", "male")),
            treated_on=start,
            injections_planned=1 if hip else 6,
            injections_received=1 if hip else rng.choice((4, 5, 6, 6)),
            incubation_hours=None if hip else round(rng.uniform(7, 13), 2),
            thaw_minutes=None if hip else rng.randrange(5, 45),
            cells_million=float(rng.randrange(30, 55)) if hip else None,
            viability_pct=None,
            deviations=int(rng.random() < 0.05),
            closed=closed,
        )
        treated.append(t)
        baseline = rng.choice((6, 7, 8, 9))
        responder = rng.random() < 0.65
        measures.append(reg.Measure(key, "baseline", "NRS", "pain", baseline, start, False))
        measures.append(reg.Measure(key, "baseline", "PGA", "global", baseline * 10, start, False))
        for tp, days in TIMEPOINTS:
            if tp not in closed or rng.random() > 0.8:
                continue
            on = start + timedelta(days=days)
            relief = (3 if responder else 0) + rng.choice((-1, 0, 1))
            value = max(0, baseline - relief)
            measures.append(reg.Measure(key, tp, "NRS", "pain", value, on, False))
            measures.append(reg.Measure(key, tp, "PGA", "global", value * 10, on, False))
        if hip and not responder and rng.random() < 0.4:
            on = start + timedelta(days=rng.randrange(150, 700))
            if on < TODAY:
                later.append(reg.LaterEvent(i, t.region, t.side, "arthroplasty", on))
        if rng.random() < 0.06:
            harms.append(
                reg.Harm(i, i, i, rng.choice((1, 1, 2, 3)), rng.random() < 0.1, True, "pain")
            )
    return reg.Registry(TODAY, treated, measures, later, harms)


def claim_files() -> list[claim_rules.ClaimFile]:
    import yaml

    return [
        claim_rules.parse_claims(yaml.safe_load(p.read_text()), p.name)
        for p in sorted(CLAIMS_DIR.glob("*.yaml"))
    ]


def report(found: reg.Registry) -> dict[str, object]:
    """Everything the benchmark times: the claims check, KM, a stratified responder table."""
    thresholds = {key: BY_ID[ref] for key, ref in DEFAULTS.items()}
    results = [
        claim_rules.evaluate(claim, found, thresholds)
        for file in claim_files()
        for claim in file.items
    ]
    curve = reg.survival(found, found.treated, ["arthroplasty"])
    knees = [t for t in found.treated if t.region == "knee"]
    strata = [
        (
            s,
            reg.responder_rate(
                found, s.rows, "m12", [reg.Criterion("NRS", "pain", "change")], thresholds
            ),
        )
        for s in reg.strata(knees, "incubation_hours")
    ]
    return {"results": results, "curve": curve, "strata": strata}


def km_floor(found: reg.Registry) -> float:
    """The same KM with numpy alone (sort, unique, cumulative product): the floor."""
    failures = found.failures(["arthroplasty"])
    durations = np.array(
        [
            t.days_to(failures[t.key]) if t.key in failures else t.days_to(found.last_seen(t))
            for t in found.treated
        ],
        dtype=float,
    )
    events = np.array([t.key in failures for t in found.treated])
    start = time.perf_counter()
    order = np.argsort(durations, kind="stable")
    times, first = np.unique(durations[order], return_index=True)
    died = np.add.reduceat(events[order].astype(int), first)
    total = np.add.reduceat(np.ones(len(order), dtype=int), first)
    at_risk = len(order) - np.concatenate(([0], np.cumsum(total)[:-1]))
    np.cumprod(1 - died / at_risk)
    return time.perf_counter() - start


def diffs(found: reg.Registry, out: dict[str, object]) -> tuple[float, float]:
    from lifelines import KaplanMeierFitter
    from statsmodels.stats.proportion import proportion_confint

    curve = out["curve"]
    failures = found.failures(["arthroplasty"])
    durations = [
        t.days_to(failures[t.key]) if t.key in failures else t.days_to(found.last_seen(t))
        for t in found.treated
    ]
    events = [t.key in failures for t in found.treated]
    fitter = KaplanMeierFitter().fit(durations, events)
    expected = fitter.survival_function_.iloc[:, 0]
    km = max(abs(s.survival - float(expected.loc[s.time])) for s in curve.steps)
    wilson = 0.0
    for _s, rate in out["strata"]:
        p = rate.proportion
        if p.n:
            low, high = proportion_confint(p.k, p.n, alpha=0.05, method="wilson")
            wilson = max(wilson, abs(p.low - low), abs(p.high - high))
    for r in out["results"]:
        if r.method == "wilson" and r.n:
            low, high = proportion_confint(r.events, r.n, alpha=0.05, method="wilson")
            wilson = max(wilson, abs(r.low - low), abs(r.high - high))
    return km, wilson


def hardware() -> dict[str, object]:
    cpu = ""
    memory = ""
    try:
        info = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        memory = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=Path("bench/results/registry.json"))
    args = parser.parse_args()
    runs = []
    for n in args.patients:
        started = time.perf_counter()
        found = generate(n)
        generated = time.perf_counter() - started
        start = time.perf_counter()
        out = report(found)
        report_s = time.perf_counter() - start
        floor = km_floor(found)
        km, wilson = diffs(found, out)
        runs.append(
            {
                "patients": n,
                "measures": len(found.measures),
                "generate_s": round(generated, 3),
                "report_s": round(report_s, 3),
                "km_floor_s": round(floor, 4),
                "naive_s": None,
                "speedup": None,
                "km_max_abs_diff_vs_lifelines": km,
                "wilson_max_abs_diff_vs_statsmodels": wilson,
            }
        )
        print(json.dumps(runs[-1]), flush=True)
    growth = None
    if len(runs) >= 2 and runs[0]["report_s"]:
        growth = round(
            (runs[-1]["report_s"] / runs[0]["report_s"])
            / (runs[-1]["patients"] / runs[0]["patients"]),
            2,
        )
    result = {
        "benchmark": "registry",
        "engine": "pure Python over in-memory Registry objects (analytics.domain)",
        "hardware": hardware(),
        "runs": runs,
        "growth_vs_linear": growth,
        "missing": [
            "reading the registry from PostgreSQL (the read side)",
            "the naive per-patient ORM loop, hence naive_s and speedup",
            "1M patients: about 10M Python objects; a columnar engine is the next step",
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
