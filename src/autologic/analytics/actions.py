"""Changes to the registry's configuration: loading a clinic's claim file; audited."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from django.db import IntegrityError, transaction

from autologic.accounts.models import Site, User
from autologic.analytics.domain import export
from autologic.analytics.domain.claims import ClaimFile, fingerprint, parse_claims
from autologic.analytics.models import (
    ClaimsCheck,
    ClaimSet,
    ExportJob,
    Pseudonym,
    ResearchStudy,
    SavedCohort,
)
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, DomainError, ValidationFailed
from autologic.common.locks import for_update

log = logging.getLogger(__name__)


def read_claims(text: str, source: str) -> ClaimFile:
    """Parse and validate a claim file's YAML text, naming every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(
            "invalid_yaml", f"{source}: not valid YAML ({exc})", field="file"
        ) from None
    return parse_claims(data, source)


def load_claims(
    *, site: Site, text: str, source: str, by: User | None, now: datetime
) -> tuple[ClaimSet, bool]:
    """Load a version of a claim file for a clinic; returns the row and whether it is new.

    Loading the same version with the same content again changes nothing.  The same version
    with other content, or an older version than the clinic's, is refused: a change is a new
    version, and every report names the version it used."""
    claims = read_claims(text, source)
    mark = fingerprint(claims)
    with audited_transaction():
        for_update(Site.objects).get(pk=site.pk)  # one loader per clinic at a time
        same = ClaimSet.objects.filter(site=site, code=claims.claims, version=claims.version)
        found = same.first()
        if found is not None:
            if found.fingerprint == mark:
                return found, False
            raise ConflictError(
                "version_taken",
                f"Version {claims.version} of {claims.claims} is already loaded with other "
                "content; give the changed file a new version.",
                field="version",
            )
        latest = ClaimSet.objects.filter(site=site, code=claims.claims).order_by("-version").first()
        if latest is not None and latest.version > claims.version:
            raise ConflictError(
                "older_version",
                f"Version {latest.version} of {claims.claims} is already loaded; an older "
                "version cannot replace it.",
                field="version",
            )
        row = ClaimSet.objects.create(
            site=site,
            code=claims.claims,
            version=claims.version,
            title=claims.title.en[:200],
            content=claims.model_dump(mode="json"),
            text=text,
            source=source[:255],
            fingerprint=mark,
            loaded_by=by,
            loaded_at=now,
        )
        record_event(
            actor=by,
            site=site,
            action="claims.load",
            object_type="claim_set",
            object_id=row.pk,
            changes={
                "claims": claims.claims,
                "version": claims.version,
                "items": len(claims.items),
            },
            now=now,
        )
    return row, True


def create_research_study(
    *, site: Site, code: str, title: str, by: User, now: datetime
) -> ResearchStudy:
    """Open a study: its pseudonyms are its own; audited."""
    code, title = code.strip().lower(), title.strip()
    if not code or not title:
        raise ValidationFailed(
            "study_needs_code",
            "A study needs a code and a title.",
            field="code" if not code else "title",
        )
    with audited_transaction():
        if ResearchStudy.objects.filter(site=site, code=code).exists():
            raise ConflictError("study_exists", "A study with this code exists.", field="code")
        study = ResearchStudy.objects.create(
            site=site, code=code, title=title, created_by=by, created_at=now
        )
        record_event(
            actor=by,
            site=site,
            action="research_study.create",
            object_type="research_study",
            object_id=study.pk,
            changes={"code": code, "title": title},
            now=now,
        )
    return study


@dataclass(frozen=True)
class Exported:
    """A research export: its file name and bytes, and how many patients and rows it holds."""

    filename: str
    content: bytes
    patients: int
    rows: int


def export_registry(
    *,
    study: ResearchStudy,
    fmt: str,
    by: User,
    now: datetime,
    progress: Callable[[int], None] = lambda _percent: None,
) -> Exported:
    """The study's pseudonymised export of the clinic's registry: only patients whose registry
    consent stands now; pseudonyms are created for newcomers and kept; audited (no PHI in the
    event: the study, the format and the counts)."""
    from autologic.analytics import exports, queries
    from autologic.patients.queries import registry_consented

    if fmt not in exports.FORMATS:
        raise ValidationFailed("unknown_format", f"Unknown format {fmt!r}.", field="format")
    site = study.site
    today = now.astimezone(ZoneInfo(site.time_zone)).date()
    consented = registry_consented(site.pk, today)
    progress(10)
    found = queries.registry_for(site, today)
    rows = [t for t in found.treated if t.patient in consented]
    progress(40)
    with audited_transaction():
        for_update(ResearchStudy.objects).get(pk=study.pk)
        codes = dict(
            Pseudonym.objects.filter(study=study, patient_id__in=consented).values_list(
                "patient_id", "code"
            )
        )
        taken = set(Pseudonym.objects.filter(study=study).values_list("code", flat=True))
        for patient_id in sorted({t.patient for t in rows} - set(codes)):
            code = _new_code(taken)
            Pseudonym.objects.create(study=study, patient_id=patient_id, code=code, created_at=now)
            codes[patient_id] = code
        table = export.patient_rows(found, rows, codes)
        progress(60)
        aggregate = queries.aggregate_table(found, rows, site)
        progress(75)
        readme = _readme(study, today, len({t.patient for t in rows}), len(table.rows), fmt)
        content = exports.archive(table, fmt, aggregate, readme)
        record_event(
            actor=by,
            site=site,
            action="registry.export",
            object_type="research_study",
            object_id=study.pk,
            changes={
                "study": study.code,
                "format": fmt,
                "patients": len({t.patient for t in rows}),
                "rows": len(table.rows),
            },
            now=now,
        )
    filename = f"registry-{study.code}-{today.isoformat()}-{fmt}.zip"
    return Exported(filename, content, len({t.patient for t in rows}), len(table.rows))


def request_export(*, study: ResearchStudy, fmt: str, by: User, now: datetime) -> ExportJob:
    """Queue a research export on the task queue; the export page follows its progress."""
    from autologic.analytics import exports

    if fmt not in exports.FORMATS:
        raise ValidationFailed("unknown_format", f"Unknown format {fmt!r}.", field="format")
    with audited_transaction():
        job = ExportJob.objects.create(study=study, format=fmt, requested_by=by, requested_at=now)
        record_event(
            actor=by,
            site=study.site,
            action="registry.export_request",
            object_type="research_study",
            object_id=study.pk,
            changes={"study": study.code, "format": fmt},
            now=now,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from autologic.analytics.tasks import run_export

    _enqueue_task(run_export, job_id)


def _enqueue_task(task: Any, job_id: int) -> None:
    """Queue a job's task after commit; a queue that is down leaves it to the worker's sweep."""
    try:
        task.enqueue(job_id)
    except Exception:  # noqa: BLE001 - the queue being down must not fail the request
        log.exception("could not enqueue job %s; it waits for the worker's next pass", job_id)


Job = TypeVar("Job", ExportJob, ClaimsCheck)


def _run_queued(
    model: type[Job],
    job_id: int,
    now: datetime,
    work: Callable[[Job, Callable[[int], None]], dict[str, Any]],
) -> Job:
    """Run one queued job once: claim it (queued to running), let ``work`` report its per cent
    done and return the fields of the finished job; a failure is kept with its error code,
    never with data.  A job another worker claimed, or that has finished, is left alone."""
    claimed = model.objects.filter(pk=job_id, status="queued").update(status="running", progress=5)
    job = model.objects.get(pk=job_id)
    if not claimed:
        return job

    def progress(percent: int) -> None:
        model.objects.filter(pk=job_id).update(progress=percent)

    try:
        finished = work(job, progress)
    except Exception as exc:  # noqa: BLE001 - any failure ends the job, visibly
        code = exc.code if isinstance(exc, DomainError) else type(exc).__name__
        model.objects.filter(pk=job_id).update(status="failed", error=code[:64], finished_at=now)
        log.exception("%s %s failed", model.__name__, job_id)
    else:
        model.objects.filter(pk=job_id).update(
            status="done", progress=100, finished_at=now, **finished
        )
    job.refresh_from_db()
    return job


def _run_waiting(
    model: type[Job], run: Callable[[int], Job], now: datetime, older_than_seconds: int
) -> int:
    """Run the jobs whose task was lost (queued too long); the worker's sweep."""
    from datetime import timedelta

    waiting = model.objects.filter(
        status="queued", requested_at__lt=now - timedelta(seconds=older_than_seconds)
    ).values_list("pk", flat=True)
    return sum(1 for job_id in list(waiting) if run(job_id).status == "done")


def run_export_job(job_id: int, *, now: datetime) -> ExportJob:
    """Make a queued export (the task queue calls this): progress as it goes, then the file."""

    def work(job: ExportJob, progress: Callable[[int], None]) -> dict[str, Any]:
        made = export_registry(
            study=job.study, fmt=job.format, by=job.requested_by, now=now, progress=progress
        )
        return {
            "filename": made.filename,
            "content": made.content,
            "patients": made.patients,
            "rows": made.rows,
        }

    return _run_queued(ExportJob, job_id, now, work)


def run_waiting_exports(*, now: datetime, older_than_seconds: int = 120) -> int:
    """Make the exports whose task was lost (queued and waiting too long); the worker's sweep."""
    return _run_waiting(
        ExportJob, lambda job_id: run_export_job(job_id, now=now), now, older_than_seconds
    )


def record_export_download(job: ExportJob, *, by: User, now: datetime) -> None:
    """Every download of an export file is an audit event (the study, the job, no data)."""
    with audited_transaction():
        record_event(
            actor=by,
            site=job.study.site,
            action="registry.export_download",
            object_type="research_study",
            object_id=job.study_id,
            changes={"study": job.study.code, "format": job.format},
            now=now,
        )


ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud without mistakes


def _new_code(taken: set[str]) -> str:
    """A random pseudonym not yet used in the study (it encodes nothing about the patient)."""
    while True:
        code = "R-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


def _readme(study: ResearchStudy, today: date, patients: int, rows: int, fmt: str) -> str:
    return (
        f"Outcome registry export for study {study.code} ({study.title}), made {today}.\n"
        f"{patients} patients whose registry consent stood on that day; {rows} rows, one per\n"
        "patient, treated joint and timepoint answered. Patients appear under their study\n"
        "pseudonym only; every time is in days from the joint's first injection.\n"
        f"registry.{fmt}: the data; dictionary.csv: each variable, its meaning, type and codes;\n"
        "aggregate.csv: responders by timepoint with counts under 5 suppressed.\n"
    )


def save_cohort(
    *, site: Site, name: str, query: dict[str, list[str]], by: User, now: datetime
) -> tuple[SavedCohort, bool]:
    """Save a cohort's filters under a name; returns the version and whether it is new.

    The same filters again change nothing; changed filters are the name's next version."""
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("cohort_needs_name", "Give the cohort a name.", field="name")
    canonical = {k: sorted(v) for k, v in sorted(query.items()) if any(x != "" for x in v)}
    with audited_transaction():
        for_update(Site.objects).get(pk=site.pk)
        latest = SavedCohort.objects.filter(site=site, name=name).order_by("-version").first()
        if latest is not None and latest.query == canonical:
            return latest, False
        row = SavedCohort.objects.create(
            site=site,
            name=name,
            version=(latest.version + 1) if latest else 1,
            query=canonical,
            created_by=by,
            created_at=now,
        )
        record_event(
            actor=by,
            site=site,
            action="cohort.save",
            object_type="saved_cohort",
            object_id=row.pk,
            changes={"name": name, "version": row.version},
            now=now,
        )
    return row, True


# ---- the claims check of a large registry, on the task queue ------------------------------


def request_claims_check(*, site: Site, by: User, now: datetime) -> ClaimsCheck:
    """Queue a new measurement of the clinic's claims; while one is queued or running, a
    second request joins it (one at a time per clinic, held by a constraint)."""
    busy = ClaimsCheck.objects.filter(site=site, status__in=("queued", "running")).first()
    if busy is not None:
        return busy
    try:
        with audited_transaction():
            check = ClaimsCheck.objects.create(
                site=site,
                as_of=now.astimezone(ZoneInfo(site.time_zone)).date(),
                requested_by=by,
                requested_at=now,
            )
            record_event(
                actor=by,
                site=site,
                action="registry.claims_check_request",
                object_type="site",
                object_id=site.pk,
                changes={},
                now=now,
            )
            transaction.on_commit(lambda: _enqueue_claims_check(check.pk))
    except IntegrityError:
        # Another request queued one in the meantime: join it (the newest, however far it got).
        joined = ClaimsCheck.objects.filter(site=site).order_by("-requested_at", "-id").first()
        assert joined is not None  # the row that refused ours
        return joined
    return check


def _enqueue_claims_check(check_id: int) -> None:
    from autologic.analytics.tasks import run_claims_check

    _enqueue_task(run_claims_check, check_id)


def run_claims_check_job(check_id: int, *, now: datetime) -> ClaimsCheck:
    """Measure a queued claims check (the task queue calls this), saving its progress as it
    goes, then each claim's numbers with the clinic's day they were measured on."""
    from autologic.analytics import queries
    from autologic.analytics.domain.claims import result_data

    def work(check: ClaimsCheck, progress: Callable[[int], None]) -> dict[str, Any]:
        today = now.astimezone(ZoneInfo(check.site.time_zone)).date()
        reports, treated = queries.measure_claims(check.site, today, progress=progress)
        kept = [
            {"claim_set": r.claim_set.pk, "results": [result_data(x) for x in r.results]}
            for r in reports
        ]
        return {"as_of": today, "results": kept, "treated": treated}

    return _run_queued(ClaimsCheck, check_id, now, work)


def run_waiting_claims_checks(*, now: datetime, older_than_seconds: int = 120) -> int:
    """Make the claims checks whose task was lost (queued too long); the worker's sweep."""
    return _run_waiting(
        ClaimsCheck,
        lambda check_id: run_claims_check_job(check_id, now=now),
        now,
        older_than_seconds,
    )
