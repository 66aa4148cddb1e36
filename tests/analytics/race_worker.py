"""A manager in a process of its own: connects to the test database and asks for the clinic's
claims check at a barrier, so several really ask at once on PostgreSQL
(tests/analytics/test_claims_check_race)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any


def ask(database_url: str, user_id: int, now: str, barrier: Any, out: Any) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autologic.settings_testing")
    import django

    django.setup()
    from autologic.accounts.models import User
    from autologic.analytics import actions

    user = User.objects.select_related("site").get(pk=user_id)
    barrier.wait(timeout=60)
    try:
        check = actions.request_claims_check(
            site=user.site, by=user, now=datetime.fromisoformat(now)
        )
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        out.put(("error", repr(exc)))
    else:
        out.put(("asked", check.pk))
