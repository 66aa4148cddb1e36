"""The idle logoff slides with activity, but an active session is written at most once a
minute: a page view is not a database write (bench/load.py measured it on every request)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from autologic.common.clock import set_clock
from autologic.common.domain.clock import FixedClock
from tests.conftest import signed_in


def _session_writes(queries: CaptureQueriesContext) -> int:
    return sum(
        q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
        for q in queries.captured_queries
    )


def test_an_active_session_is_written_at_most_once_a_minute(physician):
    client = signed_in(physician)
    clock = FixedClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    previous = set_clock(clock)
    try:
        key = client.session.session_key
        with CaptureQueriesContext(connection) as first:
            assert client.get("/patients/").status_code == 200
        assert _session_writes(first) == 1  # the first request slides the expiry
        expiry = Session.objects.get(pk=key).expire_date
        left = (expiry - timezone.now()).total_seconds()
        assert settings.SESSION_COOKIE_AGE - 5 <= left <= settings.SESSION_COOKIE_AGE
        clock.current += timedelta(seconds=59)
        with CaptureQueriesContext(connection) as soon:
            assert client.get("/patients/").status_code == 200
        assert _session_writes(soon) == 0
        clock.current += timedelta(seconds=2)
        with CaptureQueriesContext(connection) as later:
            assert client.get("/patients/").status_code == 200
        assert _session_writes(later) == 1
        assert Session.objects.get(pk=key).expire_date >= expiry
    finally:
        set_clock(previous)


def test_a_session_left_alone_still_ends_after_the_idle_time(physician):
    client = signed_in(physician)
    assert client.get("/patients/").status_code == 200
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    answer = client.get("/patients/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
