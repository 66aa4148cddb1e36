"""Background work of the outbox, on the configured task queue (database by default, or RQ)."""

from __future__ import annotations

from django_tasks import task

from autologic.common import clock
from autologic.outbox import actions


@task()
def deliver(message_id: int) -> str:
    """Try one message now; a failure schedules the next try itself."""
    return actions.deliver(message_id, now=clock.now())


@task()
def deliver_due() -> dict[str, int]:
    """Send everything that is due: the safety net behind lost or delayed tasks."""
    return actions.deliver_due(now=clock.now())
