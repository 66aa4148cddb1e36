"""A member of staff in a process of its own: connects to the test database and checks off a
patient's reported surgery at a barrier, so several really act at once on PostgreSQL
(tests/outcomes/test_surgery_report_race)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any


def dismiss(
    database_url: str, user_id: int, response_id: int, now: str, barrier: Any, out: Any
) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autologic.settings_testing")
    import django

    django.setup()
    from autologic.accounts.models import User
    from autologic.common.domain.errors import DomainError
    from autologic.outcomes import actions
    from autologic.outcomes.models import Response

    user = User.objects.select_related("site").get(pk=user_id)
    patient = Response.objects.select_related("patient").get(pk=response_id).patient
    barrier.wait(timeout=60)
    try:
        check = actions.dismiss_surgery_report(
            patient=patient,
            response_id=response_id,
            note=f"Phoned the patient ({user.username}): no operation.",
            by=user,
            now=datetime.fromisoformat(now),
        )
    except DomainError as refused:
        out.put(("refused", refused.code))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        out.put(("error", repr(exc)))
    else:
        out.put(("checked", check.pk))
