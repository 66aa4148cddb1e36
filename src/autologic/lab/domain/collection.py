"""What is wrong with a collection as typed: its fields and its time, checked together.

Every problem is listed at once, each naming its field, so a form shows them all in one pass;
the gate before collection (``clinical.domain.gates``) adds its blocked checks to the same list.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

CLOCK_SKEW = timedelta(minutes=5)  # a device clock a little ahead is not "the future"


@dataclass(frozen=True)
class Problem:
    """One reason a collection cannot be recorded; ``field`` is empty for the whole record."""

    field: str
    code: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


def entry_problems(
    *,
    collected_at: datetime | None,
    volume_ml: Decimal | None,
    containers: int | None,
    course_created_at: datetime,
    now: datetime,
) -> list[Problem]:
    """Field and time problems of a collection; a value that is missing is not checked here."""
    problems = []
    if collected_at is not None and collected_at > now + CLOCK_SKEW:
        problems.append(
            Problem("collected_at", "collected_in_future", "The collection time is in the future.")
        )
    # Times are typed to the minute: a collection in the minute the course was created is not
    # before it.
    if collected_at is not None and collected_at < course_created_at.replace(
        second=0, microsecond=0
    ):
        problems.append(
            Problem(
                "collected_at",
                "collected_before_course",
                "The collection time is before the treatment course was created.",
                {"created_at": course_created_at},
            )
        )
    if volume_ml is not None and volume_ml <= 0:
        problems.append(Problem("volume_ml", "volume", "The volume must be more than 0 mL."))
    if containers is not None and containers < 1:
        problems.append(Problem("containers", "containers", "At least one container."))
    return problems
