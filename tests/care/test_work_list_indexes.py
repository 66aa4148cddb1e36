"""The work lists read through their indexes, so a clinic's history does not slow them.

At 100k patients (bench/load.py --grow-to) the home page took 546 ms and the lab queue 299 ms:
each scanned every appointment of every course. Each list now has an index whose columns (and,
for the open follow-ups, whose condition) its query must match. A query rewritten so that the
index no longer applies passes every other test and is slow again only on a large clinic, so
this asks PostgreSQL's planner, with sequential scans priced out, which index each query uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autologic.dashboard import queries as dashboard_queries
from autologic.injections import queries as injections_queries
from autologic.lab import queries as lab_queries
from autologic.outcomes import queries as outcomes_queries

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plans are PostgreSQL's"
)
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def plans(read: Callable[[], object]) -> str:
    """Every plan of the queries ``read`` runs, with sequential scans priced out."""
    with CaptureQueriesContext(connection) as captured:
        read()
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                if query["sql"].startswith("SELECT"):
                    cursor.execute(f"EXPLAIN {query['sql']}")
                    found.extend(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    return "\n".join(found)


@pytest.mark.parametrize(
    ("name", "read", "index"),
    [
        (
            "the follow-ups owed today (home page)",
            lambda site: outcomes_queries.owed_follow_ups(site, TODAY, first=12),
            "appointment_open_due_",  # by the window's close, or by due date
        ),
        (
            "the injections of the day (bedside)",
            lambda site: injections_queries.day(site, TODAY),
            "appointment_kind_starts_idx",
        ),
        (
            "the collections due (lab queue)",
            lambda site: lab_queries.work_queue(site, NOW),
            "appointment_kind_starts_idx",
        ),
        (
            "the recent collections (lab queue)",
            lambda site: lab_queries.work_queue(site, NOW),
            "collection_recorded_idx",
        ),
    ],
)
def test_a_work_list_reads_through_its_index(site, name, read, index):
    assert index in plans(lambda: read(site)), name


def test_the_coordinators_home_page_reads_only_through_indexes(make_staff):
    coordinator = make_staff("coordinator")
    found = plans(lambda: dashboard_queries.home(coordinator, NOW))
    for index in (
        "appointment_open_due_",  # follow-ups owed
        "course_site_status_idx",  # courses needing attention, waiting
        "patient_site_created_idx",  # newest patients
    ):
        assert index in found
