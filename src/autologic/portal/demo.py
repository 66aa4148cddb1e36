"""Demo portal links: one patient link per demo clinic that has questionnaires owed, printed with
the logins so the patient's side can be tried at once. Demo mode only."""

from __future__ import annotations

from autologic.accounts.models import Site
from autologic.care.models import Appointment
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.outcomes import queries
from autologic.portal import actions


def demo_link(site: Site) -> tuple[str, str] | None:
    """(patient, URL) of a fresh link to the first owed baseline, in a language it can go in."""
    for appointment in (
        Appointment.objects.filter(course__site=site, key="fu-baseline")
        .exclude(status__in=("done", "cancelled", "missed"))
        .select_related("course__patient", "course__site", "course__protocol")
        .order_by("course_id")
    ):
        if not queries.outstanding(appointment):
            continue
        patient = appointment.course.patient
        for language in dict.fromkeys([patient.preferred_language or "en", "en"]):
            try:
                issued = actions.issue_link(
                    appointment, language=language, by=None, now=clock.now()
                )
            except DomainError:
                continue
            return f"{patient.given_name} {patient.family_name} ({language})", issued.url
    return None
