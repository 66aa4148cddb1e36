"""The home page's follow-ups (``owed_follow_ups``) are the coordinators' list
(``follow_ups``) cut to its oldest rows, with the same total, in a bounded number of queries."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autologic.care import actions as care
from autologic.care.models import Appointment
from autologic.dashboard import queries as dashboard
from autologic.outcomes import queries
from autologic.outcomes.domain.schedule import State
from autologic.patients import actions as patients
from tests.conftest import patient_data, signed_in
from tests.outcomes.conftest import answer_everything, follow_up, hip, knee

pytestmark = pytest.mark.django_db


def _owed(site, day) -> list[int]:
    lists = queries.follow_ups(site, day)
    return [row.appointment.pk for row in lists[State.OVERDUE] + lists[State.DUE]]


@pytest.fixture
def clinic(course, site, physician, start_course):
    """Three knee-and-hip courses, their follow-ups on the same days."""
    for name in ("Okafor", "Lindqvist"):
        other = patients.create_patient(
            site=site, data=patient_data(family_name=name), by=physician
        )
        made = start_course("acs-large-joint", regions=[knee(), hip()], who=other)
        assert care.schedule_course(course=made, by=physician, expected_version=1).ok
    return course


def test_the_home_page_shows_the_oldest_owed_and_counts_them_all(clinic, site):
    days = set()
    for key in ("baseline", "w6", "m3", "m6"):
        point = follow_up(clinic, key)
        days |= {point.due_from, point.due_on, point.due_on + timedelta(days=3), point.due_to}
    for day in sorted(days):
        expected = _owed(site, day)
        for first in (1, 2, 50):
            with CaptureQueriesContext(connection) as counted:
                rows, total = queries.owed_follow_ups(site, day, first=first)
            assert [row.appointment.pk for row in rows] == expected[:first], (day, first)
            assert total == len(expected), day
            assert len(counted) <= 5


def test_a_complete_timepoint_left_open_is_not_owed(clinic, site, submit):
    answer_everything(submit, clinic, "baseline")
    baseline = follow_up(clinic, "baseline")
    assert baseline.status == "done"
    # As data from before timepoints closed themselves would be: complete, yet open.
    Appointment.objects.filter(pk=baseline.pk).update(status="planned")
    expected = _owed(site, baseline.due_on)
    assert baseline.pk not in expected and expected
    rows, total = queries.owed_follow_ups(site, baseline.due_on, first=12)
    assert [row.appointment.pk for row in rows] == expected[:12]
    assert total == len(expected)


def test_the_count_stops_past_its_limit_and_the_home_page_says_more(
    clinic, site, make_staff, fixed_clock, monkeypatch
):
    day = follow_up(clinic, "m3").due_on
    expected = _owed(site, day)
    assert len(expected) == 3  # one timepoint of each course
    rows, total = queries.owed_follow_ups(site, day, first=1, count_to=2)
    assert [row.appointment.pk for row in rows] == expected[:1]
    assert total == 3  # "more than 2"
    assert queries.owed_follow_ups(site, day, first=1, count_to=3)[1] == 3

    monkeypatch.setattr(dashboard, "OWED_COUNTED", 2)
    coordinator = make_staff("coordinator")
    fixed_clock.current = datetime.combine(day, time(9), ZoneInfo(site.time_zone))
    home = dashboard.home(coordinator, fixed_clock.current)
    assert (home.follow_ups_total, home.follow_ups_more) == (2, True)
    html = signed_in(coordinator).get("/").content.decode()
    assert '<span class="badge">2+</span>' in html
    assert "The oldest 3 of more than 2." in html
