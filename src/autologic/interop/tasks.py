"""The FHIR API's background work, on the configured task queue."""

from __future__ import annotations

from django_tasks import task

from autologic.common import clock
from autologic.interop import exports


@task()
def run_fhir_export(job_id: str) -> str:
    """Run one queued Bulk Data export."""
    return exports.run_export_job(job_id, now=clock.now()).status
