"""Demo outcomes: baseline questionnaires the first Düsseldorf patients filled in on the clinic
tablet, so the follow-up lists and outcome charts have something to show.  Demo mode only."""

from __future__ import annotations

from typing import Any

from autologic.accounts.models import Site, User
from autologic.care.models import Appointment, Course
from autologic.common import clock
from autologic.common.clock import local_today
from autologic.outcomes import actions, queries
from autologic.outcomes.models import Response

# Course position -> answers per instrument (every item of KOOS/HOOS at one value; NRS as is).
BASELINES: dict[str, list[dict[str, int]]] = {
    "dus": [{"NRS": 7, "KOOS": 3, "HOOS": 3}, {"NRS": 6}],
}
LAYOUTS = {
    "KOOS": {"P": 9, "S": 7, "A": 17, "SP": 5, "Q": 4},
    "HOOS": {"S": 5, "P": 10, "A": 17, "SP": 4, "Q": 4},
}


def _answers(instrument: str, value: int) -> dict[str, int | None]:
    if instrument in LAYOUTS:
        layout = LAYOUTS[instrument]
        answers: dict[str, int | None] = {
            f"{p}{n}": value for p, c in layout.items() for n in range(1, c + 1)
        }
        # Real forms have gaps and spread: vary a few items, leave one blank.
        answers[f"{next(iter(layout))}1"] = max(0, value - 1)
        answers["Q4"] = None
        return answers
    return {"PAIN": value}


def seed_outcomes(site: Site, staff: dict[str, User]) -> None:
    """Submit the seeded baseline questionnaires that are due and not yet in."""
    plans: list[dict[str, Any]] = list(BASELINES.get(site.code, []))
    courses = list(Course.objects.filter(site=site).order_by("pk")[: len(plans)])
    today = local_today(site.time_zone)
    for course, plan in zip(courses, plans, strict=False):
        baseline = Appointment.objects.filter(course=course, key="fu-baseline").first()
        if baseline is None or baseline.due_from is None or baseline.due_from > today:
            continue
        for region_id, instruments in queries.due_at(baseline).items():
            region = course.regions.get(pk=region_id)
            for instrument in instruments:
                if (
                    instrument not in plan
                    or Response.objects.filter(
                        appointment=baseline, region=region, instrument=instrument
                    ).exists()
                ):
                    continue
                entry = actions.Entry(
                    instrument=instrument,
                    answers=_answers(instrument, plan[instrument]),
                    completed_on=today,
                    language=course.patient.preferred_language or "en",
                    mode="tablet",
                    region=region,
                    appointment=baseline,
                )
                actions.submit_response(
                    course.patient, entry, by=None, staff_entered=False, now=clock.now()
                )
