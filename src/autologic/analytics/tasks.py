"""The registry's background work, on the configured task queue (database by default, or RQ)."""

from __future__ import annotations

from django_tasks import task

from autologic.analytics import actions
from autologic.common import clock


@task()
def run_export(job_id: int) -> str:
    """Make one queued research export."""
    return actions.run_export_job(job_id, now=clock.now()).status


@task()
def run_claims_check(check_id: int) -> str:
    """Measure one queued claims check."""
    return actions.run_claims_check_job(check_id, now=clock.now()).status
