"""Read side of the registry: one clinic's treated joints, their answers, later treatments and
adverse events, gathered in a few set-based queries into the pure ``Registry``; the claim
files in force and their report."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.utils.datastructures import MultiValueDict

from autologic.accounts.models import Site
from autologic.adverse_events.models import AdverseEvent
from autologic.analytics.domain import claims as claim_rules
from autologic.analytics.domain import registry as reg
from autologic.analytics.domain import stats
from autologic.analytics.forms import CohortForm
from autologic.analytics.models import (
    ClaimsCheck,
    ClaimSet,
    ExportJob,
    ResearchStudy,
    SavedCohort,
)
from autologic.care.models import Appointment, Course
from autologic.clinical.domain.body import bmi
from autologic.clinical.models import AffectedRegion, ImagingStudy
from autologic.common.domain.calendars import Calendar
from autologic.common.memory import collector_paused
from autologic.injections.models import Administration
from autologic.lab.models import Deviation, StepRecord
from autologic.outcomes.domain import registry as instruments
from autologic.outcomes.models import LaterTreatment, Score
from autologic.outcomes.queries import FOLLOW_UP, site_thresholds
from autologic.patients.models import Patient
from autologic.protocols.models import ProtocolVersion
from autologic.protocols.queries import protocol_title

RELATED = frozenset({"possible", "probable", "definite"})


def _hours(
    onset: datetime, resolved_on: date | None, resolved_time: time | None, zone: ZoneInfo
) -> float | None:
    """Hours from onset to resolution, when the resolution's time was recorded."""
    if resolved_on is None or resolved_time is None:
        return None
    moment = datetime.combine(resolved_on, resolved_time, tzinfo=zone)
    return (moment - onset).total_seconds() / 3600


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def registry_for(site: Site, today: date) -> reg.Registry:
    """The clinic's registry on ``today``: every treated joint with its process data.

    Every query selects by the clinic (a join), never by a list of ids, and the database
    turns moments into the clinic's days and durations into minutes and hours, so that the
    read grows with the clinic's own rows (bench/registry.py)."""
    zone = ZoneInfo(site.time_zone)
    given: dict[tuple[int, int], list[tuple[date, float | None, float | None]]] = defaultdict(list)
    for course_id, region_id, day, thaw, cells in (
        Administration.objects.filter(site=site)
        .order_by()
        .values_list(
            "appointment__course_id",
            "planned_region_id",
            TruncDate("given_at", tzinfo=zone),
            ExpressionWrapper(F("given_at") - F("unit__thawed_at"), output_field=DurationField()),
            "unit__cells_million",
        )
    ):
        given[(course_id, region_id)].append(
            (
                day,
                thaw.total_seconds() / 60 if thaw is not None else None,
                float(cells) if cells is not None else None,
            )
        )
    courses = {
        row["pk"]: row
        for row in Course.objects.filter(site=site)
        .order_by()
        .values(
            "pk",
            "patient_id",
            "injections",
            "protocol_id",
            "protocol__code",
            "protocol__version",
            "protocol__therapy",
        )
    }
    # Which follow-ups of each protocol version ask questionnaires (imaging visits ask none).
    asking = {
        row.pk: {p.key for p in row.protocol.follow_up.timepoints if p.instruments}
        for row in ProtocolVersion.objects.filter(
            pk__in={c["protocol_id"] for c in courses.values()}
        )
    }
    regions = {
        row["pk"]: row
        for row in AffectedRegion.objects.filter(assessment__site=site)
        .order_by()
        .values(
            "pk",
            "region",
            "side",
            "diagnosis",
            "grade_system",
            "grade",
            "assessment__height_cm",
            "assessment__weight_kg",
        )
    }
    patients = {
        row["pk"]: row
        for row in Patient.objects.filter(site=site).order_by().values("pk", "date_of_birth", "sex")
    }
    incubation: dict[int, float] = {}
    viability: dict[int, float] = {}
    for course_id, key, took, viable in (
        StepRecord.objects.filter(run__collection__course__site=site)
        .filter(Q(key="incubation", ended_at__isnull=False) | Q(viability_pct__isnull=False))
        .order_by("started_at", "pk")
        .values_list(
            "run__collection__course_id",
            "key",
            ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField()),
            "viability_pct",
        )
    ):
        if key == "incubation" and took is not None:
            incubation[course_id] = took.total_seconds() / 3600
        if viable is not None:
            viability[course_id] = float(viable)  # the last measured before release
    deviations = dict(
        Deviation.objects.filter(run__collection__course__site=site)
        .values("run__collection__course_id")
        .annotate(n=Count("pk"))
        .values_list("run__collection__course_id", "n")
    )
    closed: dict[int, set[str]] = defaultdict(set)
    for course_id, key in (
        Appointment.objects.filter(course__site=site, key__startswith=FOLLOW_UP, due_to__lt=today)
        .order_by()
        .values_list("course_id", "key")
    ):
        key = key.removeprefix(FOLLOW_UP)
        if course_id in courses and key in asking[courses[course_id]["protocol_id"]]:
            closed[course_id].add(key)
    treated = []
    for (course_id, region_id), doses in given.items():
        course, region = courses[course_id], regions[region_id]
        patient = patients[course["patient_id"]]
        first = min(d for d, _t, _c in doses)
        thaws = [t for _d, t, _c in doses if t is not None]
        cells = [c for _d, _t, c in doses if c is not None]
        treated.append(
            reg.Treated(
                key=f"{course_id}:{region_id}",
                patient=course["patient_id"],
                course=course_id,
                site=site.code,
                therapy=course["protocol__therapy"],
                protocol=course["protocol__code"],
                protocol_version=course["protocol__version"],
                region=region["region"],
                side=region["side"],
                diagnosis=region["diagnosis"],
                grade_system=region["grade_system"] or "",
                grade=region["grade"],
                age=_age(patient["date_of_birth"], first),
                sex=patient["sex"],
                treated_on=first,
                injections_planned=course["injections"],
                injections_received=len(doses),
                incubation_hours=incubation.get(course_id),
                thaw_minutes=statistics.median(thaws) if thaws else None,
                cells_million=sum(cells) if cells else None,
                viability_pct=viability.get(course_id),
                deviations=deviations.get(course_id, 0),
                bmi=bmi(region["assessment__height_cm"], region["assessment__weight_kg"]),
                closed=frozenset(closed.get(course_id, ())),
            )
        )
    treated.sort(key=lambda t: (t.treated_on, t.key))
    keys = {t.key for t in treated}
    measures = [
        reg.Measure(f"{course_id}:{region_id}", timepoint, instrument, name, value, on, better)
        for course_id, region_id, timepoint, instrument, name, value, on, better in (
            Score.objects.filter(response__site=site, response__course__isnull=False)
            .exclude(timepoint="")
            .order_by()
            .values_list(
                "response__course_id",
                "region_id",
                "timepoint",
                "instrument",
                "name",
                "value",
                "measured_on",
                "higher_is_better",
            )
        )
        if f"{course_id}:{region_id}" in keys
    ]
    later = [
        reg.LaterEvent(patient, region, side, kind, on)
        for patient, region, side, kind, on in LaterTreatment.objects.filter(site=site).values_list(
            "patient_id", "region__region", "region__side", "kind", "performed_on"
        )
    ]
    harms = [
        reg.Harm(
            patient,
            course,
            injection,
            grade,
            serious,
            product in RELATED or procedure in RELATED,
            term,
            _hours(onset, resolved_on, resolved_time, zone),
        )
        for (
            patient,
            course,
            injection,
            grade,
            serious,
            product,
            procedure,
            term,
            onset,
            resolved_on,
            resolved_time,
        ) in AdverseEvent.objects.filter(site=site).values_list(
            "patient_id",
            "administration__appointment__course_id",
            "administration_id",
            "grade",
            "serious",
            "related_product",
            "related_procedure",
            "term",
            "onset_at",
            "resolved_on",
            "resolved_time",
        )
    ]
    readings = [
        reg.Reading(*row)
        for row in ImagingStudy.objects.filter(site=site)
        .exclude(cartilage="")
        .values_list(
            "patient_id", "region", "side", "performed_on", "cartilage", "cartilage_measure"
        )
    ]
    return reg.Registry(today, treated, measures, later, harms, readings)


@dataclass(frozen=True)
class ClaimsReport:
    """One claim file in force at a clinic, each claim beside the clinic's measurement."""

    claim_set: ClaimSet
    file: claim_rules.ClaimFile
    results: list[claim_rules.Result]


def claim_sets(site: Site) -> list[ClaimSet]:
    """The newest version of each claim file loaded for the clinic."""
    newest: dict[str, ClaimSet] = {}
    for row in ClaimSet.objects.filter(site=site).order_by("code", "-version"):
        newest.setdefault(row.code, row)
    return list(newest.values())


def claims_report(site: Site, today: date) -> list[ClaimsReport]:
    """Every claim file in force at the clinic, measured on every treated patient."""
    return measure_claims(site, today)[0]


def measure_claims(
    site: Site, today: date, progress: Callable[[int], None] | None = None
) -> tuple[list[ClaimsReport], int]:
    """The claims report and the number of treated joints it read, telling ``progress`` the
    per cent done: reading the registry is the first half, the claims the second."""
    sets = claim_sets(site)
    if not sets:
        return [], 0
    with collector_paused():  # millions of acyclic objects for a large clinic
        registry = registry_for(site, today)
        if progress is not None:
            progress(50)
        thresholds = site_thresholds(site)
        files = [(row, claim_rules.ClaimFile.model_validate(row.content)) for row in sets]
        total = sum(len(file.items) for _row, file in files)
        done = 0
        out = []
        for row, file in files:
            results = []
            for claim in file.items:
                results.append(claim_rules.evaluate(claim, registry, thresholds, file.minimum_n))
                done += 1
                if progress is not None:
                    progress(50 + 49 * done // total)
            out.append(ClaimsReport(row, file, results))
    return out, len(registry.treated)


def treated_count(site: Site) -> int:
    """How many treated joints the clinic's registry holds (a course's region injected at
    least once), counted in the database without reading them."""
    return (
        Administration.objects.filter(site=site)
        .values("appointment__course_id", "planned_region_id")
        .distinct()
        .count()
    )


@dataclass(frozen=True)
class Checks:
    """A large clinic's claims checks: the newest finished one and the one under way."""

    done: ClaimsCheck | None
    busy: ClaimsCheck | None
    failed: ClaimsCheck | None  # the newest request, when it failed
    reports: list[ClaimsReport]


def claims_checks(site: Site) -> Checks:
    """The newest finished claims check with its reports rebuilt, and any check under way."""
    done = ClaimsCheck.objects.filter(site=site, status="done").order_by("-finished_at").first()
    busy = ClaimsCheck.objects.filter(site=site, status__in=("queued", "running")).first()
    newest = ClaimsCheck.objects.filter(site=site).first()
    failed = newest if newest is not None and newest.status == "failed" else None
    reports = []
    if done is not None:
        sets = ClaimSet.objects.in_bulk([entry["claim_set"] for entry in done.results])
        for entry in done.results:
            row = sets[entry["claim_set"]]
            file = claim_rules.ClaimFile.model_validate(row.content)
            results = [claim_rules.result_from(data, file) for data in entry["results"]]
            reports.append(ClaimsReport(row, file, results))
    return Checks(done, busy, failed, reports)


@dataclass(frozen=True)
class Choices:
    """What the cohort form offers for this registry, and what it shows first."""

    protocols: list[tuple[str, str]]
    versions: list[tuple[int, str]]
    scores: list[tuple[str, str]]
    timepoints: list[tuple[str, str]]
    defaults: dict[str, object]


def registry_choices(found: reg.Registry, language: str) -> Choices:
    """The protocols, scores and timepoints present in the clinic's registry."""
    from autologic.outcomes.templatetags.outcomes import score_name, timepoint

    protocols = sorted({t.protocol for t in found.treated})
    named = [(code, protocol_title(code, language)) for code in protocols]
    versions = [(v, str(v)) for v in sorted({t.protocol_version for t in found.treated})]
    pairs = sorted({(m.instrument, m.score) for m in found.measures if _charted(m.instrument)})
    scores = [(f"{i}:{s}", f"{i} · {score_name(s)}") for i, s in pairs]
    keys = sorted({m.timepoint for m in found.measures} - {reg.BASELINE}, key=reg.timepoint_days)
    timepoints = [(key, timepoint(key)) for key in keys]
    default_score = "NRS:pain" if ("NRS", "pain") in pairs else (scores[0][0] if scores else "")
    default_timepoint = "m12" if "m12" in keys else (keys[-1] if keys else "")
    return Choices(
        named,
        versions,
        scores,
        timepoints,
        {
            "score": default_score,
            "failures": list(reg.FAILURES),
            "timepoint": default_timepoint,
        },
    )


def _charted(instrument: str) -> bool:
    """True for a scored instrument; False for the yes/no follow-up questions."""
    return instruments.get(instrument).charted


@dataclass(frozen=True)
class ResponderBar:
    """One responder share at one timepoint by one definition."""

    timepoint: str
    kind: str  # "change", "pass" or "omeract"
    rate: reg.Rate


@dataclass(frozen=True)
class RegistryReport:
    """Everything the registry page shows for one cohort."""

    rows: list[reg.Treated]
    instrument: str
    score: str
    follow: list[reg.FollowUpAt]
    changes: list[reg.ChangeAt]
    responders: list[ResponderBar]
    curve: stats.Curve
    activities: stats.Curve  # time back to usual daily activities
    failures: list[str]
    harms: dict[str, reg.HarmRate]
    strata: list[tuple[reg.Stratum, reg.Rate]]
    overall: reg.Rate | None
    stratify: str
    timepoint: str
    forest_kind: str

    @property
    def patients(self) -> int:
        """Distinct patients in the cohort."""
        return len({t.patient for t in self.rows})


def registry_report(
    found: reg.Registry,
    site: Site,
    *,
    cohort: reg.Cohort,
    score: str,
    failures: list[str],
    stratify: str,
    cuts: list[float],
    timepoint: str,
) -> RegistryReport:
    """Measure one cohort of the clinic's registry."""
    rows = cohort.rows(found)
    instrument, _sep, name = score.partition(":")
    thresholds = site_thresholds(site)
    follow = reg.follow_up_table(found, rows, instrument, name, failures)
    changes = [reg.mean_change_at(found, rows, instrument, name, f.timepoint) for f in follow]
    definitions: list[tuple[str, list[reg.Criterion] | None]] = []
    for use in ("change", "pass"):
        if (instrument, name, use) in thresholds:
            definitions.append((use, [reg.Criterion(instrument, name, use)]))
    definitions.append(("omeract", None))
    bars = []
    for f in follow:
        for kind, criteria in definitions:
            rate = (
                reg.omeract_rate(found, rows, f.timepoint, failures)
                if criteria is None
                else reg.responder_rate(found, rows, f.timepoint, criteria, thresholds, failures)
            )
            if rate.answered + rate.failed:
                bars.append(ResponderBar(f.timepoint, kind, rate))
    harms = {
        "any": reg.harm_rate(found, rows),
        "related": reg.harm_rate(found, rows, related_only=True),
        "serious": reg.harm_rate(found, rows, serious_only=True),
    }
    forest_kind, criteria = definitions[0]
    strata_rates: list[tuple[reg.Stratum, reg.Rate]] = []
    overall = None
    if timepoint:

        def rate_of(members: list[reg.Treated]) -> reg.Rate:
            if criteria is None:
                return reg.omeract_rate(found, members, timepoint, failures)
            return reg.responder_rate(found, members, timepoint, criteria, thresholds, failures)

        overall = rate_of(rows)
        if stratify:
            strata_rates = [(s, rate_of(s.rows)) for s in reg.strata(rows, stratify, cuts)]
    return RegistryReport(
        rows=rows,
        instrument=instrument,
        score=name,
        follow=follow,
        changes=changes,
        responders=bars,
        curve=reg.survival(found, rows, failures),
        activities=reg.time_to_activities(found, rows),
        failures=failures,
        harms=harms,
        strata=strata_rates,
        overall=overall,
        stratify=stratify,
        timepoint=timepoint,
        forest_kind=forest_kind,
    )


def aggregate_table(found: reg.Registry, rows: list[reg.Treated], site: Site) -> bytes:
    """Responders by timepoint and definition as CSV, every count under five suppressed (and
    the share and interval with it, which would reveal the count)."""
    import csv
    import io

    from autologic.analytics.domain.export import SUPPRESS_BELOW, suppress

    thresholds = site_thresholds(site)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "instrument",
            "score",
            "timepoint",
            "definition",
            "due",
            "known",
            "responders",
            "share",
            "ci_low",
            "ci_high",
        ]
    )
    pairs = sorted({(m.instrument, m.score) for m in found.measures})
    for instrument, name in pairs:
        if (instrument, name, "change") not in thresholds:
            continue
        criteria = [reg.Criterion(instrument, name, "change")]
        for f in reg.follow_up_table(found, rows, instrument, name):
            rate = reg.responder_rate(found, rows, f.timepoint, criteria, thresholds)
            known = rate.answered + rate.failed
            small = min(rate.responders, known - rate.responders) < SUPPRESS_BELOW
            p = rate.proportion
            writer.writerow(
                [
                    instrument,
                    name,
                    f.timepoint,
                    "important_change",
                    suppress(rate.eligible),
                    suppress(known),
                    suppress(rate.responders),
                    "" if small or p.estimate is None else f"{p.estimate:.3f}",
                    "" if small else f"{p.low:.3f}",
                    "" if small else f"{p.high:.3f}",
                ]
            )
    return out.getvalue().encode("utf-8")


def for_research(found: reg.Registry, site: Site) -> reg.Registry:
    """The registry as a researcher may see it: only patients whose registry consent stands."""
    from autologic.patients.queries import registry_consented

    consented = registry_consented(site.pk, found.today)
    treated = [t for t in found.treated if t.patient in consented]
    keys = {t.key for t in treated}
    return reg.Registry(
        found.today,
        treated,
        [m for m in found.measures if m.key in keys],
        [e for e in found.later if e.patient in consented],
        [h for h in found.harms if h.patient in consented],
        [r for r in found.readings if r.patient in consented],
    )


def studies(site: Site) -> list[ResearchStudy]:
    """The clinic's studies, with how many patients each has pseudonymised."""
    return list(
        ResearchStudy.objects.filter(site=site)
        .annotate(patients=Count("pseudonyms"))
        .order_by("code")
    )


def saved_cohorts(site: Site) -> list[SavedCohort]:
    """The newest version of each saved cohort of the clinic."""
    newest: dict[str, SavedCohort] = {}
    for row in SavedCohort.objects.filter(site=site).order_by("name", "-version"):
        newest.setdefault(row.name, row)
    return list(newest.values())


def cohort_members(row: SavedCohort, today: date) -> list[int] | None:
    """The patients a saved cohort holds on ``today`` (its filters applied to the clinic's
    registry as the registry page applies them), or None when its filters no longer validate
    (e.g. a protocol version it names is gone)."""
    found = registry_for(row.site, today)
    choices = registry_choices(found, "en")
    form = CohortForm(
        MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in row.query.items()}),
        calendar=Calendar(row.site.calendar),
        protocols=choices.protocols,
        versions=choices.versions,
        scores=choices.scores,
        timepoints=choices.timepoints,
    )
    if not form.is_valid():
        return None
    return sorted({t.patient for t in form.cohort().rows(found)})


def cohort_url(row: SavedCohort) -> str:
    """The registry page showing a saved cohort."""
    from urllib.parse import urlencode

    from django.urls import reverse

    return reverse("analytics:registry") + "?" + urlencode(row.query, doseq=True)


def export_jobs(site: Site) -> list[ExportJob]:
    """The clinic's latest research exports, newest first (without their files)."""
    return list(
        ExportJob.objects.filter(study__site=site)
        .select_related("study", "requested_by")
        .defer("content")[:20]
    )


def export_job(site: Site, job_id: int) -> ExportJob | None:
    """One of the clinic's exports, with its file."""
    return ExportJob.objects.filter(pk=job_id, study__site=site).select_related("study").first()
