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


@dataclass(frozen=True)
class Harvest:
    """What the harvest record says beyond the specimen (seed 003): when the patient last ate
    or drank, the anaesthesia and sedation given, and the discharge from the recovery room."""

    last_intake_at: datetime | None = None
    anaesthesia: str = ""  # none | local | local_sedation
    sedation_agent: str = ""
    discharged_at: datetime | None = None


@dataclass(frozen=True)
class HarvestNeeds:
    """What the protocol asks of a harvest: hours of fasting, the anaesthesia, recovery time."""

    fasting_h: float | None = None
    anaesthesia: str = "none"
    recovery_min: int = 0

    @property
    def asks(self) -> bool:
        """Whether the collection form shows the harvest fields at all."""
        return bool(self.fasting_h) or self.anaesthesia != "none" or self.recovery_min > 0


def harvest_problems(
    needs: HarvestNeeds, harvest: Harvest, *, collected_at: datetime | None, now: datetime
) -> list[Problem]:
    """Every way the harvest record breaks the protocol or time: a missing or too short fast
    (sedation needs an empty stomach), anaesthesia not recorded, sedation without its agent, a
    discharge before the harvest or in the future.  A recovery shorter than planned is recorded,
    not refused (the page says "about 20 minutes")."""
    problems = []
    if needs.fasting_h:
        if harvest.last_intake_at is None:
            problems.append(
                Problem(
                    "last_intake_at",
                    "fasting_not_recorded",
                    f"Record when the patient last ate or drank ({needs.fasting_h:g} h fasting).",
                    {"hours": f"{needs.fasting_h:g}"},
                )
            )
        elif collected_at is not None and harvest.last_intake_at > collected_at:
            problems.append(
                Problem(
                    "last_intake_at",
                    "intake_after_collection",
                    "The last food or drink is after the collection time.",
                )
            )
        elif collected_at is not None:
            fasted = collected_at - harvest.last_intake_at
            if fasted < timedelta(hours=needs.fasting_h):
                hours = fasted.total_seconds() / 3600
                problems.append(
                    Problem(
                        "last_intake_at",
                        "fasting_too_short",
                        f"The patient fasted {hours:.1f} h; the protocol asks for "
                        f"{needs.fasting_h:g} h before the harvest.",
                        {"fasted": f"{hours:.1f}", "hours": f"{needs.fasting_h:g}"},
                    )
                )
    if needs.anaesthesia != "none" and not harvest.anaesthesia:
        problems.append(
            Problem("anaesthesia", "anaesthesia_not_recorded", "Record the anaesthesia given.")
        )
    if harvest.anaesthesia == "local_sedation" and not harvest.sedation_agent.strip():
        problems.append(
            Problem(
                "sedation_agent",
                "sedation_agent_missing",
                "Name the sedation agent and dose.",
            )
        )
    if harvest.discharged_at is not None:
        if collected_at is not None and harvest.discharged_at < collected_at:
            problems.append(
                Problem(
                    "discharged_at",
                    "discharged_before_collection",
                    "The discharge from the recovery room is before the collection.",
                )
            )
        elif harvest.discharged_at > now + CLOCK_SKEW:
            problems.append(
                Problem(
                    "discharged_at",
                    "discharged_in_future",
                    "The discharge time is in the future.",
                )
            )
    return problems
