"""`/ready`: a load balancer's question, answered from the same checks an operator reads.
It fails (503) only when serving would be wrong, and warns (200) when a person is needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from autologic.operations.domain.readiness import Check, Level, count_check, lag_check, verdict
from autologic.outbox.domain import Status
from autologic.outbox.models import Message


def _message(site, *, status: str, due: datetime) -> Message:
    return Message.objects.create(
        site=site,
        channel="email",
        to="patient@example.org",
        body="Your appointment",
        purpose="reminder",
        status=status,
        next_attempt_at=due,
        created_at=due,
        last_error="550 mailbox unavailable" if status == Status.FAILED else "",
    )


def test_ready_when_every_check_passes_and_without_login(client, db):
    response = client.get("/ready")
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "ready"
    assert answer["checks"]["triggers"]["status"] == "ok"
    assert answer["checks"]["migrations"]["detail"] == "all applied"
    assert response["Cache-Control"] == "no-store"


def test_failed_and_late_messages_ask_for_attention_but_keep_serving(client, site):
    now = datetime.now(UTC)
    _message(site, status=Status.FAILED, due=now)
    _message(site, status=Status.PENDING, due=now - timedelta(hours=1))
    response = client.get("/ready")
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "attention"
    assert answer["checks"]["outbox_failed"] == {
        "status": "warn",
        "detail": "messages needing attention: 1",
    }
    assert answer["checks"]["outbox_lag"]["status"] == "warn"
    assert "oldest due 3600 s ago" in answer["checks"]["outbox_lag"]["detail"]
    # Counts only: no address, text or error of any message.
    assert b"example.org" not in response.content and b"550" not in response.content


def test_a_trigger_not_in_force_takes_the_instance_out_of_service(client, db):
    suffix = " ON lab_unit" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP TRIGGER lab_unit_source_immutable{suffix}")
    response = client.get("/ready")
    assert response.status_code == 503
    answer = response.json()
    assert answer["status"] == "not ready"
    assert answer["checks"]["triggers"]["status"] == "fail"
    assert (
        "lab_unit_source_immutable on lab_unit: missing" in answer["checks"]["triggers"]["detail"]
    )


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], (True, "ready")),
        ([Level.OK, Level.OK], (True, "ready")),
        ([Level.OK, Level.WARN], (True, "attention")),
        ([Level.WARN, Level.FAIL], (False, "not ready")),
    ],
)
def test_the_verdict_fails_on_any_failure_and_warns_on_any_warning(levels, expected):
    assert verdict([Check(str(i), level, "") for i, level in enumerate(levels)]) == expected


def test_a_queue_lags_only_past_its_limit():
    assert lag_check("q", None, 300, 0).level is Level.OK
    assert lag_check("q", 299.0, 300, 4).level is Level.OK
    late = lag_check("q", 301.0, 300, 4)
    assert late.level is Level.WARN and late.detail == "4 waiting, oldest due 301 s ago"
    assert count_check("f", 0, "failed").level is Level.OK
    assert count_check("f", 2, "failed").detail == "failed: 2"
