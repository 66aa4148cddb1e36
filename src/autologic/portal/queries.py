"""Read side of the portal for staff: a patient's follow-ups with their links and what is held."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from autologic.clinical.models import AffectedRegion
from autologic.outcomes import queries as outcomes
from autologic.outcomes.domain.schedule import State
from autologic.patients.models import Patient
from autologic.portal import actions, texts
from autologic.portal.domain import Refusal
from autologic.portal.models import Link, Reminder


@dataclass
class OwedTimepoint:
    """A follow-up with questionnaires still owed, the links sent for it and the gate's verdicts."""

    row: outcomes.FollowUpRow
    links: list[Link] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    sendable: list[tuple[AffectedRegion, str]] = field(default_factory=list)
    held: list[tuple[AffectedRegion, str, Refusal]] = field(default_factory=list)


def owed(patient: Patient, today: date, language: str) -> list[OwedTimepoint]:
    """The patient's due and overdue follow-ups, each with its links and the gate's answer."""
    lists = outcomes.follow_ups(patient.site, today, patient=patient)
    rows = lists[State.DUE] + lists[State.OVERDUE]
    ids = [r.appointment.pk for r in rows]
    links: dict[int, list[Link]] = {}
    for link in Link.objects.filter(appointment_id__in=ids).select_related("created_by"):
        links.setdefault(link.appointment_id, []).append(link)
    reminders: dict[int, list[Reminder]] = {}
    for reminder in Reminder.objects.filter(appointment_id__in=ids).select_related("message"):
        reminders.setdefault(reminder.appointment_id, []).append(reminder)
    regions = {r.pk: r for r in AffectedRegion.objects.filter(assessment__patient=patient)}
    available = texts.languages(patient.site)
    licensed = texts.cleared(patient.site, today)
    out = []
    for row in rows:
        ok, held = actions.publishable(
            row.appointment, language, today, available=available, licensed=licensed
        )
        out.append(
            OwedTimepoint(
                row,
                links.get(row.appointment.pk, []),
                reminders.get(row.appointment.pk, []),
                [(regions[r], i) for r, i in ok],
                [(regions[r], i, why) for r, i, why in held],
            )
        )
    return out
