"""Benchmark the outcome registry (issue 18): the read side from PostgreSQL, the engine, and a
naive per-patient ORM loop to compare with.

    uv run python bench/registry.py --source memory --patients 10000 100000
    uv run python bench/registry.py --source postgres --patients 10000 100000 --profile 100000
    uv run python bench/registry.py --source postgres --patients 1000000 --chunk 50000
    uv run python bench/registry.py --source postgres --floor-only --patients 10000 100000 1000000

Each run rewrites its own block of ``bench/results/registry.json`` (``memory`` or ``postgres``;
PostgreSQL runs of other sizes are kept) and leaves the other block alone.

``--source memory`` generates a registry of N patients in memory (one treated hip or knee each, a
baseline and up to six follow-ups of two scores, process data, later replacements, adverse
events) and times ``report_s``: the full claims check (every claim of the shipped claim files), a
Kaplan-Meier curve of survival free of arthroplasty and a responder table stratified by incubation
tertiles, through the pure functions the pages use (``analytics.domain``); ``km_floor_s`` is the KM
part alone in numpy.

``--source postgres`` fills a clinic of N synthetic patients of the same shape (half cells-hip hips
given one injection, half ACS knees given 4-6 of 6; NRS pain and PGA at baseline and at each
follow-up of the protocol that asks questionnaires, about 20% of them unanswered; lab steps,
deviations, thawed units, arthroplasties, adverse events) into the real tables of a separate
database (default ``postgres://postgres@127.0.0.1:5432/autologic_bench``, created and migrated if
absent). Rows go in with COPY, one transaction per chunk of patients, with every foreign key,
CHECK and trigger in force (the same-patient trigger on administrations included); protocol
versions come from the shipped library (``sync_protocols``). A clinic stays for later runs: its
site (code ``registry-N-sSEED``) is renamed "complete" once the last chunk is in. Then, in one
process:

- ``read_s``: ``analytics.queries.registry_for(site, today)`` (best of ``--repeat`` up to 100k),
  with each query's execute time (``read_queries``) and the Python part (``read_python_s``);
- ``compute_s``: the same report as above on the registry it returned; ``report_s`` = both;
- ``floor_s``: every follow-up score of the clinic on a bare psycopg cursor with ``fetchall``,
  the least any read side pays (best of the planner's plan and a nested-loop plan; with
  ``--floor-only``, measured again for the runs already in the JSON), and ``read_over_floor``;
- ``naive_s``: the per-patient ORM loop (``naive_registry``) timed on ``--naive`` patients,
  extrapolated linearly to N, plus ``compute_s``; ``naive_matches_read`` checks it finds exactly
  what ``registry_for`` finds for those patients; ``speedup`` = naive_s / report_s;
- ``km_max_abs_diff_vs_lifelines`` and ``wilson_max_abs_diff_vs_statsmodels`` on that registry;
- with ``--profile N``, the functions with the most own time in a cProfile of ``registry_for``.

The machine's load average is recorded before the timings: other processes on the same cores
(tests, a demo server) slow every number here, and nothing subtracts them.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from autologic.analytics.domain import claims as claim_rules  # noqa: E402
from autologic.analytics.domain import registry as reg  # noqa: E402
from autologic.common.memory import collector_paused  # noqa: E402
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


# Claim files the engine of this checkout refuses (a file shipped ahead of its code, while the
# product is being edited): left out of the report, and named in the JSON.
SKIPPED_CLAIM_FILES: dict[str, str] = {}


def claim_files() -> list[claim_rules.ClaimFile]:
    import yaml

    newest: dict[str, claim_rules.ClaimFile] = {}
    for p in sorted(CLAIMS_DIR.glob("*.yaml")):
        try:
            file = claim_rules.parse_claims(yaml.safe_load(p.read_text()), p.name)
        except claim_rules.ClaimsInvalid as exc:
            SKIPPED_CLAIM_FILES[p.name] = str(exc).splitlines()[0][:200]
            continue
        # The version in force, as a clinic's claims check reads it.
        if file.claims not in newest or newest[file.claims].version < file.version:
            newest[file.claims] = file
    return list(newest.values())


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


# ----------------------------------------------------------------------------- PostgreSQL

DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/autologic_bench"
ZONE = "Europe/Berlin"
DONE = "Registry bench: complete"
# Upper bounds of rows per patient, to reserve id blocks from each table's sequence.
PER_PATIENT = {
    "patients_patient": 1,
    "clinical_assessment": 1,
    "clinical_affectedregion": 1,
    "clinical_eligibilitydecision": 1,
    "care_course": 1,
    "care_course_regions": 1,
    "care_appointment": 16,
    "lab_chain": 1,
    "lab_collection": 1,
    "lab_run": 1,
    "lab_steprecord": 4,
    "lab_deviation": 1,
    "lab_release": 1,
    "lab_unit": 6,
    "injections_administration": 6,
    "outcomes_response": 16,
    "outcomes_score": 16,
    "outcomes_latertreatment": 1,
    "adverse_events_adverseevent": 1,
}
COLUMNS = {
    "patients_patient": "id, site_id, mrn, family_name, given_name, name_key, date_of_birth, sex, "
    "phone, email, address, preferred_language, version, created_at, updated_at",
    "clinical_assessment": "id, site_id, patient_id, assessed_on, assessed_by_id, complaint, "
    "comorbidities, comorbidity_notes, anaesthesia_risk, avoids_surgery, notes, created_at",
    "clinical_affectedregion": "id, assessment_id, region, side, detail, diagnosis, grade_system, "
    "grade, grade_reader, grade_notes",
    "clinical_eligibilitydecision": "id, site_id, patient_id, assessment_id, protocol_id, regions, "
    "computed_verdict, report, verdict, overridden, justification, decided_by_id, decided_at",
    "care_course": "id, site_id, patient_id, protocol_id, decision_id, variant, injections, "
    "guidance, earliest_start, notes, status, problem, version, created_by_id, created_at",
    "care_course_regions": "id, course_id, affectedregion_id",
    "care_appointment": "id, course_id, key, kind, sequence, status, starts_at, ends_at, due_on, "
    "due_from, due_to, kits, history",
    "lab_chain": "id, site_id, identifier, course_id, patient_id, created_at",
    "lab_collection": "id, site_id, chain_id, course_id, patient_id, protocol_id, kind, "
    "collected_at, collected_by_id, volume_ml, containers, container_type, notes, recorded_by_id, "
    "recorded_at, infectious, anaesthesia, sedation_agent",
    "lab_run": "id, collection_id, started_at, started_by_id",
    "lab_steprecord": "id, run_id, key, kind, passage, started_at, ended_at, temperature_c, "
    "g_force, spin_min, cell_count_million, viability_pct, notes, by_id",
    "lab_deviation": "id, run_id, step_id, code, field, message, disposition, justification, "
    "created_at, decided_at, decided_by_id",
    "lab_release": "id, collection_id, decision, decided_at, signatures, first_signer_id, "
    "second_signer_id, units, notes, with_exception, exception_reason, approved_by_id, "
    "patient_informed",
    "lab_unit": "id, site_id, chain_id, collection_id, patient_id, identifier, flags, kind, "
    "product_code, volume_ml, cells_million, index, of, status, status_reason, frozen, made_at, "
    "expires_at, thawed_at, version",
    "injections_administration": "id, site_id, unit_id, patient_id, appointment_id, "
    "planned_region_id, region, side, level, route, override_reason, timing_reason, guidance, "
    "approach, anaesthetic, volume_ml, operator_id, second_verifier_id, signatures, reactions, "
    "reaction_notes, wristband_scan, unit_scan, given_at, recorded_at",
    "outcomes_response": "id, site_id, patient_id, course_id, appointment_id, timepoint, "
    "region_id, instrument, instrument_version, recall, language, mode, answers, missing, status, "
    "staff_entered, completed_on, started_at, updated_at, submitted_at, version",
    "outcomes_score": "id, response_id, patient_id, region_id, timepoint, measured_on, instrument, "
    "instrument_version, algorithm, derived_from, name, value, reason, answered, missing, "
    "higher_is_better",
    "outcomes_latertreatment": "id, site_id, patient_id, region_id, kind, performed_on, source, "
    "note, recorded_by_id, recorded_at",
    "adverse_events_adverseevent": "id, site_id, patient_id, administration_id, unit_id, "
    "ctcae_version, term, term_other, soc, meddra_code, grade, serious, criteria, "
    "related_product, related_procedure, onset_at, resolved_on, resolved_time, outcome, "
    "description, action_taken, reporter_id, recorded_at, updated_at, version",
}
# The lab's units before the administrations: the same-patient trigger reads lab_unit on insert.
COPY_ORDER = list(COLUMNS)
# The one query any read side must pay: every follow-up score of the clinic, on a bare cursor.
FLOOR_SQL = (
    "SELECT r.course_id, s.region_id, s.timepoint, s.instrument, s.name, s.value, "
    "s.measured_on, s.higher_is_better FROM outcomes_score s "
    "JOIN outcomes_response r ON r.id = s.response_id WHERE r.site_id = %s AND s.timepoint <> ''"
)


def setup_django(url: str) -> None:
    """Point Django at the bench database (created if absent) and migrate it."""
    import psycopg

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("AUTOLOGIC_MODE", "test")
    os.environ["DJANGO_SETTINGS_MODULE"] = "autologic.settings"
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bench_site(n: int, seed: int) -> tuple[Any, bool, float | None]:
    """The bench clinic holding n patients: (site, already populated, populate seconds).

    The marker is the site's name, written once the last chunk is in; a site whose run
    stopped midway is renamed out of the way (its rows stay, under the other code)."""
    from autologic.accounts.models import Site, User

    code = f"registry-{n}-s{seed}"
    site = Site.objects.filter(code=code).first()
    if site is not None and site.name.startswith(DONE):
        match = re.search(r"populated in ([0-9.]+) s", site.name)
        return site, True, float(match.group(1)) if match else None
    if site is not None:
        Site.objects.filter(pk=site.pk).update(code=f"{code}-stale-{site.pk}")
    site = Site.objects.create(
        code=code,
        name="Registry bench: populating",
        time_zone=ZONE,
        languages=["de", "en"],
        default_language="de",
    )
    for role in ("physician", "nurse", "lab_technician"):
        User.objects.create(
            username=f"{code}-{site.pk}-{role}", site=site, role=role, last_name="Bench"
        )
    return site, False, None


def _reserve(cur: Any, table: str, count: int) -> int:
    """The first of ``count`` ids taken from the table's identity sequence."""
    seq = cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table]).fetchone()[0]
    first = cur.execute("SELECT nextval(%s)", [seq]).fetchone()[0]
    cur.execute("SELECT setval(%s, %s)", [seq, first + count])
    return int(first)


def _protocols() -> dict[str, dict[str, Any]]:
    from autologic.protocols.actions import sync_protocols
    from autologic.protocols.models import ProtocolVersion

    sync_protocols()
    out = {}
    for code in ("cells-hip", "acs-large-joint"):
        row = ProtocolVersion.objects.filter(code=code, status="active").latest("version")
        follow = row.protocol.follow_up
        out[code] = {
            "id": row.pk,
            "points": [
                (
                    t.key,
                    t.kind,
                    t.offset_days,
                    t.window_days_before,
                    t.window_days_after,
                    bool(t.instruments),
                )
                for t in follow.timepoints
            ],
        }
    return out


class Rows:
    """The rows of one chunk, per table, with ids taken from blocks reserved beforehand."""

    def __init__(self, first: dict[str, int]) -> None:
        self.next = first
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}

    def add(self, table: str, row: tuple[Any, ...]) -> int:
        pk = self.next[table]
        self.next[table] = pk + 1
        self.rows[table].append((pk, *row))
        return pk


def populate(
    site: Any, n: int, seed: int, chunk: int, start: int = 0, today: date = TODAY
) -> dict[str, float]:
    """n synthetic patients of the in-memory generator's shape, written with COPY into the real
    tables (every FK, CHECK and trigger in force), one transaction per chunk of patients.
    ``start``: the number of the first (MRN R000000000 + start), to add to a clinic again.
    ``today``: the clinic's day; its courses began 30 to 1,100 days before it (the registry
    benchmark's fixed day unless a caller lives on the real calendar, as `load.py` does)."""
    from django.db import connection

    from autologic.accounts.models import User
    from autologic.adverse_events.domain import ctcae
    from autologic.outcomes.domain import registry as instruments

    zone = ZoneInfo(ZONE)
    staff = {u.role: u.pk for u in User.objects.filter(site=site)}
    physician, nurse, tech = staff["physician"], staff["nurse"], staff["lab_technician"]
    protocols = _protocols()
    scored = {}
    for iid, name, item in (("NRS", "pain", "PAIN"), ("PGA", "global", "GLOBAL")):
        inst = instruments.get(iid)
        result = inst.score({item: 5})
        scored[iid] = (
            name,
            item,
            inst.version,
            inst.recall,
            result.algorithm,
            inst.subscale(name).higher_is_better,
        )
    terms = {code: ctcae.BY_CODE[code] for code in ("injection_site_reaction", "arthritis")}
    rng = random.Random(seed)
    counts: dict[str, int] = defaultdict(int)
    timings: dict[str, float] = defaultdict(float)
    connection.ensure_connection()
    raw = connection.connection
    for lo in range(start, start + n, chunk):
        size = min(start + n, lo + chunk) - lo
        began = time.perf_counter()
        with raw.transaction(), raw.cursor() as cur:
            rows = Rows({t: _reserve(cur, t, per * size + 1) for t, per in PER_PATIENT.items()})
            for i in range(lo, lo + size):
                _patient_rows(
                    i,
                    rng,
                    site.pk,
                    protocols,
                    scored,
                    terms,
                    zone,
                    rows,
                    physician,
                    nurse,
                    tech,
                    today,
                )
            generated = time.perf_counter()
            for table in COPY_ORDER:
                with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows.rows[table]:
                        copy.write_row(row)
                counts[table] += len(rows.rows[table])
            copied = time.perf_counter()
        committed = time.perf_counter()  # the deferred foreign-key checks run at commit
        timings["generate_s"] += generated - began
        timings["copy_s"] += copied - generated
        timings["commit_s"] += committed - copied
        print(
            f"  populated {lo + size - start}/{n}: generate {generated - began:.1f} s, "
            f"copy {copied - generated:.1f} s, commit {committed - copied:.1f} s",
            flush=True,
        )
    with raw.cursor() as cur:
        for table in COLUMNS:  # Django's connection is in autocommit: each ANALYZE stands alone
            cur.execute(f"ANALYZE {table}")
    return {**counts, **{k: round(v, 1) for k, v in timings.items()}}


def _patient_rows(
    i: int,
    rng: random.Random,
    site_id: int,
    protocols: dict[str, dict[str, Any]],
    scored: dict[str, tuple[Any, ...]],
    terms: dict[str, Any],
    zone: ZoneInfo,
    rows: Rows,
    physician: int,
    nurse: int,
    tech: int,
    today: date = TODAY,
) -> None:
    """One patient's rows: the same shape and draws as ``generate``, with the protocol's own
    follow-up timepoints and windows, so ``registry_for`` finds what the generator would."""
    hip = i % 2 == 0
    start = today - timedelta(days=rng.randrange(30, 1100))  # the first injection
    code = "cells-hip" if hip else "acs-large-joint"
    protocol = protocols[code]
    side = rng.choice(("left", "right"))
    grade = rng.choice((1, 2, 3))
    age = rng.randrange(40, 85)
    sex = rng.choice(("female", "male"))
    planned = 1 if hip else 6
    received = 1 if hip else rng.choice((4, 5, 6, 6))
    incubation = None if hip else round(rng.uniform(7, 13), 2)
    thaw = None if hip else rng.randrange(5, 45)
    cells = float(rng.randrange(30, 55)) if hip else None
    deviation = rng.random() < 0.05
    baseline = rng.choice((6, 7, 8, 9))
    responder = rng.random() < 0.65

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)

    collected_on = start if hip else start - timedelta(days=3)
    collected = at(collected_on, 8)
    created = collected - timedelta(days=14)
    born = date(start.year - age, 6, 15)
    patient = rows.add(
        "patients_patient",
        (
            site_id,
            f"R{i:09d}",
            f"Bench{i}",
            "Reg",
            f"bench{i} reg",
            born,
            sex,
            "",
            "",
            "",
            "de",
            1,
            created,
            created,
        ),
    )
    assessment = rows.add(
        "clinical_assessment",
        (site_id, patient, created.date(), physician, "", "[]", "", "ASA1", False, "", created),
    )
    region_name = "hip" if hip else "knee"
    region = rows.add(
        "clinical_affectedregion",
        (assessment, region_name, side, "", "osteoarthritis", "KL", grade, "", ""),
    )
    decision = rows.add(
        "clinical_eligibilitydecision",
        (
            site_id,
            patient,
            assessment,
            protocol["id"],
            f'["{region}"]',
            "eligible",
            "{}",
            "eligible",
            False,
            "",
            physician,
            created,
        ),
    )
    course = rows.add(
        "care_course",
        (
            site_id,
            patient,
            protocol["id"],
            decision,
            "",
            planned,
            "ultrasound",
            collected_on,
            "",
            "completed",
            "{}",
            1,
            physician,
            created,
        ),
    )
    rows.add("care_course_regions", (course, region))
    chain = rows.add(
        "lab_chain", (site_id, f"C{rows.next['lab_chain']:014d}", course, patient, collected)
    )
    collection = rows.add(
        "lab_collection",
        (
            site_id,
            chain,
            course,
            patient,
            protocol["id"],
            "marrow_aspirate" if hip else "blood_draw",
            collected,
            physician,
            Decimal(60),
            1 if hip else 6,
            "syringe",
            "",
            tech,
            collected,
            "negative",
            "local" if hip else "none",
            "",
        ),
    )
    run = rows.add("lab_run", (collection, collected + timedelta(minutes=30), tech))
    t = collected + timedelta(minutes=30)
    steps = (
        [("separation", 1.0, None, None, None)]
        if hip
        else [
            ("incubation", incubation, Decimal(37), None, None),
            ("centrifugation", 0.25, None, 2000, 10),
            ("aliquoting", 0.5, None, None, None),
            ("freezing", 1.0, Decimal(-20), None, None),
        ]
    )
    first_step = None
    for key, hours, temperature, g_force, spin in steps:
        ended = t + timedelta(hours=hours)
        step = rows.add(
            "lab_steprecord",
            (run, key, key, 0, t, ended, temperature, g_force, spin, None, None, "", tech),
        )
        first_step = first_step or step
        t = ended
    if deviation:
        rows.add(
            "lab_deviation",
            (
                run,
                first_step,
                "out_of_range",
                "ended_at",
                "Step outside its limits.",
                "accepted",
                "Within the validated range.",
                t,
                t,
                tech,
            ),
        )
    # Every lot was released before its units were given: the lab's queue holds only lots
    # still being made, as in a working clinic.
    rows.add(
        "lab_release",
        (collection, "released", t + timedelta(hours=20), "[]", tech, None, planned, "", False)
        + ("", None, False),
    )
    # Appointments: the injections, then every follow-up timepoint of the protocol.
    sessions = []
    for k in range(planned):
        day = start + timedelta(days=7 * k)
        given = k < received
        appointment = rows.add(
            "care_appointment",
            (
                course,
                f"inj{k + 1}",
                "injection",
                k,
                "done" if given else "cancelled",
                at(day, 10) if given else None,
                at(day, 10, 30) if given else None,
                day,
                None,
                None,
                1,
                "[]",
            ),
        )
        sessions.append((appointment, day))
    last = start + timedelta(days=7 * (received - 1))
    replaced = None
    if hip and not responder and rng.random() < 0.4:
        on = start + timedelta(days=rng.randrange(150, 700))
        if on < today:
            replaced = on
    follow = {}
    for key, kind, offset, before, after, asks in protocol["points"]:
        due = collected_on if offset == 0 else last + timedelta(days=offset)
        due_to = due + timedelta(days=after)
        answered = asks and (
            key == "baseline"
            or (due_to < today and rng.random() <= 0.8 and (replaced is None or due < replaced))
        )
        status = "done" if answered else ("missed" if due_to < today else "due")
        appointment = rows.add(
            "care_appointment",
            (
                course,
                f"fu-{key}",
                kind,
                len(sessions) + len(follow),
                status,
                None,
                None,
                due,
                due - timedelta(days=before),
                due_to,
                0,
                "[]",
            ),
        )
        follow[key] = (appointment, due, answered)
    # The units: one per planned injection (hips: fresh cells; knees: frozen serum, thawed).
    made = t
    administrations = []
    for k, (appointment, day) in enumerate(sessions):
        given_at = at(day, 10, 10)
        given = k < received
        unit = rows.add(
            "lab_unit",
            (
                site_id,
                chain,
                collection,
                patient,
                f"R{rows.next['lab_unit']:014d}",
                "00",
                "syringe",
                "BENCH",
                Decimal(2),
                Decimal(cells) if cells is not None else None,
                k + 1,
                planned,
                "administered" if given else "discarded",
                "",
                not hip,
                made,
                made + timedelta(days=365),
                given_at - timedelta(minutes=thaw) if thaw is not None and given else None,
                1,
            ),
        )
        if not given:
            continue
        administrations.append(
            (
                rows.add(
                    "injections_administration",
                    (
                        site_id,
                        unit,
                        patient,
                        appointment,
                        region,
                        region_name,
                        side,
                        "",
                        "intra_articular",
                        "",
                        "",
                        "ultrasound",
                        "",
                        "lidocaine",
                        Decimal(2),
                        physician,
                        nurse,
                        "[]",
                        "[]",
                        "",
                        f"W{patient}",
                        f"U{unit}",
                        given_at,
                        given_at + timedelta(minutes=5),
                    ),
                ),
                unit,
                given_at,
            )
        )
    # Questionnaires: NRS pain and PGA at baseline and each answered follow-up.
    for key, (appointment, due, answered) in follow.items():
        if not answered:
            continue
        relief = 0 if key == "baseline" else (3 if responder else 0) + rng.choice((-1, 0, 1))
        value = max(0, baseline - relief)
        moment = at(due, 18)
        for iid, factor in (("NRS", 1), ("PGA", 10)):
            name, item, version, recall, algorithm, better = scored[iid]
            response = rows.add(
                "outcomes_response",
                (
                    site_id,
                    patient,
                    course,
                    appointment,
                    key,
                    region,
                    iid,
                    version,
                    recall,
                    "de",
                    "web",
                    f'{{"{item}": {value * factor}}}',
                    0,
                    "submitted",
                    False,
                    due,
                    moment,
                    moment,
                    moment,
                    1,
                ),
            )
            rows.add(
                "outcomes_score",
                (
                    response,
                    patient,
                    region,
                    key,
                    due,
                    iid,
                    version,
                    algorithm,
                    "",
                    name,
                    float(value * factor),
                    "",
                    1,
                    0,
                    better,
                ),
            )
    if replaced is not None:
        rows.add(
            "outcomes_latertreatment",
            (
                site_id,
                patient,
                region,
                "arthroplasty",
                replaced,
                rng.choice(("hospital", "patient", "registry")),
                "",
                nurse,
                at(min(replaced + timedelta(days=20), today), 10),
            ),
        )
    if rng.random() < 0.06:
        from autologic.adverse_events.domain.ctcae import VERSION as CTCAE_VERSION

        administration, unit, given_at = administrations[0]
        serious = rng.random() < 0.1
        term = terms["arthritis" if serious else "injection_site_reaction"]
        onset = given_at + timedelta(hours=rng.randrange(2, 30))
        resolved = onset + timedelta(hours=24 * 9 if serious else rng.choice((3, 5, 8, 12)))
        local = resolved.astimezone(zone)
        rows.add(
            "adverse_events_adverseevent",
            (
                site_id,
                patient,
                administration,
                unit,
                CTCAE_VERSION,
                term.code,
                "",
                term.soc,
                term.meddra,
                3 if serious else rng.choice((1, 1, 2)),
                serious,
                '["hospitalisation"]' if serious else "[]",
                "possible",
                "probable",
                onset,
                local.date(),
                None if serious else local.time().replace(second=0, microsecond=0),
                "recovered",
                "Swelling and warmth at the injection site.",
                "Rest and cooling.",
                physician,
                onset + timedelta(days=1),
                onset + timedelta(days=1),
                1,
            ),
        )


def naive_registry(site: Any, today: date, patient_ids: list[int]) -> reg.Registry:
    """What a straightforward Django developer writes: for each patient, ordinary ORM queries
    for its courses, administrations (with their unit and region), lab steps, follow-ups,
    scores, later treatments and adverse events, building the same registry objects."""
    from autologic.adverse_events.models import AdverseEvent
    from autologic.analytics.queries import RELATED, _age, _hours
    from autologic.care.models import Appointment, Course
    from autologic.clinical.models import AffectedRegion
    from autologic.injections.models import Administration
    from autologic.lab.models import Deviation, StepRecord
    from autologic.outcomes.models import LaterTreatment, Score
    from autologic.patients.models import Patient

    zone = ZoneInfo(site.time_zone)
    treated, measures, later, harms, readings = [], [], [], [], []  # type: ignore[var-annotated]
    for patient in Patient.objects.filter(pk__in=patient_ids).order_by("pk"):
        for course in Course.objects.filter(site=site, patient=patient).order_by("pk"):
            given = list(Administration.objects.filter(site=site, appointment__course=course))
            if not given:
                continue
            version = course.protocol  # one query
            asking = {p.key for p in version.protocol.follow_up.timepoints if p.instruments}
            incubation = viability = None
            for step in StepRecord.objects.filter(run__collection__course=course).order_by(
                "started_at", "pk"
            ):
                if step.key == "incubation" and step.ended_at is not None:
                    incubation = (step.ended_at - step.started_at).total_seconds() / 3600
                if step.viability_pct is not None:
                    viability = float(step.viability_pct)
            deviations = Deviation.objects.filter(run__collection__course=course).count()
            closed = frozenset(
                a.key.removeprefix("fu-")
                for a in Appointment.objects.filter(
                    course=course, key__startswith="fu-", due_to__lt=today
                )
                if a.key.removeprefix("fu-") in asking
            )
            by_region: dict[int, list[Any]] = defaultdict(list)
            for a in given:
                by_region[a.planned_region_id].append(a)
            for region_id, doses in by_region.items():
                region = AffectedRegion.objects.get(pk=region_id)
                first = min(a.given_at.astimezone(zone).date() for a in doses)
                thaws, cells = [], []
                for a in doses:
                    unit = a.unit  # one query per injection
                    if unit.thawed_at:
                        thaws.append((a.given_at - unit.thawed_at).total_seconds() / 60)
                    if unit.cells_million is not None:
                        cells.append(float(unit.cells_million))
                key = f"{course.pk}:{region_id}"
                extra: dict[str, Any] = {}
                if "bmi" in {f.name for f in dataclasses.fields(reg.Treated)}:  # newer checkouts
                    from autologic.clinical.domain.body import bmi

                    assessment = region.assessment  # one query
                    extra["bmi"] = bmi(assessment.height_cm, assessment.weight_kg)
                treated.append(
                    reg.Treated(
                        **extra,
                        key=key,
                        patient=patient.pk,
                        course=course.pk,
                        site=site.code,
                        therapy=version.therapy,
                        protocol=version.code,
                        protocol_version=version.version,
                        region=region.region,
                        side=region.side,
                        diagnosis=region.diagnosis,
                        grade_system=region.grade_system or "",
                        grade=region.grade,
                        age=_age(patient.date_of_birth, first),
                        sex=patient.sex,
                        treated_on=first,
                        injections_planned=course.injections,
                        injections_received=len(doses),
                        incubation_hours=incubation,
                        thaw_minutes=statistics.median(thaws) if thaws else None,
                        cells_million=sum(cells) if cells else None,
                        viability_pct=viability,
                        deviations=deviations,
                        closed=closed,
                    )
                )
                for s in Score.objects.filter(
                    response__site=site, response__course=course, region_id=region_id
                ).exclude(timepoint=""):
                    measures.append(
                        reg.Measure(
                            key,
                            s.timepoint,
                            s.instrument,
                            s.name,
                            s.value,
                            s.measured_on,
                            s.higher_is_better,
                        )
                    )
        for event in LaterTreatment.objects.filter(site=site, patient=patient):
            region = event.region  # one query
            later.append(
                reg.LaterEvent(
                    patient.pk, region.region, region.side, event.kind, event.performed_on
                )
            )
        for ae in AdverseEvent.objects.filter(site=site, patient=patient):
            administration = ae.administration  # one query, and one for its appointment
            course_id = administration.appointment.course_id if administration else None
            harms.append(
                reg.Harm(
                    patient.pk,
                    course_id,
                    ae.administration_id,
                    ae.grade,
                    ae.serious,
                    ae.related_product in RELATED or ae.related_procedure in RELATED,
                    ae.term,
                    _hours(ae.onset_at, ae.resolved_on, ae.resolved_time, zone),
                )
            )
        if hasattr(reg, "Reading"):  # cartilage readings, where this checkout's registry has them
            from autologic.clinical.models import ImagingStudy

            for study in ImagingStudy.objects.filter(site=site, patient=patient).exclude(
                cartilage=""
            ):
                readings.append(
                    reg.Reading(
                        patient.pk,
                        study.region,
                        study.side,
                        study.performed_on,
                        study.cartilage,
                        study.cartilage_measure,
                    )
                )
    treated.sort(key=lambda t: (t.treated_on, t.key))
    extra = [readings] if hasattr(reg, "Reading") else []
    return reg.Registry(today, treated, measures, later, harms, *extra)


def _same_as_read(found: reg.Registry, naive: reg.Registry, patient_ids: list[int]) -> bool:
    """The naive loop finds exactly what ``registry_for`` finds for the same patients."""
    ids = set(patient_ids)
    rows = [t for t in found.treated if t.patient in ids]
    keys = {t.key for t in rows}
    return (
        rows == naive.treated
        and Counter(m for m in found.measures if m.key in keys) == Counter(naive.measures)
        and Counter(e for e in found.later if e.patient in ids) == Counter(naive.later)
        and Counter(h for h in found.harms if h.patient in ids) == Counter(naive.harms)
    )


def _label(sql: str) -> str:
    """A query's main table, as registry_for's steps name it."""
    match = re.search(r'FROM "([a-z_]+)"', sql)
    return match.group(1) if match else sql[:40]


def timed_read(site: Any) -> tuple[reg.Registry, float, list[dict[str, Any]]]:
    """``registry_for`` once, with each query's execute time (server and transfer: Django's
    psycopg cursors are client-side, so execute returns with every row on the client)."""
    from django.db import connection

    from autologic.analytics.queries import registry_for

    queries: list[dict[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        result = execute(sql, params, many, context)
        cursor = context["cursor"]
        queries.append(
            {
                "table": _label(sql),
                "execute_s": round(time.perf_counter() - started, 3),
                "rows": cursor.rowcount,
                "sql_chars": len(sql),
            }
        )
        return result

    with connection.execute_wrapper(wrapper):
        start = time.perf_counter()
        found = registry_for(site, TODAY)
        read_s = time.perf_counter() - start
    return found, read_s, queries


def floor_read(site: Any) -> tuple[float, int, dict[str, float]]:
    """Every follow-up score of the clinic fetched on a bare psycopg cursor: the best of two
    runs under the planner's own plan and two with hash and merge joins off (index lookups
    from the clinic's responses), since with other clinics in the tables the planner may hash
    every clinic's scores for a small one."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    plans: dict[str, float] = {}
    count = 0
    for plan, settings in (
        ("planner", ()),
        ("nested_loop", ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off")),
    ):
        best = float("inf")
        for _ in range(2):
            with raw.transaction(), raw.cursor() as cur:
                for sql in settings:
                    cur.execute(sql)
                start = time.perf_counter()
                cur.execute(FLOOR_SQL, [site.pk])
                count = len(cur.fetchall())
                best = min(best, time.perf_counter() - start)
        plans[plan] = round(best, 3)
    return min(plans.values()), count, plans


def profile_read(site: Any, top: int = 12) -> list[dict[str, Any]]:
    """cProfile of one ``registry_for``: the functions with the most own time."""
    import cProfile
    import pstats

    from autologic.analytics.queries import registry_for

    profiler = cProfile.Profile()
    profiler.enable()
    registry_for(site, TODAY)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}:{name}",
                "calls": calls,
                "own_s": round(own, 3),
                "cumulative_s": round(cumulative, 3),
            }
        )
    rows.sort(key=lambda r: r["own_s"], reverse=True)
    # The parts the findings name: Django resolving and psycopg binding the id lists of the IN
    # clauses, psycopg waiting for the server, Django's Python loader of timestamptz values.
    named = [
        r
        for r in rows[top:]
        if r["function"].split(":")[-1]
        in ("batch_process_rhs", "_split_query", "wait", "_load_iso")
    ]
    return rows[:top] + named


def site_rows(site: Any) -> dict[str, int]:
    """How many rows of each registry table belong to the bench clinic."""
    from django.db import connection

    counts = {}
    with connection.cursor() as cur:
        for table, where in (
            ("patients_patient", "site_id = %s"),
            ("injections_administration", "site_id = %s"),
            ("care_appointment", "course_id IN (SELECT id FROM care_course WHERE site_id = %s)"),
            ("outcomes_response", "site_id = %s"),
            (
                "outcomes_score",
                "patient_id IN (SELECT id FROM patients_patient WHERE site_id = %s)",
            ),
            ("outcomes_latertreatment", "site_id = %s"),
            ("adverse_events_adverseevent", "site_id = %s"),
        ):
            cur.execute(f"SELECT count(*) FROM {table} WHERE {where}", [site.pk])
            counts[table] = cur.fetchone()[0]
    return counts


def run_postgres(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Populate (or reuse) the clinic of n patients, then time the read, the report on what it
    read, the floor, and the naive loop on a sample."""
    from autologic.patients.models import Patient

    site, reused, populate_s = bench_site(n, args.seed)
    split = None
    if not reused:
        start = time.perf_counter()
        written = populate(site, n, args.seed, args.chunk)
        split = {k: v for k, v in written.items() if k.endswith("_s")}
        populate_s = time.perf_counter() - start
        site.name = f"{DONE}: {n} patients, seed {args.seed}, populated in {populate_s:.1f} s"
        site.save(update_fields=["name"])
    rows = site_rows(site)
    load = os.getloadavg()  # other processes on the 2 cores skew every time below
    floor_s, floor_rows, floor_plans = floor_read(site)
    reads, computes = [], []
    for _ in range(
        args.repeat if n <= 100_000 else 1
    ):  # the best of a few: the load of other processes comes and goes
        found = None
        gc.collect()
        with collector_paused():  # as the product's claims check reads and measures
            found, read_s, queries_now = timed_read(site)
            start = time.perf_counter()
            out = report(found)
            computes.append(time.perf_counter() - start)
        if not reads or read_s < min(reads):
            queries = queries_now
        reads.append(read_s)
    read_s, compute_s = min(reads), min(computes)
    km, wilson = diffs(found, out)
    sample = list(
        Patient.objects.filter(site=site).order_by("pk").values_list("pk", flat=True)[: args.naive]
    )
    start = time.perf_counter()
    naive = naive_registry(site, TODAY, sample)
    naive_loop_s = time.perf_counter() - start
    same = _same_as_read(found, naive, sample)
    naive_s = naive_loop_s * n / len(sample) + compute_s
    report_s = read_s + compute_s
    per_table: dict[str, float] = defaultdict(float)
    for q in queries:
        per_table[q["table"]] += q["execute_s"]
    sql_s = sum(per_table.values())
    result = {
        "patients": n,
        "treated": len(found.treated),
        "measures": len(found.measures),
        "rows": rows,
        "populate_s": round(populate_s, 1) if populate_s is not None else None,
        "populated_this_run": not reused,
        "populate_split": split,
        "load_average_before": [round(x, 2) for x in load],
        "read_s": round(read_s, 3),
        "compute_s": round(compute_s, 3),
        "repeats": {
            "read_s": [round(x, 3) for x in reads],
            "compute_s": [round(x, 3) for x in computes],
        },
        "report_s": round(report_s, 3),
        "floor_s": round(floor_s, 3),
        "floor_rows": floor_rows,
        "floor_by_plan_s": floor_plans,
        "read_over_floor": round(read_s / floor_s, 1),
        "read_sql_execute_s": round(sql_s, 3),
        "read_python_s": round(read_s - sql_s, 3),
        "read_queries": queries,
        "naive_sample": len(sample),
        "naive_sample_s": round(naive_loop_s, 3),
        "naive_s": round(naive_s, 1),
        "naive_matches_read": same,
        "speedup": round(naive_s / report_s, 1),
        "km_max_abs_diff_vs_lifelines": km,
        "wilson_max_abs_diff_vs_statsmodels": wilson,
    }
    if args.profile == n:
        result["read_profile_top_own_time"] = profile_read(site)
    return result


def run_memory(n: int) -> dict[str, Any]:
    started = time.perf_counter()
    found = generate(n)
    generated = time.perf_counter() - started
    start = time.perf_counter()
    out = report(found)
    report_s = time.perf_counter() - start
    floor = km_floor(found)
    km, wilson = diffs(found, out)
    return {
        "patients": n,
        "measures": len(found.measures),
        "generate_s": round(generated, 3),
        "report_s": round(report_s, 3),
        "km_floor_s": round(floor, 4),
        "km_max_abs_diff_vs_lifelines": km,
        "wilson_max_abs_diff_vs_statsmodels": wilson,
    }


def growth(runs: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each step up in size: how each time grew against linear growth (1.0 = linear)."""
    steps = []
    for a, b in zip(runs, runs[1:], strict=False):
        step: dict[str, Any] = {"from": a["patients"], "to": b["patients"]}
        for key in keys:
            if a.get(key) and b.get(key):
                ratio = (b[key] / a[key]) / (b["patients"] / a["patients"])
                step[f"{key}_vs_linear"] = round(ratio, 2)
        steps.append(step)
    return steps


def findings(runs: list[dict[str, Any]]) -> list[str]:
    """Where the time goes, from the largest PostgreSQL run."""
    if not runs:
        return []
    big = runs[-1]
    n = big["patients"]
    per_table: dict[str, float] = defaultdict(float)
    rows: dict[str, int] = defaultdict(int)
    for q in big["read_queries"]:
        per_table[q["table"]] += q["execute_s"]
        rows[q["table"]] += max(q["rows"], 0)
    each = big["naive_sample_s"] / big["naive_sample"]
    ranked = sorted(per_table.items(), key=lambda kv: kv[1], reverse=True)
    listed = [q for q in big["read_queries"] if q["sql_chars"] > 2 * n]
    out = [
        f"At {n} patients the read is {big['read_s'] / big['report_s']:.0%} of the report "
        f"({big['read_s']} s of {big['report_s']} s); the engine's compute is "
        f"{big['compute_s']} s.",
        f"Of the read, {big['read_sql_execute_s']} s is SQL execute (server plus transfer of every "
        f"row; Django's psycopg cursors are client-side) and {big['read_python_s']} s is Python: "
        "Django turning rows into tuples, and registry_for building dicts and dataclasses.",
        "SQL execute by table: "
        + ", ".join(f"{t} {s:.2f} s ({rows[t]} rows)" for t, s in ranked[:5])
        + ".",
        f"The floor (every follow-up score on a bare cursor, {big['floor_rows']} rows) is "
        f"{big['floor_s']} s; the read takes {big['read_over_floor']}x that.",
        f"The naive per-patient ORM loop ({big['naive_sample']} patients in "
        f"{big['naive_sample_s']} s, about {each * 1000:.0f} ms a patient) "
        f"extrapolates to {big['naive_s']} s at {n}: {big['speedup']}x slower.",
    ]
    if listed:
        out.insert(
            3,
            f"The {len(listed)} queries that carry every id in an IN list take "
            f"{sum(q['execute_s'] for q in listed):.1f} s of SQL execute, returning "
            f"{sum(max(q['rows'], 0) for q in listed)} rows.",
        )
    profile = next((r for r in runs if "read_profile_top_own_time" in r), None)
    if profile is not None:
        rows_ = profile["read_profile_top_own_time"]
        top = rows_[:5]
        out.append(
            f"cProfile of registry_for at {profile['patients']} patients, most own time: "
            + "; ".join(f"{r['function']} {r['own_s']} s ({r['calls']} calls)" for r in top)
            + "."
        )
        named = {r["function"].split(":")[-1]: r for r in rows_}
        if "resolve_expression_parameter" in named and "_split_query" in named:
            main_ = next((r for r in rows_ if r["function"].endswith(":registry_for")), None)
            out.append(
                "In that profile the id lists cost the most Python: the reads filter by pk__in / "
                "course_id__in with every id, so Django resolves each id "
                f"(resolve_expression_parameter, {named['resolve_expression_parameter']['calls']} "
                f"calls, {named['resolve_expression_parameter']['own_s']} s own) and psycopg's "
                "client-side binding splits the query text on its placeholders (_split_query, "
                f"cumulative {named['_split_query']['cumulative_s']} s), of "
                f"{main_['cumulative_s'] if main_ else '?'} s profiled (cProfile inflates it)."
            )
        if "_load_iso" in named:
            out.append(
                f"timestamptz values are parsed in Python ({named['_load_iso']['calls']} calls, "
                f"cumulative {named['_load_iso']['cumulative_s']} s): Django's loader subclasses "
                "psycopg's Python one; given_at, thawed_at, started_at and ended_at are read only "
                "to compute a date, minutes or hours."
            )
    return out + OBSERVED


# Seen by hand (EXPLAIN ANALYZE on the 1M clinic, 2026-12-07), not measured by this script.
OBSERVED = [
    "Observed with EXPLAIN ANALYZE at 1M: the adverse-event query (joined to administration and "
    "appointment for the course) hashes the whole injections_administration table of every "
    "clinic (3.6M rows, about 1.3 s of its 2.5 s) to find 60k events' administrations, where "
    "60k index lookups would do.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--source", nargs="+", choices=("memory", "postgres"), default=["memory"])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB_URL)
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=20_000, help="patients per COPY transaction")
    parser.add_argument("--naive", type=int, default=1_000, help="patients in the naive sample")
    parser.add_argument("--repeat", type=int, default=1, help="reads and reports; the best")
    parser.add_argument(
        "--floor-only",
        action="store_true",
        help="measure the floor again for the PostgreSQL runs already in --out",
    )
    parser.add_argument("--profile", type=int, default=0, help="cProfile the read at this N")
    parser.add_argument("--out", type=Path, default=Path("bench/results/registry.json"))
    args = parser.parse_args()
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    measured = checkout()  # the product is edited while this runs: what it was at the start
    result: dict[str, Any] = {
        "benchmark": "registry",
        "hardware": hardware(),
        "memory": previous.get("memory"),
        "postgres": previous.get("postgres"),
    }
    if "memory" in args.source:
        runs = []
        for n in args.patients:
            runs.append(run_memory(n))
            print(json.dumps(runs[-1]), flush=True)
        result["memory"] = {
            "code": checkout_short(measured),
            "engine": "pure Python over a Registry generated in memory (analytics.domain)",
            "command": "uv run python bench/registry.py --source memory",
            "runs": runs,
            "growth": growth(runs, ("report_s",)),
        }
    if "postgres" in args.source:
        setup_django(args.database_url)
        kept = {r["patients"]: r for r in (result["postgres"] or {}).get("runs", [])}
        for n in [n for n in args.patients if n in kept] if args.floor_only else []:
            site, _reused, _s = bench_site(n, args.seed)
            floor_s, floor_rows, floor_plans = floor_read(site)
            run = kept[n]
            run.update(floor_s=round(floor_s, 3), floor_rows=floor_rows)
            run.update(floor_by_plan_s=floor_plans, floor_remeasured_later=True)
            run["read_over_floor"] = round(run["read_s"] / floor_s, 1)
            print(n, floor_plans, flush=True)
        for n in [] if args.floor_only else args.patients:
            kept[n] = run_postgres(n, args)
            kept[n]["code"] = {**checkout_short(measured), "loaded": "at its first read"}
            summary = {k: v for k, v in kept[n].items() if not k.startswith("read_")}
            print(json.dumps({**summary, "read_s": kept[n]["read_s"]}), flush=True)
        runs = [kept[n] for n in sorted(kept)]
        result["postgres"] = {
            "engine": "analytics.queries.registry_for over PostgreSQL, then the same report",
            "database": args.database_url.split("@")[-1],
            "command": "uv run python bench/registry.py --source postgres --patients N ...",
            "runs": runs,
            "growth": growth(runs, ("report_s", "read_s", "compute_s", "floor_s")),
            "findings": findings(runs),
        }
    result["claim_files"] = {
        "used": sorted(f"{f.claims} v{f.version}" for f in claim_files()),
        "skipped_as_invalid_for_this_checkout": SKIPPED_CLAIM_FILES,
    }
    result["checkout"] = {"at_start": measured, "at_end": checkout()}
    result["missing"] = missing(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


def checkout() -> dict[str, Any]:
    """The commit measured, and the product files changed on top of it (read-only git calls)."""
    import subprocess

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_under_src": git("status", "--porcelain", "--", "src").splitlines(),
    }


def checkout_short(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "commit": state["commit"][:7],
        "uncommitted_files_under_src": len(state["uncommitted_under_src"]),
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def missing(result: dict[str, Any]) -> list[str]:
    out = []
    runs = (result.get("postgres") or {}).get("runs", [])
    sizes = {r["patients"] for r in runs}
    if 1_000_000 not in sizes and runs:
        big = max(runs, key=lambda r: r["patients"])
        scale = 1_000_000 / big["patients"]
        populate_s = big.get("populate_s")
        rate = f"{big['patients'] / populate_s:.0f} patients/s" if populate_s else "unknown"
        out.append(
            "1M patients from PostgreSQL: not run. Populate rate measured at "
            f"{big['patients']}: {rate} (about {populate_s * scale / 60:.0f} min for 1M)"
            if populate_s
            else "1M patients from PostgreSQL: not run. "
        )
        out[-1] += (
            f"; linear extrapolation of the read: {big['read_s'] * scale:.0f} s, "
            f"of the report: {big['report_s'] * scale:.0f} s."
        )
    if not runs:
        out.append("reading the registry from PostgreSQL: not run (--source postgres)")
    return out


if __name__ == "__main__":
    main()
