"""Bulk Data ``$export``: kick-off, the job on the task queue, cancel and the worker's sweep.

The job reads one consistent snapshot (PostgreSQL: a REPEATABLE READ, READ ONLY transaction;
SQLite: one WAL read transaction), pages each type by keyset, and writes NDJSON files capped
by bytes under a temporary name, renamed when whole.  Files are registered (and the job called
complete) only after the last one is written, in one transaction, so a worker killed at any
moment leaves a job that is still ``running`` with no listed files; the sweep starts it again
from the beginning with a new snapshot, or fails it after ``MAX_ATTEMPTS``.  Progress and the
heartbeat live in a file beside the output, because the snapshot transaction writes nothing."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from autologic.audit.actions import audited_transaction, record_event
from autologic.common.domain.errors import BadQuery, NotFound
from autologic.common.locks import for_update
from autologic.interop import auth
from autologic.interop.domain.search import Cursor, DateRange, Search, Token, is_key, parse_date
from autologic.interop.models import ExportFile, ExportJob
from autologic.interop.resources import cohorts
from autologic.interop.resources.base import Context
from autologic.interop.resources.registry import TYPES

log = logging.getLogger(__name__)
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
MAX_ATTEMPTS = 3
STALE = timedelta(minutes=2)
BATCH = 1000


class Cancelled(Exception):
    """The client cancelled the export while it ran."""


def export_dir(job_id: object) -> Path:
    return Path(settings.DATA_DIR) / "fhir-export" / str(job_id)


def level_types(level: str) -> list[str]:
    """What an export of a level may hold: everything, or the patient compartment."""
    if level == "system":
        return list(TYPES)
    return ["Patient", *(n for n, t in TYPES.items() if "patient" in t.parameters)]


def context_of(client: Any) -> Context:
    return Context(
        site=client.site,
        client=client,
        namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
        base=f"{settings.AUTOLOGIC_PUBLIC_URL}/fhir",
    )


def start_export(
    *,
    grant: auth.Grant,
    level: str,
    params: list[tuple[str, str]],
    request: str,
    now: datetime,
    group: str = "",
) -> ExportJob:
    """Check a kick-off request and queue its job (audited).  A Group export takes the
    cohort's members as they are now."""
    grant.require("$export", "read")
    members: list[int] = []
    if level == "group":
        grant.require("Group", "read")
        found = cohorts.members(context_of(grant.client), int(group)) if is_key(group) else None
        if found is None:
            raise NotFound("no_such_resource", f"No Group with id {group}.", field="id")
        members = found
    allowed = level_types(level)
    types, since = allowed, None
    for name, value in params:
        if name == "_type":
            types = [t for t in value.split(",") if t]
            unknown = [t for t in types if t not in allowed]
            if unknown or not types:
                raise BadQuery(
                    "not_supported",
                    f"_type: {', '.join(unknown) or 'nothing'} cannot be exported at this level.",
                    field="_type",
                )
        elif name == "_since":
            since = parse_date("_since", value).start
            if since is None:
                raise BadQuery("invalid_search", "_since takes an instant.", field="_since")
        elif name == "_outputFormat":
            if value not in OUTPUT_FORMATS:
                raise BadQuery(
                    "not_supported",
                    "_outputFormat: only application/fhir+ndjson is written.",
                    field="_outputFormat",
                )
        else:
            raise BadQuery(
                "not_supported", f"{name} is not a parameter of $export here.", field=name
            )
    for name in types:
        grant.require(name, "read")
    with audited_transaction():
        job = ExportJob.objects.create(
            client=grant.client,
            level=level,
            group=group,
            patients=members,
            types=types,
            since=since,
            request=request,
            requested_at=now,
        )
        record_event(
            actor=None,
            actor_name=auth.client_actor(grant.client),
            site=grant.site,
            action="fhir.export_request",
            object_type="fhir_client",
            object_id=grant.client.pk,
            changes={
                "job": str(job.pk),
                "types": types,
                "since": since,
                "level": level,
                "group": group,
                "patients": len(members),
            },
            now=now,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: object) -> None:
    from autologic.interop.tasks import run_fhir_export

    try:
        run_fhir_export.enqueue(str(job_id))
    except Exception:  # noqa: BLE001 - a queue that is down leaves the job to the sweep
        log.exception("could not enqueue FHIR export %s; the worker's sweep runs it", job_id)


def job_for(grant: auth.Grant, job_id: object) -> ExportJob:
    """A client's own export; another client's is as absent as a missing one."""
    job = ExportJob.objects.filter(pk=job_id, client=grant.client).first()
    if job is None or job.status == "expired":
        raise NotFound("no_such_export", "No such export.", field="job")
    return job


def cancel_export(grant: auth.Grant, job_id: object, now: datetime) -> None:
    """DELETE on the status URL: stop a running job and remove its files (audited)."""
    job = job_for(grant, job_id)
    if job.status == "cancelled":
        raise NotFound("no_such_export", "No such export.", field="job")
    with audited_transaction():
        ExportJob.objects.filter(pk=job.pk).update(status="cancelled", finished_at=now)
        record_event(
            actor=None,
            actor_name=auth.client_actor(grant.client),
            site=grant.site,
            action="fhir.export_cancel",
            object_type="fhir_client",
            object_id=grant.client.pk,
            changes={"job": str(job.pk)},
            now=now,
        )
    directory = export_dir(job.pk)
    if directory.exists():
        (directory / "cancelled").touch()
    transaction.on_commit(lambda: _remove_unless_running(job.pk))


def _remove_unless_running(job_id: object) -> None:
    # A running job sees the marker and removes its own files; a finished one is removed now.
    if not (export_dir(job_id) / "progress.json").exists():
        shutil.rmtree(export_dir(job_id), ignore_errors=True)


def progress(job: ExportJob) -> str:
    """The job's progress for ``X-Progress`` (e.g. "Observation: 4000 resources")."""
    try:
        state = orjson.loads((export_dir(job.pk) / "progress.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return "queued" if job.status == "queued" else "starting"
    return f"{state['type']}: {state['done']} resources"


@dataclass
class _Open:
    resource_type: str
    number: int
    path: Path
    handle: IO[bytes]
    digest: Any
    count: int = 0
    size: int = 0


class _Writer:
    """NDJSON files per type, a new file once one passes the byte cap; whole files only."""

    def __init__(self, directory: Path, cap: int):
        self.directory, self.cap = directory, cap
        self.current: _Open | None = None
        self.done: list[dict[str, Any]] = []
        self.numbers: dict[str, int] = {}

    def write(self, resource_type: str, lines: list[bytes]) -> None:
        for line in lines:
            if self.current is None or self.current.resource_type != resource_type:
                self.close()
                self.numbers[resource_type] = self.numbers.get(resource_type, 0) + 1
                number = self.numbers[resource_type]
                path = self.directory / f"{resource_type}.{number}.ndjson.part"
                self.current = _Open(resource_type, number, path, path.open("wb"), hashlib.sha256())
            self.current.handle.write(line)
            self.current.digest.update(line)
            self.current.count += 1
            self.current.size += len(line)
            if self.current.size >= self.cap:
                self.close()

    def close(self) -> None:
        if self.current is None:
            return
        opened, self.current = self.current, None
        opened.handle.flush()
        os.fsync(opened.handle.fileno())
        opened.handle.close()
        final = opened.path.with_suffix("")  # drop ".part"
        opened.path.rename(final)
        self.done.append(
            {
                "resource_type": opened.resource_type,
                "name": final.name,
                "count": opened.count,
                "bytes": opened.size,
                "sha256": opened.digest.hexdigest(),
            }
        )


def _heartbeat(directory: Path, resource_type: str, done: int) -> None:
    if (directory / "cancelled").exists():
        raise Cancelled
    temporary = directory / "progress.json.part"
    temporary.write_bytes(orjson.dumps({"type": resource_type, "done": done}))
    temporary.replace(directory / "progress.json")


def _snapshot_time() -> datetime:
    """Open the snapshot (PostgreSQL: REPEATABLE READ, READ ONLY) and return its time."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if not connection.savepoint_ids:  # the outermost transaction (tests nest it)
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT now()")
            (moment,) = cursor.fetchone()
            return moment  # type: ignore[no-any-return]
        cursor.execute("SELECT 1")  # SQLite: the first read fixes the WAL snapshot
    from autologic.common import clock

    return clock.now()


def _write_all(job: ExportJob, directory: Path, cap: int, batch: int) -> tuple[datetime, list]:
    context = context_of(job.client)
    writer = _Writer(directory, cap)
    margin = timedelta(seconds=settings.AUTOLOGIC_FHIR_SINCE_MARGIN_SECONDS)
    with transaction.atomic():
        moment = _snapshot_time()
        for name in job.types:
            rtype = TYPES[name]
            filters: dict[str, list[Any]] = {}
            if job.level == "group":  # only the cohort's members, as they were asked for
                if name == "Patient":
                    filters["_id"] = [Token(None, str(pk)) for pk in job.patients]
                else:
                    filters["patient"] = [str(pk) for pk in job.patients]
            if job.since is not None and "_lastUpdated" in rtype.parameters:
                # Look back a margin: a change saved just before the last export's snapshot
                # but committed after it is sent again rather than never.
                filters["_lastUpdated"] = [DateRange(job.since - margin, None)]
            cursor: Cursor | None = None
            done = 0
            while True:
                _heartbeat(directory, name, done)
                page, cursor = rtype.search(
                    context, Search(filters=filters, count=batch, after=cursor)
                )
                writer.write(
                    name, [orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in page]
                )
                done += len(page)
                if cursor is None:
                    break
        writer.close()
    return moment, writer.done


def run_export_job(
    job_id: object, *, now: datetime, file_bytes: int | None = None, batch: int = BATCH
) -> ExportJob:
    """Run a queued export once (the task queue calls this).  A job another worker holds, or
    one that has finished or was cancelled, is left alone."""
    claimed = ExportJob.objects.filter(pk=job_id, status="queued").update(
        status="running", attempts=F("attempts") + 1, started_at=now
    )
    job = ExportJob.objects.select_related("client__site").get(pk=job_id)
    if not claimed:
        return job
    directory = export_dir(job.pk)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    cap = file_bytes or settings.AUTOLOGIC_FHIR_EXPORT_FILE_BYTES
    try:
        moment, files = _write_all(job, directory, cap, batch)
    except Cancelled:
        shutil.rmtree(directory, ignore_errors=True)
        job.refresh_from_db()
        return job
    except Exception as exc:  # noqa: BLE001 - a failure ends the job visibly, with no files
        log.exception("FHIR export %s failed", job.pk)
        shutil.rmtree(directory, ignore_errors=True)
        ExportJob.objects.filter(pk=job.pk, status="running").update(
            status="failed", error=type(exc).__name__, finished_at=now
        )
        job.refresh_from_db()
        return job
    with audited_transaction():
        still = for_update(ExportJob.objects).filter(pk=job.pk, status="running")
        if not still.exists():  # cancelled (or taken back by the sweep) meanwhile
            transaction.on_commit(lambda: shutil.rmtree(directory, ignore_errors=True))
            job.refresh_from_db()
            return job
        ExportFile.objects.bulk_create(ExportFile(job=job, **f) for f in files)
        still.update(status="complete", transaction_time=moment, finished_at=now)
        counts: dict[str, int] = {}
        for f in files:
            counts[f["resource_type"]] = counts.get(f["resource_type"], 0) + f["count"]
        record_event(
            actor=None,
            actor_name=auth.client_actor(job.client),
            site=job.client.site,
            action="fhir.export",
            object_type="fhir_client",
            object_id=job.client.pk,
            changes={"job": str(job.pk), "counts": counts},
            now=now,
        )
    (directory / "progress.json").unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def sweep_exports(*, now: datetime, waited_seconds: int = 120) -> int:
    """The worker's pass: restart jobs whose worker died (no heartbeat for ``STALE``; failed
    after ``MAX_ATTEMPTS``), run jobs whose task was lost, remove files older than a day."""
    for job in ExportJob.objects.filter(status="running"):
        beat = export_dir(job.pk) / "progress.json"
        try:
            last = datetime.fromtimestamp(beat.stat().st_mtime, tz=now.tzinfo)
        except OSError:
            last = job.started_at or job.requested_at
        if now - last < STALE:
            continue
        shutil.rmtree(export_dir(job.pk), ignore_errors=True)
        if job.attempts >= MAX_ATTEMPTS:
            ExportJob.objects.filter(pk=job.pk, status="running", attempts=job.attempts).update(
                status="failed", error="worker lost", finished_at=now
            )
        else:
            ExportJob.objects.filter(pk=job.pk, status="running", attempts=job.attempts).update(
                status="queued"
            )
    ran = 0
    waiting = ExportJob.objects.filter(
        status="queued", requested_at__lt=now - timedelta(seconds=waited_seconds)
    )
    for job_id in list(waiting.values_list("pk", flat=True)):
        ran += run_export_job(job_id, now=now).status == "complete"
    old = ExportJob.objects.filter(status="complete", finished_at__lt=now - timedelta(days=1))
    for job_id in list(old.values_list("pk", flat=True)):
        shutil.rmtree(export_dir(job_id), ignore_errors=True)
        ExportJob.objects.filter(pk=job_id).update(status="expired")
    return ran
