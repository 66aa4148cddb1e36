"""Portal fixtures: the outcomes course (knee + hip), a link issued for a follow-up."""

from __future__ import annotations

import pytest

from autologic.portal import actions
from tests.outbox.conftest import smtp  # noqa: F401
from tests.outcomes.conftest import (  # noqa: F401
    NOW,
    course,
    fixed_clock,
    follow_up,
    hip,
    knee,
    nurse_user,
    region,
    resources,
    start_course,
    submit,
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def baseline(course):
    return follow_up(course, "baseline")


@pytest.fixture
def issued(baseline, nurse_user, fixed_clock):
    """An English link to the baseline questionnaires (NRS and KOOS/HOOS for each region)."""
    return actions.issue_link(baseline, language="en", by=nurse_user, now=fixed_clock.now())


@pytest.fixture
def manager(make_staff):
    return make_staff("manager")
