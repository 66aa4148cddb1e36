"""HTTP throughput of a clinical mix against a real gunicorn, compared with a floor measured in
the same run (issue 20).

    uv run python bench/load.py                          # 2 and 4 workers, 20 s each
    uv run python bench/load.py --workers 2 --seconds 10 --out /tmp/load.json
    uv run python bench/load.py --workers 2 --threads 4     # gunicorn's threaded workers

The database is PostgreSQL (default ``postgres://postgres@127.0.0.1:5432/autologic_load``),
seeded once with the demo clinics by `autologic demo --no-serve`. Staff of the Düsseldorf clinic
are signed in (password and second factor, as `tests.conftest.signed_in` does), one session per
load process. Then, for each gunicorn worker count:

1. **floor**: every process asks ``/bench/floor``, a view that returns a few bytes behind the
   same middleware as every page (session, login, second factor, role check). Its URL exists only
   in ``bench/load/urls.py``.
2. **mix**: each process draws from the clinical mix: the patient list, a search by family name,
   a chart, a course, the lab work queue, the bedside's day list, the dashboard, and registering
   a patient (the form, then its post).

It reports requests/s and requests/s per core, p50 and p99 per endpoint, errors, the mix's ratio
to the floor, and the queries each endpoint runs (counted in-process with Django's test client).
The load processes run on the same cores as the server, as in issue 20's figures.

    uv run python bench/load.py --grow-to 1000 10000 100000 --workers 2

grows the same clinic before each measurement to that many patients, with the registry
benchmark's COPY populator (``bench/registry.py``: per patient an assessment, a course with its
appointments, a lab chain with its units, injections, questionnaires and scores; every
constraint and trigger in force), and reports the growth of every figure at each 10x step.
The database keeps what was added: a later run starts from there.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/autologic_load"
DATA_DIR = "/tmp/autologic-load"
MIX = {  # endpoint -> weight: a clinic day is mostly reading charts and lists
    "patient_list": 15,
    "search": 20,
    "chart": 25,
    "course": 10,
    "lab_queue": 10,
    "bedside_today": 5,
    "dashboard": 10,
    "patient_create": 5,
}


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "demo",
            "AUTOLOGIC_DATA_DIR": DATA_DIR,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.load.settings",
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def prepare(url: str) -> None:
    """Create the database and seed the demo clinics once."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
    seeded = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", "demo", "--no-serve"],
        env=environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if seeded.returncode:
        sys.exit(f"seeding failed: {seeded.stderr[-2000:]}")


def setup_django(url: str) -> None:
    os.environ.update(environment(url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# Who asks for each endpoint: the coordinator, except where another role works.
ROLE_OF = {"lab_queue": "labtech", "bedside_today": "nurse"}


def sessions(count: int) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Per load process, signed-in sessions of the clinic's coordinator, lab technician and
    nurse; and what the mix asks for."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from autologic.accounts.models import Site, User
    from autologic.care.models import Course
    from autologic.patients.models import Patient

    site = Site.objects.get(code="dus")
    keys = []
    for _ in range(count):
        mine = {}
        for username in ("coordinator", "labtech", "nurse"):
            user = User.objects.get(username=username)
            client = Client()
            client.force_login(user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
            session.save()
            mine[username] = client.cookies[settings.SESSION_COOKIE_NAME].value
        keys.append(mine)
    patients = list(Patient.objects.filter(site=site).values_list("pk", "family_name"))
    courses = list(Course.objects.filter(patient__site=site).values_list("pk", flat=True))
    world = {
        "patients": [pk for pk, _ in patients],
        "names": sorted({name for _, name in patients}),
        "courses": courses,
        "site": site.code,
        "counts": {"patients": Patient.objects.count(), "courses": Course.objects.count()},
    }
    return keys, world


def paths(world: dict[str, Any], rng: random.Random) -> dict[str, str]:
    return {
        "patient_list": "/patients/",
        "search": f"/patients/?q={rng.choice(world['names'])[:4]}",
        "chart": f"/patients/{rng.choice(world['patients'])}/",
        "course": f"/care/courses/{rng.choice(world['courses'])}/",
        "lab_queue": "/lab/",
        "bedside_today": "/injections/",
        "dashboard": "/",
        "patient_create": "/patients/new/",
    }


def query_counts(world: dict[str, Any], keys: dict[str, str]) -> dict[str, int]:
    """Queries per endpoint, in-process through the same views."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, path in paths(world, random.Random(1)).items():
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[ROLE_OF.get(name, "coordinator")]
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        counts[name] = len(queries)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = keys["coordinator"]
    with CaptureQueriesContext(connection) as queries:
        client.get("/bench/floor")
    counts["floor"] = len(queries)
    return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, workers: int, threads: int, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", "serve", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers), "--threads", str(threads)],
        env={**environment(url), "XDG_RUNTIME_DIR": DATA_DIR},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).ok:
                return server
        except requests.RequestException:
            time.sleep(0.3)
    server.kill()
    sys.exit("the server did not come up")


def client_loop(
    base: str,
    keys: dict[str, str],
    world: dict[str, Any],
    phase: str,
    seconds: float,
    seed: int,
    out: Any,
) -> None:
    import requests

    rng = random.Random(f"{phase}-{seed}-{time.time_ns()}")  # new people in every phase
    https = {}
    for username, key in keys.items():
        https[username] = requests.Session()
        https[username].cookies.set("sessionid", key)
    names, weights = list(MIX), list(MIX.values())
    samples: list[tuple[str, float, int]] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        name = "floor" if phase == "floor" else rng.choices(names, weights)[0]
        path = "/bench/floor" if name == "floor" else paths(world, rng)[name]
        http = https[ROLE_OF.get(name, "coordinator")]
        start = time.perf_counter()
        if name == "patient_create":
            form = http.get(base + path, timeout=30)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            data = {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "family_name": "".join(rng.choices("bcdfghklmnprstvwz", k=4)).title() + "mann",
                "given_name": rng.choice(["Anna", "Jonas", "Leyla", "Mehmet", "Sofia", "Lukas"]),
                "preferred_language": "de",
                "date_of_birth": f"{rng.randint(1940, 2000)}-0{rng.randint(1, 9)}-12",
                "sex": rng.choice(["female", "male"]),
            }
            start = time.perf_counter()
            answer = http.post(
                base + path,
                data=data,
                headers={"Referer": base + path},
                timeout=30,
                allow_redirects=False,
            )
            ok = answer.status_code == 302
            if not ok and os.environ.get("LOAD_DEBUG"):
                Path(f"/tmp/load-fail-{seed}.html").write_text(answer.text)
        else:
            answer = http.get(base + path, timeout=30, allow_redirects=False)
            ok = answer.status_code == 200
        samples.append((name, time.perf_counter() - start, 0 if ok else answer.status_code))
    out.put(samples)


def run_phase(
    base: str, keys: list[dict[str, str]], world: dict[str, Any], phase: str, seconds: float
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    procs = [
        context.Process(target=client_loop, args=(base, key, world, phase, seconds, i, out))
        for i, key in enumerate(keys)
    ]
    for proc in procs:
        proc.start()
    samples = [s for _ in procs for s in out.get(timeout=seconds + 120)]
    for proc in procs:
        proc.join()
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for name, latency, error in samples:
        by_endpoint[name].append(latency)
        if error:
            errors[f"{name} {error}"] += 1
    total = len(samples)
    cores = os.cpu_count() or 1
    return {
        "requests": total,
        "requests_per_s": round(total / seconds, 1),
        "requests_per_s_per_core": round(total / seconds / cores, 1),
        "errors": dict(errors),
        "endpoints": {
            name: {
                "n": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p99_ms": round(sorted(values)[int(0.99 * (len(values) - 1))] * 1000, 1),
            }
            for name, values in sorted(by_endpoint.items())
        },
    }


def hardware() -> dict[str, Any]:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    cpu = ""
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "django": django.__version__,
        "postgresql": server,
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def grow(target: int) -> dict[str, Any]:
    """Add synthetic patients to the Düsseldorf clinic until it has ``target``; the rows added."""
    sys.path.insert(0, str(HERE))
    import registry  # the COPY populator of the registry benchmark (bench/registry.py)
    from autologic.accounts.models import Site
    from autologic.patients.models import Patient

    site = Site.objects.get(code="dus")
    have = Patient.objects.filter(site=site).count()
    if have >= target:
        return {}
    made = Patient.objects.filter(site=site, mrn__startswith="R").count()  # earlier growth
    began = time.perf_counter()
    # The server answers on today's date: the clinic's history ends today, not in the future.
    today = datetime.now(ZoneInfo(site.time_zone)).date()
    rows = registry.populate(site, target - have, seed=7, chunk=20_000, start=made, today=today)
    rows["populate_s"] = round(time.perf_counter() - began, 1)
    return rows


def data_counts(site_code: str) -> dict[str, int]:
    from autologic.care.models import Appointment, Course
    from autologic.lab.models import Unit
    from autologic.patients.models import Patient

    return {
        "patients": Patient.objects.filter(site__code=site_code).count(),
        "courses": Course.objects.filter(site__code=site_code).count(),
        "appointments": Appointment.objects.filter(course__site__code=site_code).count(),
        "units": Unit.objects.filter(collection__site__code=site_code).count(),
    }


def measure(args: argparse.Namespace, keys: list[dict[str, str]], world: dict[str, Any]) -> list:
    from django.db import connections

    connections.close_all()
    runs = []
    for workers in args.workers:
        port = free_port()
        server = serve(args.database_url, workers, args.threads, port)
        try:
            base = f"http://127.0.0.1:{port}"
            run_phase(base, keys, world, "mix", 3)  # warm every worker
            floor = run_phase(base, keys, world, "floor", args.seconds)
            mix = run_phase(base, keys, world, "mix", args.seconds)
        finally:
            server.terminate()
            server.wait(30)
        run = {
            "workers": workers,
            "threads": args.threads,
            "floor": floor,
            "mix": mix,
            "mix_to_floor": round(mix["requests_per_s"] / floor["requests_per_s"], 2),
        }
        runs.append(run)
        print(
            f"{workers} workers x {args.threads} threads: floor {floor['requests_per_s']} req/s, "
            f"mix "
            f"{mix['requests_per_s']} req/s ({run['mix_to_floor']}x the floor), errors "
            f"{mix['errors'] or 'none'}",
            flush=True,
        )
    return runs


def growth(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At each step: the size ratio, and each figure's ratio (p50 and p99 per endpoint, the mix's
    requests/s) between the two sizes, with the same workers."""
    steps = []
    for small, big in zip(sizes, sizes[1:], strict=False):
        ratio = big["data"]["patients"] / max(small["data"]["patients"], 1)
        for a, b in zip(small["runs"], big["runs"], strict=True):
            endpoints = {
                name: {
                    "p50": round(b["mix"]["endpoints"][name]["p50_ms"] / e["p50_ms"], 2),
                    "p99": round(b["mix"]["endpoints"][name]["p99_ms"] / e["p99_ms"], 2),
                }
                for name, e in a["mix"]["endpoints"].items()
                if name in b["mix"]["endpoints"]
            }
            steps.append(
                {
                    "from_patients": small["data"]["patients"],
                    "to_patients": big["data"]["patients"],
                    "size_ratio": round(ratio, 1),
                    "workers": a["workers"],
                    "mix_requests_per_s_ratio": round(
                        b["mix"]["requests_per_s"] / a["mix"]["requests_per_s"], 2
                    ),
                    "latency_ratio_per_endpoint": endpoints,
                    "queries_ratio": {
                        name: round(big["queries_per_request"][name] / count, 2)
                        for name, count in small["queries_per_request"].items()
                        if count
                    },
                }
            )
    return steps


def header() -> dict[str, Any]:
    """How the result was made: the command, the commit, when, on what."""
    return {
        "command": "uv run python " + " ".join(sys.argv),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout.strip(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": hardware(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (above 1: gthread workers)"
    )
    parser.add_argument("--clients", type=int, default=4, help="load processes")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "load.json")
    parser.add_argument(
        "--grow-to",
        type=int,
        nargs="+",
        default=[],
        help="grow the clinic to each of these patient counts and measure at each",
    )
    args = parser.parse_args()
    prepare(args.database_url)
    setup_django(args.database_url)
    if args.grow_to:
        grow_main(args)
        return
    keys, world = sessions(args.clients)
    result: dict[str, Any] = {
        **header(),
        "data": world["counts"],
        "clients": args.clients,
        "seconds": args.seconds,
        "mix": MIX,
        "queries_per_request": query_counts(world, keys[0]),
        "runs": [],
    }
    result["runs"] = measure(args, keys, world)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


def grow_main(args: argparse.Namespace) -> None:
    """Measure at each size of the clinic, growing it in between; growth at each 10x step."""
    result: dict[str, Any] = {
        **header(),
        "clients": args.clients,
        "seconds": args.seconds,
        "mix": MIX,
        "sizes": [],
    }
    for target in args.grow_to:
        added = grow(target)
        keys, world = sessions(args.clients)
        size = {
            "target_patients": target,
            "added": added,
            "data": data_counts("dus"),
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "queries_per_request": query_counts(world, keys[0]),
        }
        print(f"{size['data']}: measuring", flush=True)
        size["runs"] = measure(args, keys, world)
        result["sizes"].append(size)
        result["growth"] = growth(result["sizes"])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
