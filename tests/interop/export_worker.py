"""A task worker in a process of its own, running one FHIR export slowly (a pause per page) so
the test can kill it with SIGKILL in the middle (tests/interop/test_export)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime


def run_slowly(database_url: str, data_dir: str, job_id: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["AUTOLOGIC_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autologic.settings_testing")
    import django

    django.setup()
    from django.conf import settings

    from autologic.interop import exports

    settings.DATA_DIR = data_dir
    beat = exports._heartbeat

    def slow(directory, resource_type, done) -> None:  # type: ignore[no-untyped-def]
        beat(directory, resource_type, done)
        time.sleep(0.05)

    exports._heartbeat = slow  # type: ignore[assignment]
    exports.run_export_job(job_id, now=datetime.now(UTC), file_bytes=2048, batch=2)
