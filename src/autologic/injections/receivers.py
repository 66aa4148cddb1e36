"""Reserve aliquots when a lot is released, a course is (re)planned or units expire, in that
transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from autologic.care.signals import course_planned
from autologic.injections.actions import reserve_for_course
from autologic.lab.signals import units_expired, units_released


@receiver(units_released)
@receiver(units_expired)
@receiver(course_planned)
def reserve(sender: Any, *, course: Any, by: Any, now: Any, **_: Any) -> None:
    reserve_for_course(course, by=by, now=now)
