"""The read side of operations: the readiness checks, read from the live system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min

from autologic.audit import triggers
from autologic.lab.models import Collection, Excursion
from autologic.operations.domain.readiness import Check, Level, count_check, lag_check
from autologic.outbox.domain import Status
from autologic.outbox.models import Message

# A stylesheet every page links: if it has no collected, hashed name, pages answer 500.
STATIC_PROBE = "autologic/app.css"


def pending_migrations() -> list[str]:
    """Migrations the code has and the database has not applied."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def static_problem() -> str:
    """Why pages could not name their static files, or '' when they can."""
    try:
        staticfiles_storage.url(STATIC_PROBE)
    except ValueError as error:  # the manifest storage's "missing manifest entry"
        return f"static files not collected ({error}); run `autologic serve` or collectstatic"
    return ""


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "no database"
        return Check("database", Level.FAIL, f"unreachable ({type(error).__name__})")
    return Check("database", Level.OK, connection.vendor)


@dataclass(frozen=True)
class TaskQueue:
    backend: str
    waiting: int
    lag_seconds: float | None  # how long the oldest due task has waited; None: none due


def task_queue(now: datetime) -> TaskQueue:
    """The database task queue's due tasks (RQ is watched with its own tools: `rq info`)."""
    backend = settings.TASKS["default"]["BACKEND"]
    if backend != "django_tasks_db.DatabaseBackend":
        return TaskQueue(backend.rsplit(".", 1)[-1], 0, None)
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.ready()
    # A task to run as soon as possible has a far-future run_after: it is due since enqueued.
    asap = ready.filter(run_after=get_date_max()).aggregate(due=Min("enqueued_at"))["due"]
    later = ready.exclude(run_after=get_date_max()).aggregate(due=Min("run_after"))["due"]
    due = [moment for moment in (asap, later) if moment is not None]
    lag = (now - min(due)).total_seconds() if due else None
    return TaskQueue("DatabaseBackend", ready.count(), lag)


def _tasks(now: datetime) -> Check:
    queue = task_queue(now)
    if queue.backend != "DatabaseBackend":
        return Check("task_queue", Level.OK, queue.backend)
    return lag_check(
        "task_queue", queue.lag_seconds, settings.AUTOLOGIC_READY_LAG_SECONDS, queue.waiting
    )


def outbox_counts() -> dict[tuple[str, str], int]:
    """Messages per clinic (code) and state."""
    rows = Message.objects.values("site__code", "status").annotate(n=Count("id"))
    return {(row["site__code"], row["status"]): row["n"] for row in rows}


# A lot waits for its release decision while any of its units is in one of these states.
AWAITING_RELEASE = ("collected", "processing", "divided", "quarantined")


def oldest_unreleased_lots() -> dict[str, datetime]:
    """Per clinic, when its oldest collection still waiting for a release decision was drawn."""
    rows = (
        Collection.objects.filter(release__isnull=True, units__status__in=AWAITING_RELEASE)
        .values("site__code")
        .annotate(first=Min("collected_at"))
    )
    return {row["site__code"]: row["first"] for row in rows}


def freezer_excursions() -> dict[tuple[str, str], int]:
    """Per clinic: excursions still going on, and those no person has acknowledged."""
    counts: dict[tuple[str, str], int] = {}
    for state, open_only in (("open", True), ("unacknowledged", False)):
        found = Excursion.objects.filter(
            **({"ended_at__isnull": True} if open_only else {"acknowledged_at__isnull": True})
        )
        for row in found.values("freezer__site__code").annotate(n=Count("id")):
            counts[(row["freezer__site__code"], state)] = row["n"]
    return counts


def _outbox(now: datetime) -> list[Check]:
    due = Message.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    first = due.aggregate(first=Min("next_attempt_at"))["first"]
    lag = (now - first).total_seconds() if first else None
    failed = Message.objects.filter(status=Status.FAILED).count()
    return [
        lag_check("outbox_lag", lag, settings.AUTOLOGIC_READY_LAG_SECONDS, due.count()),
        count_check("outbox_failed", failed, "messages needing attention"),
    ]


def readiness(now: datetime) -> list[Check]:
    """Every check `/ready` reports; a dead database ends the list early."""
    database = _database()
    if database.level is Level.FAIL:
        return [database]
    pending = pending_migrations()
    faults = triggers.faults(connection)
    problem = static_problem()
    return [
        database,
        Check(
            "migrations",
            Level.FAIL if pending else Level.OK,
            f"{len(pending)} not applied (first: {pending[0]})" if pending else "all applied",
        ),
        Check(
            "triggers",
            Level.FAIL if faults else Level.OK,
            "; ".join(faults[:3]) if faults else "audit and same-patient triggers in force",
        ),
        Check("static_files", Level.FAIL if problem else Level.OK, problem or "collected"),
        _tasks(now),
        *_outbox(now),
    ]
