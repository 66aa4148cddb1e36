"""Managers asking for the claims check at once: real processes on PostgreSQL, each with its
own connection, meeting at a barrier.  One check is queued; everyone joins it; none fails."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest
from django.db import connection

from autologic.analytics.models import ClaimsCheck
from autologic.audit.models import AuditEvent
from tests.analytics.race_worker import ask

pytestmark = [pytest.mark.django_db(transaction=True)]
ASKERS = 4


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def test_managers_asking_at_once_share_one_check(site, make_staff) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a race between processes needs PostgreSQL")
    managers = [make_staff("manager", username=f"manager-{i}") for i in range(ASKERS)]
    connection.close()  # the children open their own connections
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(ASKERS), context.Queue()
    now = datetime(2027, 1, 2, 9, tzinfo=UTC).isoformat()
    workers = [
        context.Process(target=ask, args=(database_url(), m.pk, now, barrier, out))
        for m in managers
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    results = [out.get(timeout=5) for _ in range(ASKERS)]
    assert [r for r in results if r[0] == "error"] == []
    check = ClaimsCheck.objects.get()
    assert {r[1] for r in results} == {check.pk}
    assert AuditEvent.objects.filter(action="registry.claims_check_request").count() == 1
