"""Benchmark the billing reports (``autologic.billing.queries``) on PostgreSQL at 1k, 10k and
100k invoices, against a raw-SQL floor measured in the same run.

Run from the project root:

    uv run python bench/billing.py [--sizes 1000,10000,100000] [--repeat 30] \
        [--out bench/results/billing.json]

Issued invoices and payments are append-only (database triggers), so the bench never deletes:
it drops and recreates its own database (``autologic_bench_billing`` unless DATABASE_URL names
another) and loads each size into a site of its own. Per site, courses get three invoices on
average (a deposit invoice, the final invoice, now and then a credit note and a re-issue) and
one to three payments, with due days spread over the last 200 days; a third of the courses
have a claim. ``random.Random(42)``.

Timed per size and report (``--repeat`` calls, after two warm-ups): ``ageing`` (one SQL
statement with a window over each course's invoices), ``revenue_by_day``,
``revenue_by_therapy``, ``received_by_payer``, ``claims_by_state``. The floor is
``SELECT SUM(total_minor) FROM billing_invoice WHERE site_id = %s``, the cheapest statement that
reads every invoice of the site. Reported: median and p95 in ms, the ratio of each median to the
floor's, and growth from the smallest size to 10× and 100×. Target: ≤ 200 ms per report at 100k.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/autologic_bench_billing"

os.environ["AUTOLOGIC_MODE"] = "test"
os.environ["DJANGO_SETTINGS_MODULE"] = "autologic.settings_testing"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB_URL)

SEED = 42
TARGET_MS = 200.0
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
REPORTS = ("ageing", "revenue_by_day", "revenue_by_therapy", "received_by_payer", "claims_by_state")
FLOOR_SQL = "SELECT SUM(total_minor) FROM billing_invoice WHERE site_id = %s"
THERAPIES = ("acs-large-joint", "acs-spine", "acs-tendon", "bm-msc-knee", "cells-hip")


def recreate_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"This benchmark needs PostgreSQL; DATABASE_URL is {url!r}")
    params = {
        "host": cfg["HOST"] or None,
        "port": cfg["PORT"] or None,
        "user": cfg["USER"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        name = sql.Identifier(cfg["NAME"])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from autologic.protocols.actions import sync_protocols

    assert sync_protocols().ok


def load(n_invoices: int, rng: random.Random) -> tuple[object, dict]:
    """A site with about ``n_invoices`` invoices, their courses, payments and claims."""
    from autologic.accounts.models import Site, User
    from autologic.billing.models import BillingProfile, Claim, Coverage, Invoice, Payment
    from autologic.care.models import Course
    from autologic.clinical.models import Assessment, EligibilityDecision
    from autologic.patients.models import Patient
    from autologic.protocols.models import ProtocolVersion

    started = time.perf_counter()
    code = f"b{n_invoices}"
    site = Site.objects.create(code=code, name=f"Bench {n_invoices}", currency="EUR")
    BillingProfile.objects.create(
        site=site, country="ES", legal_name="Bench SL", tax_id="B00000000", address="-"
    )
    clerk = User.objects.create(username=f"clerk-{code}", site=site, role="billing")
    versions = {
        v.code: v for v in ProtocolVersion.objects.filter(code__in=THERAPIES, status="active")
    }
    first = Patient.objects.create(
        site=site,
        mrn=f"{code}-0",
        family_name="Bench",
        given_name="First",
        name_key="bench",
        date_of_birth=date(1960, 1, 1),
        sex="female",
        created_at=NOW,
        updated_at=NOW,
    )
    assessment = Assessment.objects.create(
        site=site, patient=first, assessed_on=TODAY, assessed_by=clerk, created_at=NOW
    )
    decisions = {
        c: EligibilityDecision.objects.create(
            site=site,
            patient=first,
            assessment=assessment,
            protocol=v,
            computed_verdict="eligible",
            report={},
            verdict="eligible",
            decided_by=clerk,
            decided_at=NOW,
        )
        for c, v in versions.items()
    }
    n_courses = max(n_invoices // 3, 1)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                site=site,
                mrn=f"{code}-{i}",
                family_name=f"F{i}",
                given_name=f"G{i}",
                name_key=f"f{i}",
                date_of_birth=date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                sex="female" if i % 2 else "male",
                created_at=NOW,
                updated_at=NOW,
            )
            for i in range(1, n_courses + 1)
        ],
        batch_size=5000,
    )
    therapies = [rng.choice(THERAPIES) for _ in range(n_courses)]
    courses = Course.objects.bulk_create(
        [
            Course(
                site=site,
                patient=p,
                protocol=versions[t],
                decision=decisions[t],
                injections=4,
                guidance="ultrasound",
                earliest_start=TODAY,
                created_by=clerk,
                created_at=NOW,
            )
            for p, t in zip(patients, therapies, strict=True)
        ],
        batch_size=5000,
    )
    invoices, payments = [], []
    number = 0
    for course in courses:
        issued = NOW - timedelta(days=rng.randint(0, 200))
        parts = rng.choice((2, 3, 3, 4))
        for k in range(parts):
            number += 1
            total = rng.randint(20_000, 400_000)
            at = issued + timedelta(days=7 * k)
            invoices.append(
                Invoice(
                    site=site,
                    patient_id=course.patient_id,
                    course=course,
                    series="deposit" if k == 0 else "invoice",
                    year=2026,
                    number=number,
                    number_text=f"R-2026-{number:06d}",
                    issued_on=at.date(),
                    issued_at=at,
                    due_on=at.date() + timedelta(days=14),
                    currency="EUR",
                    lines=[],
                    net_minor=total,
                    tax_minor=0,
                    total_minor=total,
                    document={},
                    language="es",
                    issued_by=clerk,
                )
            )
        for _ in range(rng.randint(1, 3)):
            payments.append(
                Payment(
                    site=site,
                    patient_id=course.patient_id,
                    course=course,
                    method=rng.choice(("cash", "card", "transfer")),
                    amount_minor=rng.randint(10_000, 500_000),
                    currency="EUR",
                    received_on=issued.date(),
                    receipt_number=f"Q-{len(payments)}",
                    recorded_by=clerk,
                    recorded_at=NOW,
                )
            )
        if len(invoices) >= n_invoices:
            break
    Invoice.objects.bulk_create(invoices[:n_invoices], batch_size=5000)
    Payment.objects.bulk_create(payments, batch_size=5000)
    stored = list(
        Invoice.objects.filter(site=site, series="invoice").values_list("id", "course_id")
    )
    coverage = Coverage.objects.create(
        site=site,
        patient=first,
        insurer="Bench Mutua",
        policy_number="1",
        channel="direct",
        recorded_by=clerk,
        recorded_at=NOW,
    )
    Claim.objects.bulk_create(
        [
            Claim(
                site=site,
                course_id=course_id,
                coverage=coverage,
                invoice_id=invoice_id,
                channel="direct",
                state=rng.choice(("draft", "submitted", "paid", "rejected")),
                currency="EUR",
                claimed_minor=50_000,
                paid_minor=rng.randint(0, 50_000),
                created_by=clerk,
                created_at=NOW,
                updated_at=NOW,
            )
            for invoice_id, course_id in stored[::3]
        ],
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a live database
    counts = {
        "invoices": Invoice.objects.filter(site=site).count(),
        "payments": Payment.objects.filter(site=site).count(),
        "courses": len(courses),
        "claims": Claim.objects.filter(site=site).count(),
        "load_s": round(time.perf_counter() - started, 2),
    }
    return site, counts


def timed(call, repeat: int) -> dict:
    for _ in range(2):
        call()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - t) / 1e6)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 3),
        "max_ms": round(samples[-1], 3),
    }


def measure(site, repeat: int) -> dict:
    from django.db import connection

    from autologic.billing import queries

    first = TODAY - timedelta(days=364)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [site.pk])
            cursor.fetchone()

    calls = {
        "floor": floor,
        "ageing": lambda: queries.ageing(site, TODAY),
        "revenue_by_day": lambda: queries.revenue_by_day(site, first, TODAY),
        "revenue_by_therapy": lambda: queries.revenue_by_therapy(site, first, TODAY),
        "received_by_payer": lambda: queries.received_by_payer(site, first, TODAY),
        "claims_by_state": lambda: queries.claims_by_state(site),
    }
    result = {name: timed(call, repeat) for name, call in calls.items()}
    base = result["floor"]["median_ms"] or 1e-9
    for name in REPORTS:
        result[name]["ratio_to_floor"] = round(result[name]["median_ms"] / base, 2)
    return result


def hardware() -> dict:
    import django
    import psycopg
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server = cur.fetchone()[0]
        cur.execute("SHOW work_mem")
        work_mem = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        shared = cur.fetchone()[0]
    mem = ""
    cpu = ""
    try:
        mem = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "memory_total": mem,
        "postgresql_version": server,
        "postgresql_settings": {"work_mem": work_mem, "shared_buffers": shared},
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "billing.json"))
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    started = time.perf_counter()
    recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    rng = random.Random(SEED)
    results = {}
    for n in sizes:
        site, counts = load(n, rng)
        print(f"N={n:,}: {counts}", flush=True)
        results[str(n)] = {"data": counts, "timings": measure(site, args.repeat)}
    growth = {}
    for name in ("floor", *REPORTS):
        base = results[str(sizes[0])]["timings"][name]["median_ms"] or 1e-9
        growth[name] = {
            f"{n // sizes[0]}x": round(results[str(n)]["timings"][name]["median_ms"] / base, 2)
            for n in sizes[1:]
        }
    largest = results[str(sizes[-1])]["timings"]
    verdict = {
        name: {
            "median_ms": largest[name]["median_ms"],
            "p95_ms": largest[name]["p95_ms"],
            "target_ms": TARGET_MS,
            "meets_target": largest[name]["p95_ms"] <= TARGET_MS,
        }
        for name in REPORTS
    }
    doc = {
        "benchmark": "billing_reports",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["uv run python bench/billing.py", *sys.argv[1:]]),
        "hardware": hardware(),
        "sizes": sizes,
        "repeat": args.repeat,
        "seed": SEED,
        "floor": FLOOR_SQL,
        "timing": "time.perf_counter_ns around each report call (SQL, round trip, rows to "
        "Python objects); median and p95 of --repeat calls after two warm-ups",
        "results": results,
        "growth": growth,
        "verdict": verdict,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in ("floor", *REPORTS):
        row = [results[str(n)]["timings"][name]["median_ms"] for n in sizes]
        ratio = largest[name].get("ratio_to_floor", 1.0)
        print(
            f"{name:20s} median ms {row}  ×floor at {sizes[-1]:,}: {ratio}  growth {growth[name]}"
        )
    print(f"wrote {out} ({doc['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
