"""A clerk in a process of its own: connects to the test database and issues invoices at a
barrier, so two clerks really issue at once on PostgreSQL (tests/billing/test_numbering_race)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any


def issue(
    database_url: str, clerk_id: int, course_ids: list[int], now: str, barrier: Any, out: Any
) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autologic.settings_testing")
    import django

    django.setup()
    from autologic.accounts.models import User
    from autologic.billing import actions
    from autologic.care.models import Course
    from autologic.common.domain.errors import DomainError

    clerk = User.objects.get(pk=clerk_id)
    courses = [Course.objects.get(pk=pk) for pk in course_ids]
    barrier.wait(timeout=60)
    for course in courses:
        try:
            invoice = actions.issue_invoice(
                course, recipient_tax_id="12345678Z", by=clerk, now=datetime.fromisoformat(now)
            )
        except DomainError as exc:
            out.put(("refused", course.pk, exc.code))
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            out.put(("error", course.pk, repr(exc)))
        else:
            out.put(("issued", course.pk, invoice.number))
