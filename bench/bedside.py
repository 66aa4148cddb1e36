"""Benchmark the bedside check, and the lab's work queue and box map, with a large inventory.

Run from the project root (PostgreSQL; defaults to postgres://postgres@127.0.0.1:5432/autologic_bench):

    uv run python bench/bedside.py [--sizes 10000,100000,1000000] [--clients 16] \
        [--scans 250] [--out bench/results/bedside.json]

For every inventory size N the bench site ("bench-lab") gets exactly N product units (loaded with
one INSERT ... SELECT, then VACUUM ANALYZE) over N/10 patients, beside a real course whose lot went
through the real actions (collection, steps, division, labels, QC, signed release, reservation,
issue and thaw).  Then it measures, in the same run:

- ``verify``: ``injections.queries.verify`` - parse the scanned barcode, one indexed query for the
  unit with its patient, reservation and protocol, and the pure bedside check - for random units
  of the inventory, each at a session of its own patient, plus the real thawed units (which pass);
- ``floor``: the raw indexed SELECT that check needs, on a bare psycopg cursor;
- both single-client and with ``--clients`` concurrent processes (own connections) at the largest
  size: p50/p99 latency and throughput;
- ``work_queue`` and ``box_map``: full page renders (``/lab/`` and a full box's map) through the
  Django test client, with their query counts.

Only the bench site's rows are touched.  The audit tables are append-only, so the few events the
real actions and page reads write stay in the bench database.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/autologic_bench"
os.environ["AUTOLOGIC_MODE"] = "test"
os.environ["DJANGO_SETTINGS_MODULE"] = "autologic.settings_testing"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB_URL)

from patient_search import (  # noqa: E402
    ensure_database,
    hardware,
    setup_django,
    summarise,
)

SITE = "bench-lab"
TARGET_P99_MS = 25.0
TARGET_PAGE_MS = 150.0
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
FLOOR_SQL = (
    "SELECT u.patient_id, p.mrn, u.status, u.frozen, u.expires_at, u.thawed_at, "
    "c.protocol_id, r.appointment_id, r.region_id, ar.region, ar.side "
    "FROM lab_unit u JOIN patients_patient p ON p.id = u.patient_id "
    "JOIN lab_collection c ON c.id = u.collection_id "
    "LEFT JOIN injections_reservation r ON r.unit_id = u.id AND r.ended_at IS NULL "
    "LEFT JOIN clinical_affectedregion ar ON ar.id = r.region_id "
    "WHERE u.site_id = %s AND u.identifier = %s"
)


# ----------------------------------------------------------------------------- set-up


def real_course(site, staff):
    """One ACS course taken through the real actions up to a thawed unit for session 1."""
    from autologic.audit.actions import SignerProof
    from autologic.care import actions as care
    from autologic.care.models import Appointment, Course, Resource
    from autologic.clinical import actions as clinical
    from autologic.clinical import queries as clinical_queries
    from autologic.clinical.demo import prepare_for_collection
    from autologic.clinical.domain.eligibility import evaluate
    from autologic.common import clock
    from autologic.common.domain.clock import FixedClock
    from autologic.injections import actions as bedside
    from autologic.lab.actions import collection as lab
    from autologic.lab.actions import labels, storage
    from autologic.lab.actions import release as qa
    from autologic.lab.domain.processing import StepValues
    from autologic.lab.models import Box, Unit
    from autologic.patients import actions as patients
    from autologic.protocols.actions import sync_protocols
    from autologic.protocols.models import ProtocolVersion

    existing = Course.objects.filter(site=site).first()
    if existing is not None:
        return existing
    sync_protocols()
    start = NOW - timedelta(days=3)
    clock.set_clock(FixedClock(start))
    physician, nurse, tech = staff["physician"], staff["nurse"], staff["lab_technician"]
    for code, kind, capacity, caps in [
        ("room-1", "room", 1, ["ultrasound", "fluoroscopy"]),
        ("dr-a", "clinician", 1, ["ultrasound", "fluoroscopy"]),
        ("incubator-1", "incubator", 24, []),
        ("centrifuge-1", "centrifuge", 1, []),
        ("freezer-1", "freezer", 100, []),
    ]:
        if Resource.objects.filter(site=site, code=code).exists():  # a run that stopped midway
            continue
        care.add_resource(
            site=site,
            data={
                "kind": kind,
                "code": code,
                "name": code,
                "capacity": capacity,
                "capabilities": caps,
                "hours": {},
            },
            by=physician,
        )
    patient = patients.create_patient(
        site=site,
        data={
            "mrn": "",
            "family_name": "Bench",
            "given_name": "Bea",
            "date_of_birth": date(1960, 1, 1),
            "sex": "female",
            "phone": "",
            "email": "",
            "address": "",
            "preferred_language": "de",
        },
        by=physician,
    )
    assessment = clinical.create_assessment(
        patient=patient, data={"assessed_on": date(2026, 11, 2)}, by=physician
    )
    region = clinical.add_region(
        assessment=assessment,
        data={
            "region": "knee",
            "side": "left",
            "diagnosis": "osteoarthritis",
            "grade_system": "KL",
            "grade": 2,
        },
        by=physician,
    )
    row = ProtocolVersion.objects.filter(code="acs-large-joint", status="active").latest("version")
    # The gate before collection: the signed consent for the protocol and negative markers.
    prepare_for_collection(patient, row, physician, start.date())
    report = evaluate(
        row.protocol, clinical_queries.facts_for(assessment, [region], today=date(2026, 11, 21))
    )
    decision = clinical.decide_eligibility(
        assessment=assessment,
        protocol=row,
        report=report,
        regions=[str(region)],
        verdict="eligible",
        justification="Bench." if report.verdict != "eligible" else "",
        proof=SignerProof(user=physician, second_factor=True),
        expected_verdict=report.verdict,
    )
    course = care.create_course(
        decision=decision,
        injections=6,
        guidance="ultrasound",
        earliest_start=start.date(),
        notes="",
        by=physician,
    )
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    lot = lab.record_collection(
        course=course,
        collected_at=start,
        collected_by=physician,
        volume_ml=Decimal(60),
        containers=6,
        container_type="syringe",
        notes="",
        by=tech,
        now=start,
    )
    run = lab.start_run(lot, by=tech, now=start)
    t = start
    for key, hours, extra in (
        ("incubation", 8, {"temperature_c": 37.0}),
        ("centrifugation", 0.25, {"g_force": 2000, "spin_min": 10}),
        ("aliquoting", 0.5, {}),
    ):
        lab.record_step(
            run,
            key=key,
            values=StepValues(t, t + timedelta(hours=hours), **extra),
            by=tech,
            now=t + timedelta(hours=hours),
        )
        t += timedelta(hours=hours)
    units = lab.divide(run, count=6, volume_ml=Decimal(2), cells_million=None, by=tech, now=t)
    lab.record_step(
        run,
        key="freezing",
        values=StepValues(t, t + timedelta(hours=1), temperature_c=-20.0),
        by=tech,
        now=t + timedelta(hours=1),
    )
    t += timedelta(hours=1)
    labels.print_labels(units, by=tech, now=t)
    for unit in units:
        labels.set_label_state(unit.labels.get(), state="applied", by=tech, now=t)
    for attribute, value in (("appearance", "conforms"), ("volume", "2.0"), ("il1ra", "2000")):
        qa.record_result(lot, attribute=attribute, value=value, by=tech, now=t)
    storage.add_freezer(
        site=site,
        code="fz-bench",
        name="Bench freezer",
        low_c=Decimal(-30),
        high_c=Decimal(-18),
        racks=1,
        boxes_per_rack=2,
        by=tech,
        now=t,
    )
    box = Box.objects.filter(rack__freezer__site=site).order_by("pk").first()
    storage.check_in(units, box, by=tech, now=t)
    qa.release_lot(
        lot,
        decision="released",
        proofs=[SignerProof(user=tech, second_factor=True)],
        notes="",
        now=t,
    )
    first = Appointment.objects.filter(course=course, kind="injection").order_by("sequence").first()
    unit = Unit.objects.get(reservations__appointment=first, reservations__ended_at__isnull=True)
    bedside.issue(first, unit.pk, by=nurse, now=NOW - timedelta(minutes=20))
    bedside.thaw(first, unit.pk, by=nurse, now=NOW - timedelta(minutes=15))
    return course


def staff_for(site):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from autologic.accounts.models import User

    people = {}
    for role in ("physician", "nurse", "lab_technician"):
        user, created = User.objects.get_or_create(
            username=f"bench-{role}",
            defaults={"site": site, "role": role, "first_name": role, "last_name": "Bench"},
        )
        if created:
            user.set_password("bench-password-123")
            user.save()
            TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        people[role] = user
    return people


def load_inventory(site, course, size: int) -> None:
    """Exactly ``size`` bulk units (plus the course's own) over size/10 synthetic patients."""
    from django.db import connection

    from autologic.lab.models import Collection

    lot = Collection.objects.get(course=course)
    patients = max(1, size // 10)
    facility = site.facility_code
    with connection.cursor() as cur:
        cur.execute("DELETE FROM lab_unit WHERE site_id = %s AND product_code = 'BULK'", [site.pk])
        cur.execute(
            "DELETE FROM patients_wristband WHERE patient_id IN (SELECT id FROM patients_patient "
            "WHERE site_id = %s AND mrn LIKE 'X%%')",
            [site.pk],
        )
        cur.execute("DELETE FROM patients_patient WHERE site_id = %s AND mrn LIKE 'X%%'", [site.pk])
        cur.execute(
            "INSERT INTO patients_patient (site_id, mrn, family_name, given_name, name_key, "
            "date_of_birth, sex, phone, email, address, preferred_language, version, created_at, "
            "updated_at) SELECT %s, 'X' || lpad(g::text, 7, '0'), 'Bulk', 'P' || g, 'bulk p' || g, "
            "DATE '1950-01-01' + (g %% 20000), 'female', '', '', '', 'de', 1, now(), now() "
            "FROM generate_series(1, %s) g",
            [site.pk, patients],
        )
        cur.execute(
            "SELECT min(id) FROM patients_patient WHERE site_id = %s AND mrn LIKE 'X%%'", [site.pk]
        )
        first_patient = cur.fetchone()[0]
        # Identifiers: facility + year + 6-digit sequence; years 10..99 give room for 90M.
        cur.execute(
            "INSERT INTO lab_unit (site_id, chain_id, collection_id, patient_id, parent_id, "
            "identifier, flags, kind, product_code, volume_ml, cells_million, index, of, status, "
            "status_reason, frozen, made_at, expires_at, thawed_at, reserved_for_id, box_id, row, "
            "col, version) SELECT %s, %s, %s, %s + (g %% %s), NULL, "
            "%s || lpad((10 + g / 1000000)::text, 2, '0') || lpad((g %% 1000000)::text, 6, '0'), "
            "'00', 'syringe', 'BULK', 2, NULL, 1, 1, "
            "(ARRAY['released','administered','expired','discarded','reserved'])[1 + g %% 5], '', "
            "true, now() - interval '100 days', now() + interval '265 days', NULL, NULL, NULL, "
            "NULL, NULL, 1 FROM generate_series(1, %s) g",
            [site.pk, lot.chain_id, lot.pk, first_patient, patients, facility, size],
        )
        cur.execute("VACUUM ANALYZE lab_unit")
        cur.execute("VACUUM ANALYZE patients_patient")


def fill_box(site) -> int:
    """Fill the second bench box with bulk units, for a full box map."""
    from django.db import connection

    from autologic.lab.models import Box, Unit

    box = Box.objects.filter(rack__freezer__site=site).order_by("pk").last()
    ids = list(
        Unit.objects.filter(site=site, product_code="BULK", status="released").values_list(
            "pk", flat=True
        )[: box.rows * box.cols]
    )
    with connection.cursor() as cur:
        for n, pk in enumerate(ids):
            cur.execute(
                "UPDATE lab_unit SET box_id = %s, row = %s, col = %s WHERE id = %s",
                [box.pk, n // box.cols, n % box.cols, pk],
            )
    return box.pk


def samples(site, course, count: int, seed: int) -> list[tuple[int, int, str, str, str]]:
    """(appointment, patient id, MRN, wristband code, unit scan): bulk units at their own patient's
    session, and the real thawed unit, which passes."""
    from django.db import connection

    from autologic.care.models import Appointment
    from autologic.common.domain.identifiers import check_character
    from autologic.lab.models import Unit

    rng = random.Random(seed)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), min(id), max(id) FROM lab_unit WHERE site_id = %s", [site.pk])
        _n, low, high = cur.fetchone()
    picks = []
    while len(picks) < count:
        pk = rng.randint(low, high)
        row = Unit.objects.filter(pk=pk).values("identifier", "patient_id", "patient__mrn").first()
        if row:
            picks.append(
                (
                    row["patient_id"],
                    row["patient__mrn"],
                    row["identifier"] + check_character(row["identifier"]),
                )
            )
    first = Appointment.objects.filter(course=course, kind="injection").order_by("sequence").first()
    real = Unit.objects.get(reservations__appointment=first, reservations__ended_at__isnull=True)
    passing = (course.patient_id, course.patient.mrn, real.identifier + real.flags)
    chosen = [passing if i % 10 == 0 else picks[i] for i in range(count)]
    bands = _wristbands({patient_id for patient_id, _mrn, _scan in chosen})
    return [(first.pk, pid, mrn, bands[pid], scan) for pid, mrn, scan in chosen]


def _wristbands(patient_ids: set[int]) -> dict[int, str]:
    """The wristband code of each scanned patient; bulk patients get one on first use."""
    from autologic.common import clock
    from autologic.patients.domain import wristband_code
    from autologic.patients.models import Wristband

    codes = dict(
        Wristband.objects.filter(patient_id__in=patient_ids, voided_at__isnull=True).values_list(
            "patient_id", "code"
        )
    )
    missing = [
        Wristband(patient_id=pid, code=wristband_code(f"B{pid:08d}"), issued_at=clock.now())
        for pid in sorted(patient_ids - codes.keys())
    ]
    Wristband.objects.bulk_create(missing)
    return {**codes, **{band.patient_id: band.code for band in missing}}


# ----------------------------------------------------------------------------- workers


def _verify_loop(site_id: int, scans, out=None) -> tuple[list[int], dict[str, int]]:
    from autologic.injections import queries
    from autologic.injections.domain.bedside import Session

    times, outcomes = [], {}
    for appointment_id, patient_id, mrn, wristband, scan in scans:
        t = time.perf_counter_ns()
        verdict = queries.verify(
            site_id,
            Session(appointment_id, patient_id, mrn),
            wristband=wristband,
            unit_scan=scan,
            region="knee",
            side="left",
            now=NOW,
        )
        times.append(time.perf_counter_ns() - t)
        key = verdict.outcome if verdict.outcome == "pass" else verdict.findings[0].code
        outcomes[key] = outcomes.get(key, 0) + 1
    return times, outcomes


def _floor_loop(site_id: int, scans) -> list[int]:
    from django.db import connection

    times = []
    with connection.cursor() as cur:
        raw = cur.connection
        with raw.cursor() as c:
            for _appointment, _patient, _mrn, _wristband, scan in scans:
                t = time.perf_counter_ns()
                c.execute(FLOOR_SQL, (site_id, scan[:13]))
                c.fetchone()
                times.append(time.perf_counter_ns() - t)
    return times


def _worker(kind: str, site_id: int, scans, barrier, queue) -> None:
    import django
    from django.db import connections

    django.setup()
    connections.close_all()
    barrier.wait()
    start = time.perf_counter()
    if kind == "verify":
        times, outcomes = _verify_loop(site_id, scans)
    else:
        times, outcomes = _floor_loop(site_id, scans), {}
    queue.put((times, outcomes, start, time.perf_counter()))


def concurrent(kind: str, site_id: int, scans, clients: int) -> dict:
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(clients), ctx.Queue()
    from django.db import connections

    connections.close_all()
    share = [scans[i::clients] for i in range(clients)]
    procs = [
        ctx.Process(target=_worker, args=(kind, site_id, share[i], barrier, queue))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    times = [t for r in results for t in r[0]]
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    outcomes: dict[str, int] = {}
    for r in results:
        for k, v in r[1].items():
            outcomes[k] = outcomes.get(k, 0) + v
    return {
        **summarise(times),
        "clients": clients,
        "wall_s": round(wall, 3),
        "throughput_per_s": round(len(times) / wall, 1),
        "outcomes": outcomes,
    }


# ----------------------------------------------------------------------------- pages


def pages(site, box_id: int, repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from autologic.accounts.models import User
    from autologic.common import clock
    from autologic.common.domain.clock import FixedClock

    clock.set_clock(FixedClock(NOW))
    user = User.objects.get(username="bench-lab_technician")
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    out = {}
    for name, path in (("work_queue", "/lab/"), ("box_map", f"/lab/storage/boxes/{box_id}/")):
        for _ in range(3):
            assert client.get(path).status_code == 200
        times = []
        for _ in range(repeat):
            t = time.perf_counter_ns()
            response = client.get(path)
            times.append(time.perf_counter_ns() - t)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        out[name] = {**summarise(times), "queries": len(queries)}
    return out


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--scans", type=int, default=250, help="scans per client (concurrent)")
    parser.add_argument("--single", type=int, default=500, help="scans single-client per size")
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench/results/bedside.json"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.conf import settings

    settings.DEBUG = False
    from autologic.accounts.models import Site

    site, _ = Site.objects.get_or_create(
        code=SITE, defaults={"name": "Bench lab", "time_zone": "Europe/Berlin", "mrn_prefix": "L"}
    )
    staff = staff_for(site)
    course = real_course(site, staff)
    results: dict = {}
    for size in sizes:
        t0 = time.perf_counter()
        load_inventory(site, course, size)
        loaded = time.perf_counter() - t0
        box_id = fill_box(site)
        scans = samples(site, course, args.single, seed=size)
        _verify_loop(site.pk, scans[:20])
        _floor_loop(site.pk, scans[:20])
        times, outcomes = _verify_loop(site.pk, scans)
        floor = _floor_loop(site.pk, scans)
        entry = {
            "load_s": round(loaded, 1),
            "single_client": {
                "verify": {**summarise(times), "outcomes": outcomes},
                "floor": summarise(floor),
            },
            "pages": pages(site, box_id, args.pages),
        }
        v, f = entry["single_client"]["verify"], entry["single_client"]["floor"]
        entry["single_client"]["verify_over_floor_p50"] = round(v["p50_ms"] / f["p50_ms"], 2)
        if size == max(sizes):
            many = samples(site, course, args.clients * args.scans, seed=size + 1)
            entry["concurrent"] = {
                "verify": concurrent("verify", site.pk, many, args.clients),
                "floor": concurrent("floor", site.pk, many, args.clients),
            }
            cv, cf = entry["concurrent"]["verify"], entry["concurrent"]["floor"]
            entry["concurrent"]["verify_over_floor_p99"] = round(cv["p99_ms"] / cf["p99_ms"], 2)
            entry["concurrent"]["throughput_ratio"] = round(
                cv["throughput_per_s"] / cf["throughput_per_s"], 2
            )
        results[str(size)] = entry
        print(
            f"{size:>9,} units: verify p50 {v['p50_ms']:.2f} ms p99 {v['p99_ms']:.2f} ms; "
            f"floor p50 {f['p50_ms']:.2f} ms; "
            f"queue p99 {entry['pages']['work_queue']['p99_ms']:.1f} ms; "
            f"box p99 {entry['pages']['box_map']['p99_ms']:.1f} ms",
            flush=True,
        )
    base = str(sizes[0])
    growth = {
        str(n): {
            "verify_p50_ratio": round(
                results[str(n)]["single_client"]["verify"]["p50_ms"]
                / results[base]["single_client"]["verify"]["p50_ms"],
                2,
            ),
            "floor_p50_ratio": round(
                results[str(n)]["single_client"]["floor"]["p50_ms"]
                / results[base]["single_client"]["floor"]["p50_ms"],
                2,
            ),
            "work_queue_p50_ratio": round(
                results[str(n)]["pages"]["work_queue"]["p50_ms"]
                / results[base]["pages"]["work_queue"]["p50_ms"],
                2,
            ),
            "box_map_p50_ratio": round(
                results[str(n)]["pages"]["box_map"]["p50_ms"]
                / results[base]["pages"]["box_map"]["p50_ms"],
                2,
            ),
        }
        for n in sizes[1:]
    }
    top = results[str(max(sizes))]
    doc = {
        "benchmark": "bedside",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "uv run python bench/bedside.py " + " ".join(argv or sys.argv[1:]),
        "hardware": hardware(),
        "sizes": sizes,
        "results": results,
        "growth_vs_smallest": growth,
        "targets": {
            "verify_p99_ms_at_concurrency": TARGET_P99_MS,
            "page_ms": TARGET_PAGE_MS,
            "verify_pass": top.get("concurrent", {}).get("verify", {}).get("p99_ms", 1e9)
            <= TARGET_P99_MS,
            "work_queue_pass": top["pages"]["work_queue"]["p99_ms"] < TARGET_PAGE_MS,
            "box_map_pass": top["pages"]["box_map"]["p99_ms"] < TARGET_PAGE_MS,
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(json.dumps(doc["targets"], indent=2))
    if "concurrent" in top:
        c = top["concurrent"]
        print(
            f"{args.clients} clients: verify p50 {c['verify']['p50_ms']:.2f} "
            f"p99 {c['verify']['p99_ms']:.2f} ms {c['verify']['throughput_per_s']}/s; "
            f"floor p50 {c['floor']['p50_ms']:.2f} p99 {c['floor']['p99_ms']:.2f} ms "
            f"{c['floor']['throughput_per_s']}/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
