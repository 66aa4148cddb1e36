"""Benchmark the Bulk Data ``$export`` job (issue 19) from PostgreSQL through the real job.

    uv run python bench/fhir_export.py --resources 10000 100000 1000000 --profile 100000
    uv run python bench/fhir_export.py --resources 100000 --out /tmp/export.json

For each N, a clinic of the registry benchmark's shape (``bench/registry.py``: patients with an
assessment and one treated region, a course with its appointments, a lab chain with collection,
run, steps and units, injections, NRS/PGA questionnaires and their scores, later treatments,
adverse events) is used in the bench database (``autologic_bench``, created and migrated if
absent).  A system-level export of such a clinic holds about 44 resources per patient across the
served types, so the clinic for N resources has ``round(N / 44.06)`` patients (site code
``registry-P-s7``; populated with COPY through ``bench/registry.py`` the first time, reused
later).  Every served type is exported (``types`` = all of ``level_types("system")``): the mix is
what the clinic holds, and the per-type counts are reported.

Per N, in one process:

- ``export_s``: an ``ExportJob`` (level system, every type) for a bench FhirClient of the clinic
  (purpose ``care``), run by ``interop.exports.run_export_job`` exactly as the worker runs it
  (REPEATABLE READ snapshot, keyset pages of ``BATCH`` rows, NDJSON files capped by bytes,
  fsync, rename, ExportFile rows, audit event); wall clock, files and bytes;
- ``verified``: the NDJSON line count of every type equals the rows its parts' querysets count,
  the manifest counts agree, and a sample of lines per file parses with the right resourceType;
- ``floor_s``: for every part of every type, the same SELECT the job runs (the part's visible
  queryset, ``.order_by("pk").values(*fields)``) streamed out as text by
  ``COPY (SELECT ...) TO STDOUT`` on the same connection and thrown away; summed over parts.
  ``export_over_floor`` = export_s / floor_s;
- ``sql_s``: the time spent inside the job's SQL executes (a Django execute wrapper);
- with ``--profile N``: the functions with the most own time in a cProfile of the job at N.

Growth is reported at each 10x step as (t_big / t_small) / 10 (1.0 = linear).  The machine's
load average is recorded before and after each job: other processes on the two cores (tests run
by another engineer) slow every number here and nothing subtracts them.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import registry as registry_bench  # noqa: E402  (its database setup, clinic and COPY fill)

PER_PATIENT = 44.06  # resources per patient of a system export, measured at 10,000 patients
SEED = 7
TARGET = 20_000  # resources/s at 1M (issue 19)


def git(*argv: str) -> str:
    done = subprocess.run(["git", *argv], capture_output=True, text=True, check=False, cwd=HERE)
    return done.stdout.strip()


def hardware() -> dict[str, Any]:
    from django.db import connection

    info = registry_bench.hardware()
    info.pop("numpy", None)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        info["postgresql"] = cur.fetchone()[0]
    import django
    import orjson
    import psycopg

    info.update(django=django.__version__, psycopg=psycopg.__version__, orjson=orjson.__version__)
    return info


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def clinic(patients: int) -> tuple[Any, bool, float | None]:
    """The registry-shaped clinic of that many patients: reused, or filled now with COPY."""
    site, reused, populate_s = registry_bench.bench_site(patients, SEED)
    if not reused:
        start = time.perf_counter()
        registry_bench.populate(site, patients, SEED, 20_000)
        populate_s = time.perf_counter() - start
        site.name = (
            f"{registry_bench.DONE}: {patients} patients, seed {SEED}, "
            f"populated in {populate_s:.1f} s"
        )
        site.save(update_fields=["name"])
    return site, reused, populate_s


def bench_client(site: Any) -> Any:
    from autologic.interop import auth
    from autologic.interop.models import FhirClient

    name = f"bench-export-{site.code}"
    found = FhirClient.objects.filter(name=name).first()
    if found is not None:
        return found
    return auth.add_client(
        name=name, site=site, scopes=["system/*.read"], purpose="care", now=datetime.now(UTC)
    )


def context_of(client: Any) -> Any:
    from django.conf import settings

    from autologic.interop.resources.base import Context

    return Context(
        site=client.site,
        client=client,
        namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
        base=f"{settings.AUTOLOGIC_PUBLIC_URL}/fhir",
    )


def expected_counts(client: Any, types: list[str]) -> dict[str, int]:
    from autologic.interop.domain.search import Search
    from autologic.interop.resources.registry import TYPES

    context = context_of(client)
    out = {}
    for n in types:
        if TYPES[n].parts:
            out[n] = sum(p.visible(context).count() for p in TYPES[n].parts)
        else:  # a catalogue served from code (Questionnaire): what one big page returns
            out[n] = len(TYPES[n].search(context, Search(filters={}, count=100_000))[0])
    return out


def floor(client: Any, types: list[str]) -> tuple[float, dict[str, float], int]:
    """Every part's SELECT as the job runs it, streamed by COPY TO STDOUT into nothing."""
    from django.db import connection

    from autologic.interop.resources.registry import TYPES

    context = context_of(client)
    connection.ensure_connection()
    raw = connection.connection
    per_type: dict[str, float] = {}
    rows = 0
    for name in types:
        spent = 0.0
        for part in TYPES[name].parts:
            query = part.visible(context).order_by("pk").values(*part.fields)
            sql, params = query.query.sql_with_params()
            with raw.cursor() as cur:
                start = time.perf_counter()
                with cur.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
                    for block in copy:
                        rows += bytes(block).count(b"\n")
                spent += time.perf_counter() - start
        per_type[name] = round(spent, 4)
    return sum(per_type.values()), per_type, rows


class SqlTimer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1


def new_job(client: Any, types: list[str]) -> Any:
    from autologic.interop.models import ExportJob

    return ExportJob.objects.create(
        client=client,
        level="system",
        types=types,
        since=None,
        request="bench/fhir_export.py $export",
        requested_at=datetime.now(UTC),
    )


def verify(job: Any, expected: dict[str, int], sample: int = 200) -> dict[str, Any]:
    """Lines per type against the row counts, manifest counts, a sample of lines parsed."""
    import orjson

    from autologic.interop.exports import export_dir

    directory = export_dir(job.pk)
    lines: dict[str, int] = {}
    manifest: dict[str, int] = {}
    parsed = 0
    bad: list[str] = []
    rng = random.Random(1)
    for f in job.files.all():
        manifest[f.resource_type] = manifest.get(f.resource_type, 0) + f.count
        with (directory / f.name).open("rb") as handle:
            content = handle.readlines()
        lines[f.resource_type] = lines.get(f.resource_type, 0) + len(content)
        for line in rng.sample(content, min(sample, len(content))):
            resource = orjson.loads(line)
            parsed += 1
            if resource.get("resourceType") != f.resource_type or not resource.get("id"):
                bad.append(f.name)
    wanted = {k: v for k, v in expected.items() if v}
    return {
        "lines_equal_rows": lines == wanted,
        "manifest_equal_rows": manifest == wanted,
        "sampled_lines_parsed": parsed,
        "sampled_lines_wrong": len(bad),
        "mismatches": {
            k: {"rows": expected.get(k, 0), "lines": lines.get(k, 0)}
            for k in set(lines) | set(wanted)
            if lines.get(k, 0) != expected.get(k, 0)
        },
    }


def run_job(client: Any, types: list[str], profile: bool) -> dict[str, Any]:
    from django.db import connection

    from autologic.interop.exports import export_dir, run_export_job

    job = new_job(client, types)
    timer = SqlTimer()
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    before = load()
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        job = run_export_job(job.pk, now=datetime.now(UTC))
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - start
    files = list(job.files.all())
    out = {
        "job": str(job.pk),
        "status": job.status,
        "export_s": round(wall, 3),
        "process_cpu_s": round(cpu, 3),
        "sql_s": round(timer.seconds, 3),
        "sql_queries": timer.queries,
        "files": len(files),
        "bytes": sum(f.bytes for f in files),
        "load_before": before,
        "load_after": load(),
        "directory": str(export_dir(job.pk)),
    }
    if profiler:
        out["profile_top"] = top(profiler)
    return out | {"_job": job}


def top(profiler: cProfile.Profile, n: int = 20) -> list[dict[str, Any]]:
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (file, line, func), (_cc, calls, own, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = file.split("site-packages/")[-1].split("/src/")[-1]
        rows.append(
            {
                "function": f"{short}:{line}({func})",
                "calls": calls,
                "own_s": round(own, 3),
                "cumulative_s": round(cum, 3),
                "own_share": round(own / total, 3),
            }
        )
    rows.sort(key=lambda r: -r["own_s"])
    return [{"profiled_total_s": round(total, 3)}, *rows[:n]]


def measure(n: int, args: argparse.Namespace) -> dict[str, Any]:
    import shutil

    from autologic.interop.exports import level_types

    patients = max(1, round(n / PER_PATIENT))
    site, reused, populate_s = clinic(patients)
    client = bench_client(site)
    types = level_types("system")
    expected = expected_counts(client, types)
    total = sum(expected.values())
    floor_s, floor_types, floor_rows = floor(client, types)
    run = run_job(client, types, profile=False)
    job = run.pop("_job")
    checked = verify(job, expected)
    shutil.rmtree(run.pop("directory"), ignore_errors=True)
    floor_again, floor_types_again, _ = floor(client, types)  # the load comes and goes: the best
    if floor_again < floor_s:
        floor_s, floor_types = floor_again, floor_types_again
    result = {
        "resources_asked": n,
        "patients": patients,
        "site": site.code,
        "clinic_reused": reused,
        "populate_s": round(populate_s, 1) if populate_s else None,
        "resources": total,
        "per_type": {k: v for k, v in expected.items()},
        **run,
        "resources_per_s": round(total / run["export_s"]),
        "mb_per_s": round(run["bytes"] / run["export_s"] / 1e6, 1),
        "floor_s": round(floor_s, 3),
        "floor_rows": floor_rows,
        "floor_per_type_s": floor_types,
        "export_over_floor": round(run["export_s"] / floor_s, 1),
        "python_s_outside_sql": round(run["export_s"] - run["sql_s"], 3),
        "verified": checked,
    }
    if args.profile == n:
        prof = run_job(client, types, profile=True)
        pjob = prof.pop("_job")
        shutil.rmtree(prof.pop("directory"), ignore_errors=True)
        result["profile"] = {
            "export_s_under_cprofile": prof["export_s"],
            "status": pjob.status,
            "top_by_own_time": prof["profile_top"],
        }
    return result


def growth(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    by = sorted(runs, key=lambda r: r["resources"])
    for small, big in zip(by, by[1:], strict=False):
        scale = big["resources"] / small["resources"]
        out.append(
            {
                "from": small["resources"],
                "to": big["resources"],
                "size_ratio": round(scale, 2),
                "export_s_vs_linear": round(big["export_s"] / small["export_s"] / scale, 2),
                "floor_s_vs_linear": round(big["floor_s"] / small["floor_s"] / scale, 2),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[100_000])
    parser.add_argument("--profile", type=int, default=0, help="cProfile the job at this N")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", registry_bench.DEFAULT_DB_URL),
    )
    parser.add_argument("--data-dir", default="/tmp/autologic-bench-export")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "fhir_export.json")
    args = parser.parse_args()
    os.environ["AUTOLOGIC_DATA_DIR"] = args.data_dir  # the NDJSON files go here, then removed
    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--", "src").splitlines()
    registry_bench.setup_django(args.database_url)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    kept = {r["resources_asked"]: r for r in previous.get("runs", [])}
    for n in args.resources:
        kept[n] = measure(n, args)
        kept[n]["command"] = "uv run python " + " ".join(["bench/fhir_export.py", *sys.argv[1:]])
        kept[n]["code"] = {
            "commit": commit[:7],
            "uncommitted_files_under_src": len(dirty),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        brief = {k: v for k, v in kept[n].items() if k not in ("profile", "per_type")}
        print(json.dumps(brief), flush=True)
        runs = [kept[k] for k in sorted(kept)]
        result = {
            "benchmark": "fhir_export",
            "hardware": hardware(),
            "database": args.database_url.split("@")[-1],
            "command": "uv run python bench/fhir_export.py --resources 10000 100000 1000000 "
            "--profile 100000",
            "engine": "interop.exports.run_export_job, level system, every served type, "
            "batch 1000, default file cap; floor = the same SELECTs by COPY TO STDOUT",
            "target_resources_per_s_at_1M": TARGET,
            "runs": runs,
            "growth": growth(runs),
            # Written by hand after a run (what the profile and the experiments showed); kept.
            "findings": previous.get("findings", []),
            "experiments": previous.get("experiments", {}),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")  # after every size
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
