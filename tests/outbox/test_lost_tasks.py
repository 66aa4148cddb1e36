"""A task whose worker died is queued again by the next round: django-tasks' database backend
would leave it RUNNING for good.  A task of a live worker, or of another host's worker that has
not run for long, is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from autologic.outbox import queue, tasks

pytestmark = pytest.mark.django_db


def running(worker: str, started_ago: timedelta) -> DBTaskResult:
    result = tasks.deliver.enqueue(1)
    row = DBTaskResult.objects.get(pk=result.id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=[worker],
        started_at=timezone.now() - started_ago,
    )
    return row


def test_only_a_dead_workers_task_and_a_stale_one_are_queued_again() -> None:
    now = timezone.now()
    dead = running(f"{queue.HOST}:4000001:abcdefgh", timedelta(seconds=5))
    live = running(f"{queue.HOST}:4000002:abcdefgh", timedelta(seconds=5))
    elsewhere = running("other-host:4000001:abcdefgh", timedelta(minutes=5))
    stale = running("other-host:4000003:abcdefgh", queue.STALE + timedelta(minutes=1))
    assert queue.recover_lost_tasks(now=now, alive=lambda pid: pid == 4000002) == 2
    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status[dead.pk] == status[stale.pk] == TaskResultStatus.READY
    assert status[live.pk] == status[elsewhere.pk] == TaskResultStatus.RUNNING
    assert queue.recover_lost_tasks(now=now, alive=lambda pid: pid == 4000002) == 0
    assert DBTaskResult.objects.ready().filter(pk__in=[dead.pk, stale.pk]).count() == 2


def test_this_process_is_alive_and_its_id_fits_the_queue() -> None:
    import os

    ident = queue.worker_id()
    assert len(ident) <= 64 and ident.split(":")[1] == str(os.getpid())
    assert not queue._dead(ident, queue._alive)
