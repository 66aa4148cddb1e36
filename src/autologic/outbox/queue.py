"""The database task queue's housekeeping: a task whose worker died is run again.

django-tasks' database backend marks a task RUNNING when a worker claims it and never looks at
it again; a worker killed in the middle (kill -9, a power cut) leaves it RUNNING for good.
``autologic worker`` names itself ``host:pid:nonce`` when it claims tasks, so the next round on
the same host can tell a dead worker's task (its process is gone) and put it back in the queue;
a task RUNNING for longer than ``STALE`` is put back whatever its host.  Every task here is safe
to run again: a delivery claims its message first, an export its job."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils.crypto import get_random_string

STALE = timedelta(hours=1)
HOST = socket.gethostname()[:40]


def worker_id() -> str:
    """This process's worker id (django-tasks allows 64 characters; unique across restarts)."""
    return f"{HOST}:{os.getpid()}:{get_random_string(8)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _dead(worker: str, alive: Callable[[int], bool]) -> bool:
    """Whether a worker id names a process of this host that is gone."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    return host == HOST and pid.isdigit() and not alive(int(pid))


def recover_lost_tasks(*, now: datetime, alive: Callable[[int], bool] = _alive) -> int:
    """Put back in the queue each RUNNING task whose worker died; returns how many."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    recovered = 0
    for row in DBTaskResult.objects.running().only("id", "worker_ids", "started_at"):
        last = row.worker_ids[-1] if row.worker_ids else ""
        stale = row.started_at is not None and now - row.started_at > STALE
        if stale or _dead(last, alive):
            recovered += DBTaskResult.objects.filter(
                pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
            ).update(status=TaskResultStatus.READY, started_at=None)
    return recovered
