"""Benchmark patient search (``autologic.patients.queries.search``) on PostgreSQL.

Run from the project root:

    uv run python bench/patient_search.py [--sizes 1000,10000,100000] [--repeat 200] \
        [--out bench/results/patient_search.json]

For every size N the bench site ("bench") is reloaded with exactly N synthetic patients
(German, Spanish, Turkish and Persian names; deterministic, ``random.Random(42)``), the table is
VACUUM ANALYZEd, and six kinds of search are timed ``--repeat`` times each with varied inputs drawn
from the loaded rows, next to a raw-cursor baseline (primary lookup by site + MRN).  See
bench/README.md for what is measured and how to read the output.

Only the bench site's patients are touched; audit tables are never written.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/autologic_bench"

os.environ["AUTOLOGIC_MODE"] = "test"
os.environ["DJANGO_SETTINGS_MODULE"] = "autologic.settings_testing"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB_URL)

SEED = 42
BENCH_SITE_CODE = "bench"
TARGET_SIZE = 100_000
TARGET_P99_MS = 100.0
WARMUP = 10
KINDS = (
    "name_substring",
    "name_two_tokens",
    "name_prefix2",
    "mrn_exact",
    "mrn_prefix",
    "birth_date",
)
KIND_HELP = {
    "name_substring": "3-5 letters from inside a family name",
    "name_two_tokens": '"family given-prefix" (2-4 letters of the given name)',
    "name_prefix2": "2-letter prefix of the family name",
    "mrn_exact": "a full MRN, e.g. B0012345",
    "mrn_prefix": "first 6 characters of an MRN, e.g. B00123",
    "birth_date": "ISO birth date, e.g. 1971-05-02",
}
BASELINE_SQL = (
    "SELECT id, mrn, family_name, given_name, date_of_birth, sex "
    "FROM patients_patient WHERE site_id = %s AND mrn = %s"
)


# --------------------------------------------------------------------------------------------
# Synthetic names.  Lists are ordered roughly by frequency; draws use Zipf-like weights so the
# common names (Müller, García, Yılmaz, محمدی) really are common, as in a clinic's register.
# --------------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    """Whitespace-separated names (a hyphen or \\u200c inside a name keeps it one name)."""
    return text.split()


GERMAN_FAMILY = _words(
    """
    Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch
    Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann
    Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König
    Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel
    Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
    Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto
    Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn
    Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Heß Ernst Großmann
    Nußbaum Oßwald
    """
)
GERMAN_GIVEN_F = _words(
    """
    Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela
    Claudia Susanne Gabriele Christa Christine Hildegard Anna Maria Julia Katharina Lena Laura
    Sophie Hannah Lea Jana Anne-Marie Anneliese Käthe Dörte
    """
)
GERMAN_GIVEN_M = _words(
    """
    Peter Michael Wolfgang Thomas Klaus Jürgen Günter Stefan Andreas Hans Werner Uwe Dieter
    Horst Frank Manfred Gerhard Bernd Matthias Jörg Tobias Lukas Felix Jonas Maximilian Paul
    Leon Niklas Karl-Heinz Hans-Peter Björn Sören
    """
)

SPANISH_FAMILY = _words(
    """
    García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz
    Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez
    Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio
    Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto
    Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña Flores Cabrera Campos Vega Fuentes
    Carrasco Díez Caballero Reyes Nieto Aguilar Pascual Santana Herrero Lorenzo Montero Hidalgo
    Giménez Ibáñez Ferrer Durán Santiago Benítez Mora Vicente Vargas Arias Carmona Crespo Román
    Pastor Soto Sáez Velasco Moya Soler Parra Esteban Bravo Gallardo Rojas
    """
)
SPANISH_GIVEN_F = _words(
    """
    María Carmen Josefa Isabel Ana Laura Cristina Marta Lucía Pilar Dolores Teresa Rosa Elena
    Sofía Paula Ángela Raquel Nuria Inés María-José Begoña Montserrat Concepción
    """
)
SPANISH_GIVEN_M = _words(
    """
    Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael
    Pedro Pablo Ángel Sergio Fernando Jorge Luis Alberto Álvaro Adrián Diego Raúl Iván Rubén
    Óscar José-Luis Íñigo
    """
)

TURKISH_FAMILY = _words(
    """
    Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan
    Çetin Kara Koç Kurt Özkan Şimşek Polat Özcan Korkmaz Çakır Erdoğan Yavuz Can Acar Şen Aktaş
    Güler Yalçın Güneş Bozkurt Bulut Keskin Ünal Turan Gül Özer Işık Kaplan Avcı Sarı Tekin Taş
    Köse Yüksel Ateş Aksoy
    """
)
TURKISH_GIVEN_F = _words(
    """
    Ayşe Fatma Emine Hatice Zeynep Elif Meryem Şerife Zehra Sultan Hanife Merve Özlem Hacer Esra
    Yasemin Büşra Derya Gülşen İpek
    """
)
TURKISH_GIVEN_M = _words(
    """
    Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Murat Ömer Ramazan Halil
    Süleyman Abdullah Mahmut Emre Burak Can Oğuz Çağlar
    """
)

# Persian in Persian script; ZWNJ (written \u200c here) joins the parts of compound names.
PERSIAN_FAMILY = _words(
    """
    محمدی حسینی رضایی احمدی موسوی کریمی جعفری رحیمی هاشمی صادقی کاظمی قاسمی نوری مرادی عباسی
    اکبری سلیمانی ابراهیمی زارعی طاهری شریفی نجفی یوسفی باقری امینی رستمی فرهادی خسروی میرزایی
    تهرانی حسن\u200cزاده علی\u200cپور قلی\u200cزاده میرزایی\u200cنژاد
    """
)
PERSIAN_GIVEN_F = _words(
    """
    فاطمه زهرا مریم معصومه سکینه زینب لیلا نرگس سارا الهام مینا شیرین
    """
)
PERSIAN_GIVEN_M = _words(
    """
    محمد علی حسین رضا مهدی حسن امیر سعید مجید احمد جواد مرتضی داوود
    """
)
# The same names transliterated, as they appear on European documents.
PERSIAN_LATIN_FAMILY = _words(
    """
    Mohammadi Hosseini Rezaei Ahmadi Mousavi Karimi Jafari Rahimi Hashemi Sadeghi Kazemi Ghasemi
    Nouri Moradi Abbasi Akbari Soleimani Ebrahimi Zarei Taheri Sharifi Najafi Yousefi Bagheri
    Amini Rostami Farhadi Khosravi Mirzaei Tehrani Hassanzadeh Alipour
    """
)
PERSIAN_LATIN_GIVEN_F = _words(
    """
    Fatemeh Zahra Maryam Masoumeh Zeinab Leila Narges Sara Elham Mina Shirin
    """
)
PERSIAN_LATIN_GIVEN_M = _words(
    """
    Mohammad Ali Hossein Reza Mehdi Hassan Amir Saeed Majid Ahmad Javad Morteza
    """
)

# Older systems store Arabic yeh/kaf; search folds them, so the bench stores some that way.
ARABIC_VARIANTS = str.maketrans({"ی": "ي", "ک": "ك"})

GERMAN_STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Schulstraße",
    "Lindenallee",
    "Mühlenweg",
]
SPANISH_STREETS = ["Calle Mayor", "Avenida de la Constitución", "Calle Real", "Plaza de España"]
PERSIAN_STREETS = ["خیابان ولیعصر", "خیابان انقلاب", "بلوار کشاورز"]


def _weights(n: int) -> list[float]:
    return [1.0 / (i + 1) ** 0.7 for i in range(n)]


@dataclass(frozen=True)
class Culture:
    key: str
    share: float
    family: list[str]
    given_f: list[str]
    given_m: list[str]
    language: str
    compound_family: float = 0.0  # chance of two family names (Spanish)


CULTURES = [
    Culture("de", 0.38, GERMAN_FAMILY, GERMAN_GIVEN_F, GERMAN_GIVEN_M, "de"),
    Culture(
        "es", 0.25, SPANISH_FAMILY, SPANISH_GIVEN_F, SPANISH_GIVEN_M, "es", compound_family=0.6
    ),
    Culture("tr", 0.20, TURKISH_FAMILY, TURKISH_GIVEN_F, TURKISH_GIVEN_M, "de"),
    Culture("fa", 0.11, PERSIAN_FAMILY, PERSIAN_GIVEN_F, PERSIAN_GIVEN_M, "fa"),
    Culture(
        "fa-latn", 0.06, PERSIAN_LATIN_FAMILY, PERSIAN_LATIN_GIVEN_F, PERSIAN_LATIN_GIVEN_M, "en"
    ),
]
_FAMILY_W = {c.key: _weights(len(c.family)) for c in CULTURES}
_GIVEN_F_W = {c.key: _weights(len(c.given_f)) for c in CULTURES}
_GIVEN_M_W = {c.key: _weights(len(c.given_m)) for c in CULTURES}


@dataclass(frozen=True)
class Person:
    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date
    sex: str
    phone: str
    email: str
    address: str
    preferred_language: str
    created_at: datetime


def generate_people(n: int) -> list[Person]:
    """The first n bench patients; the list for n is a prefix of the list for any larger n."""
    rng = random.Random(SEED)
    cultures = CULTURES
    shares = [c.share for c in cultures]
    dob_start = date(1930, 1, 1).toordinal()
    dob_end = date(2010, 12, 31).toordinal()
    epoch = datetime(2021, 1, 1, tzinfo=UTC)
    people = []
    for i in range(1, n + 1):
        c = rng.choices(cultures, shares)[0]
        sex = rng.choices(("female", "male", "other", "unknown"), (0.5, 0.48, 0.01, 0.01))[0]
        given_pool, given_w = (
            (c.given_f, _GIVEN_F_W[c.key]) if sex == "female" else (c.given_m, _GIVEN_M_W[c.key])
        )
        family = rng.choices(c.family, _FAMILY_W[c.key])[0]
        if rng.random() < c.compound_family:
            family = f"{family} {rng.choices(c.family, _FAMILY_W[c.key])[0]}"
        given = rng.choices(given_pool, given_w)[0]
        if c.key == "fa" and rng.random() < 0.15:
            family, given = family.translate(ARABIC_VARIANTS), given.translate(ARABIC_VARIANTS)
        born = date.fromordinal(rng.randint(dob_start, dob_end))
        if c.key in ("de", "tr"):
            phone = f"+49 {rng.randint(150, 179)} {rng.randint(1000000, 9999999)}"
            address = (
                f"{rng.choice(GERMAN_STREETS)} {rng.randint(1, 120)}, {rng.randint(10000, 99999)}"
            )
        elif c.key == "es":
            phone = f"+34 6{rng.randint(10, 99)} {rng.randint(100000, 999999)}"
            street = f"{rng.choice(SPANISH_STREETS)} {rng.randint(1, 120)}"
            address = f"{street}, {rng.randint(1000, 52999):05d}"
        else:
            phone = f"+98 9{rng.randint(10, 39)} {rng.randint(1000000, 9999999)}"
            address = f"{rng.choice(PERSIAN_STREETS)} {rng.randint(1, 400)}"
        email = f"p{i}@example.org" if rng.random() < 0.6 else ""
        created = epoch + timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
        people.append(
            Person(
                mrn=f"B{i:07d}",
                family_name=family,
                given_name=given,
                date_of_birth=born,
                sex=sex,
                phone=phone,
                email=email,
                address=address,
                preferred_language=c.language,
                created_at=created,
            )
        )
    return people


# --------------------------------------------------------------------------------------------
# Database set-up.
# --------------------------------------------------------------------------------------------
def ensure_database(url: str) -> None:
    """Create the bench database if it is missing (connects to the ``postgres`` maintenance db)."""
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
        "password": cfg["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (cfg["NAME"],)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
            print(f"created database {cfg['NAME']}")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bench_site():
    from autologic.accounts.models import Site

    site, _ = Site.objects.get_or_create(
        code=BENCH_SITE_CODE,
        defaults={
            "name": "Benchmark clinic",
            "time_zone": "Europe/Berlin",
            "calendar": "gregorian",
            "currency": "EUR",
            "languages": ["de", "es", "fa", "en"],
            "default_language": "de",
            "mrn_prefix": "B",
        },
    )
    return site


COPY_COLUMNS = (
    "site_id",
    "mrn",
    "family_name",
    "given_name",
    "name_key",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "preferred_language",
    "version",
    "created_at",
    "updated_at",
)


def load_patients(site, people: list[Person]) -> dict[str, float]:
    """Replace the bench site's patients with ``people`` (COPY), then VACUUM ANALYZE."""
    from django.db import connection, transaction

    from autologic.patients.domain import name_key

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM patients_patient WHERE site_id = %s", [site.pk])
        t_delete = time.perf_counter()
        copy_sql = f"COPY patients_patient ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        with cur.cursor.copy(copy_sql) as copy:
            for p in people:
                copy.write_row(
                    (
                        site.pk,
                        p.mrn,
                        p.family_name,
                        p.given_name,
                        name_key(p.family_name, p.given_name),
                        p.date_of_birth,
                        p.sex,
                        p.phone,
                        p.email,
                        p.address,
                        p.preferred_language,
                        1,
                        p.created_at,
                        p.created_at,
                    )
                )
        t_copy = time.perf_counter()
        cur.execute("SELECT count(*) FROM patients_patient WHERE site_id = %s", [site.pk])
        count = cur.fetchone()[0]
    if count != len(people):
        raise RuntimeError(f"bench site holds {count} patients, expected {len(people)}")
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run inside a transaction
        cur.execute("VACUUM (ANALYZE) patients_patient")
    t_end = time.perf_counter()
    return {
        "delete_s": round(t_delete - t0, 3),
        "copy_s": round(t_copy - t_delete, 3),
        "vacuum_analyze_s": round(t_end - t_copy, 3),
        "total_s": round(t_end - t0, 3),
    }


# --------------------------------------------------------------------------------------------
# Query inputs.
# --------------------------------------------------------------------------------------------
def _letters_word(rng: random.Random, family: str) -> str:
    words = [w for w in family.replace("\u200c", " ").replace("-", " ").split() if len(w) >= 3]
    return rng.choice(words) if words else family


def make_input(kind: str, rng: random.Random, people: list[Person]) -> str:
    p = rng.choice(people)
    if kind == "name_substring":
        word = _letters_word(rng, p.family_name)
        length = rng.randint(3, min(5, len(word)))
        start = rng.randint(0, len(word) - length)
        return word[start : start + length]
    if kind == "name_two_tokens":
        given = p.given_name.replace("\u200c", "")
        return f"{p.family_name} {given[: rng.randint(2, min(4, len(given)))]}"
    if kind == "name_prefix2":
        return p.family_name[:2]
    if kind == "mrn_exact":
        return p.mrn
    if kind == "mrn_prefix":
        return p.mrn[:6]
    if kind == "birth_date":
        return p.date_of_birth.isoformat()
    raise ValueError(kind)


# --------------------------------------------------------------------------------------------
# Timing.
# --------------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of an ascending list."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarise(samples_ns: list[int]) -> dict[str, float]:
    ms = sorted(s / 1e6 for s in samples_ns)
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 4),
        "p95_ms": round(percentile(ms, 95), 4),
        "p99_ms": round(percentile(ms, 99), 4),
        "max_ms": round(ms[-1], 4),
        "mean_ms": round(sum(ms) / len(ms), 4),
    }


def explain(site, text: str) -> dict:
    """The SQL search() runs for ``text`` and its EXPLAIN (ANALYZE, BUFFERS) plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from autologic.patients import queries

    with CaptureQueriesContext(connection) as ctx:
        queries.search(site, text)
    sql_text = ctx.captured_queries[-1]["sql"]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql_text)
        plan = [row[0] for row in cur.fetchall()]
    return {"input": text, "sql": sql_text, "plan": plan}


def run_size(site, people: list[Person], repeat: int) -> dict:
    from django.db import connection

    from autologic.patients import queries

    n = len(people)
    rng = random.Random(f"bench-queries-{SEED}-{n}")
    inputs = {k: [make_input(k, rng, people) for _ in range(repeat)] for k in KINDS}
    warm = {k: [make_input(k, rng, people) for _ in range(WARMUP)] for k in KINDS}
    base_mrns = [rng.choice(people).mrn for _ in range(repeat)]

    cur = connection.cursor()
    for k in KINDS:  # warm caches, the connection and Django's query compilation paths
        for text in warm[k]:
            queries.search(site, text)
    for _ in range(WARMUP):
        cur.execute(BASELINE_SQL, [site.pk, rng.choice(people).mrn])
        cur.fetchall()

    samples: dict[str, list[int]] = {k: [] for k in (*KINDS, "baseline")}
    rows: dict[str, list[int]] = {k: [] for k in (*KINDS, "baseline")}
    misclassified: dict[str, int] = {k: 0 for k in KINDS}
    expected_parse = {
        "name_substring": "name",
        "name_two_tokens": "name",
        "name_prefix2": "name",
        "mrn_exact": "mrn",
        "mrn_prefix": "mrn",
        "birth_date": "date",
    }
    perf = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        # Interleave kinds so that drift (autovacuum, cache state) hits them all alike.
        for i in range(repeat):
            t = perf()
            cur.execute(BASELINE_SQL, [site.pk, base_mrns[i]])
            got = cur.fetchall()
            samples["baseline"].append(perf() - t)
            rows["baseline"].append(len(got))
            for k in KINDS:
                text = inputs[k][i]
                t = perf()
                query, result = queries.search(site, text)
                samples[k].append(perf() - t)
                rows[k].append(len(result))
                if query.kind != expected_parse[k]:
                    misclassified[k] += 1
    finally:
        gc.enable()
        cur.close()

    base = summarise(samples["baseline"])
    out = {"baseline": {**base, "sql": BASELINE_SQL, "mean_rows": sum(rows["baseline"]) / repeat}}
    for k in KINDS:
        s = summarise(samples[k])
        worst = max(range(repeat), key=lambda i: samples[k][i])
        out[k] = {
            **s,
            "p50_vs_baseline_p50": round(s["p50_ms"] / base["p50_ms"], 2),
            "p99_vs_baseline_p99": round(s["p99_ms"] / base["p99_ms"], 2),
            "mean_rows": round(sum(rows[k]) / repeat, 2),
            "zero_row_inputs": sum(1 for r in rows[k] if r == 0),
            "misclassified_inputs": misclassified[k],
            "example_inputs": inputs[k][:5],
            "slowest_input": inputs[k][worst],
        }
    return out


# --------------------------------------------------------------------------------------------
# Reporting.
# --------------------------------------------------------------------------------------------
def _read_proc(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def hardware() -> dict:
    import django
    import psycopg
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
        cur.execute("SELECT version()")
        server_full = cur.fetchone()[0]
        settings = {}
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "jit",
        ):
            cur.execute(f"SHOW {name}")
            settings[name] = cur.fetchone()[0]
    mem_kb = _read_proc("/proc/meminfo", "MemTotal")
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "cpu_model": _read_proc("/proc/cpuinfo", "model name"),
        "cpu_count": os.cpu_count(),
        "memory_total": mem_kb,
        "memory_total_gib": round(int(mem_kb.split()[0]) / 1024 / 1024, 2) if mem_kb else None,
        "postgresql_version": server_version,
        "postgresql_version_full": server_full,
        "postgresql_settings": settings,
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
    }


def growth(results: dict, sizes: list[int]) -> dict:
    base_size = sizes[0]
    out = {}
    for k in KINDS:
        p99s = {str(n): results[str(n)]["queries"][k]["p99_ms"] for n in sizes}
        ratios = {}
        for n in sizes[1:]:
            mult = n / base_size
            label = f"{int(mult)}x" if mult == int(mult) else f"{mult:.2f}x"
            ratios[f"p99({label})/p99(1x)"] = round(p99s[str(n)] / p99s[str(base_size)], 2)
        out[k] = {"p99_ms_by_size": p99s, "ratios": ratios}
    return out


def verdict(results: dict, sizes: list[int]) -> dict:
    size = TARGET_SIZE if TARGET_SIZE in sizes else max(sizes)
    per_kind = {}
    for k in KINDS:
        p99 = results[str(size)]["queries"][k]["p99_ms"]
        per_kind[k] = {"p99_ms": p99, "pass": p99 < TARGET_P99_MS}
    return {
        "target": f"p99 < {TARGET_P99_MS:g} ms for every query kind at {TARGET_SIZE:,} patients",
        "evaluated_at_size": size,
        "evaluated_at_target_size": size == TARGET_SIZE,
        "per_kind": per_kind,
        "all_pass": all(v["pass"] for v in per_kind.values()),
    }


def print_report(doc: dict) -> None:
    sizes = doc["sizes"]
    res = doc["results"]
    hw = doc["hardware"]
    print()
    print(f"Patient search benchmark  {doc['timestamp']}")
    print(
        f"  {hw['cpu_model']} x{hw['cpu_count']}, {hw['memory_total_gib']} GiB, "
        f"PostgreSQL {hw['postgresql_version']}, Python {hw['python']}, Django {hw['django']}"
    )
    print(f"  repeat={doc['repeat']} per kind per size; times in ms (search() call, wall clock)")
    for n in sizes:
        r = res[str(n)]["queries"]
        b = r["baseline"]
        print()
        print(f"N = {n:,}  (load {res[str(n)]['load']['total_s']:.1f} s)")
        cols = "".join(f"{c:>8}" for c in ("p50", "p95", "p99", "max"))
        print(f"  {'kind':<17}{cols}{'rows':>7}{'p50/base':>10}{'p99/base':>10}")
        cells = "".join(f"{b[c]:>8.3f}" for c in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        print(f"  {'baseline (raw)':<17}{cells}{b['mean_rows']:>7.1f}{'1.0':>10}{'1.0':>10}")
        for k in KINDS:
            q = r[k]
            cells = "".join(f"{q[c]:>8.3f}" for c in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
            ratios = f"{q['p50_vs_baseline_p50']:>10.1f}{q['p99_vs_baseline_p99']:>10.1f}"
            print(f"  {k:<17}{cells}{q['mean_rows']:>7.1f}{ratios}")
    print()
    print("p99 growth (ms)")
    header = "".join(f"{n:>11,}" for n in sizes)
    ratio_labels = list(next(iter(doc["growth"].values()))["ratios"].keys())
    print(f"  {'kind':<17}{header}" + "".join(f"{lbl.split('/')[0]:>12}" for lbl in ratio_labels))
    for k in KINDS:
        g = doc["growth"][k]
        cells = "".join(f"{g['p99_ms_by_size'][str(n)]:>11.3f}" for n in sizes)
        rcells = "".join(f"{g['ratios'][lbl]:>11.2f}x" for lbl in ratio_labels)
        print(f"  {k:<17}{cells}{rcells}")
    v = doc["verdict"]
    print()
    note = (
        ""
        if v["evaluated_at_target_size"]
        else f"  (NOTE: evaluated at {v['evaluated_at_size']:,}, not the target size)"
    )
    print(f"Target: {v['target']}{note}")
    for k, kv in v["per_kind"].items():
        print(f"  {k:<17} p99 {kv['p99_ms']:>9.3f} ms  {'PASS' if kv['pass'] else 'FAIL'}")
    print(f"Overall: {'PASS' if v['all_pass'] else 'FAIL'}")
    for k, e in doc.get("explain", {}).items():
        if not v["per_kind"].get(k, {}).get("pass", True):
            print()
            print(f"EXPLAIN ANALYZE for failing kind {k}, input {e['input']!r}:")
            print("  " + e["sql"])
            for line in e["plan"]:
                print("    " + line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="comma-separated patient counts"
    )
    parser.add_argument(
        "--repeat", type=int, default=200, help="timed calls per query kind per size"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "patient_search.json"))
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] <= 0 or args.repeat <= 0:
        parser.error("sizes and repeat must be positive")

    started = time.perf_counter()
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    site = bench_site()
    everyone = generate_people(max(sizes))
    print(
        f"generated {len(everyone):,} synthetic patients in {time.perf_counter() - started:.1f} s"
    )

    results: dict[str, dict] = {}
    for n in sizes:
        people = everyone[:n]
        load = load_patients(site, people)
        print(
            f"N={n:,}: loaded in {load['total_s']:.1f} s; "
            f"timing {len(KINDS)} kinds x {args.repeat} ...",
            flush=True,
        )
        t = time.perf_counter()
        queries_result = run_size(site, people, args.repeat)
        results[str(n)] = {
            "load": load,
            "timing_s": round(time.perf_counter() - t, 2),
            "queries": queries_result,
        }

    # Plans for the slowest input of each kind at the largest size (data for that size is loaded).
    explains = {}
    largest = results[str(sizes[-1])]["queries"]
    for k in KINDS:
        explains[k] = explain(site, largest[k]["slowest_input"])

    doc = {
        "benchmark": "patient_search",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["uv run python bench/patient_search.py", *sys.argv[1:]]),
        "hardware": hardware(),
        "sizes": sizes,
        "repeat": args.repeat,
        "seed": SEED,
        "query_kinds": KIND_HELP,
        "timing": "time.perf_counter_ns around each queries.search(site, text) call (parse, ORM, "
        "round trip, row materialisation); percentiles linearly interpolated",
        "results": results,
        "growth": growth(results, sizes),
        "verdict": verdict(results, sizes),
        "explain": explains,
        "elapsed_s": None,
    }
    doc["elapsed_s"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    print_report(doc)
    print()
    print(f"wrote {out}  (total {doc['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
