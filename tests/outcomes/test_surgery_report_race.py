"""Staff checking off the same reported surgery at once: real processes on PostgreSQL, each with
its own connection, meeting at a barrier.  One check is recorded and audited; every other is
refused as already checked; none fails or deadlocks."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest
from django.db import connection

from autologic.audit.models import AuditEvent
from autologic.outcomes.models import SurgeryReportCheck
from tests.outcomes.race_worker import dismiss

pytestmark = [pytest.mark.django_db(transaction=True)]
CHECKERS = 4


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def test_staff_checking_one_report_at_once_record_one_check(course, submit, make_staff) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a race between processes needs PostgreSQL")
    answer = submit(course, "w6", "knee", "FOLLOWUP", {"ACTIVITIES": 1, "SURGERY": 1})
    staff = [make_staff("physician", username=f"doctor-{i}") for i in range(CHECKERS)]
    connection.close()  # the children open their own connections
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(CHECKERS), context.Queue()
    now = datetime(2027, 3, 2, 9, tzinfo=UTC).isoformat()
    workers = [
        context.Process(target=dismiss, args=(database_url(), s.pk, answer.pk, now, barrier, out))
        for s in staff
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    results = sorted(out.get(timeout=5) for _ in range(CHECKERS))
    assert [r for r in results if r[0] == "error"] == []
    assert [r[0] for r in results].count("checked") == 1
    assert [r for r in results if r[0] == "refused"] == [("refused", "report_checked")] * (
        CHECKERS - 1
    )
    assert SurgeryReportCheck.objects.filter(response=answer).count() == 1
    assert AuditEvent.objects.filter(action="surgery_report.dismiss").count() == 1
