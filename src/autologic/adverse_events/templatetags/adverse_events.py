"""Adverse events on other apps' pages: the patient chart, the course, the dashboard's alerts.

The patient, care and lab apps may not import this one (import-linter), and their views stay
unaware of it: their templates load this library instead, so each page gets one extra query,
made only for roles that may read adverse events.  (The chart's history also lists the events'
audit entries, but as raw changes; this card shows term, grade, seriousness and outcome.)
"""

from __future__ import annotations

from typing import Any

from django import template

from autologic.accounts.roles import allows, rule_for
from autologic.adverse_events import queries

register = template.Library()


def _may(context: template.Context, url_name: str, method: str = "GET") -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return allows(rule_for(url_name, method), user.role)


@register.inclusion_tag("adverse_events/_card.html", takes_context=True)
def adverse_events_card(
    context: template.Context, patient: Any, course: Any = None
) -> dict[str, Any]:
    """A patient's adverse events (or one course's), with a link to record a new one."""
    if not _may(context, "adverse_events:detail"):
        return {"shown": False}
    rows = list(
        queries.for_patient(patient.pk, course_id=course.pk if course is not None else None)
    )
    return {
        "shown": True,
        "rows": rows,
        "patient": patient,
        "course": course,
        "request": context.get("request"),
    }


@register.inclusion_tag("adverse_events/_alerts.html", takes_context=True)
def adverse_event_alerts(context: template.Context) -> dict[str, Any]:
    """The signed-in physician's or manager's unacknowledged alerts of serious events."""
    if not _may(context, "adverse_events:acknowledge", "POST"):
        return {"alerts": []}
    request = context["request"]
    return {"alerts": queries.open_alerts(request.user), "request": request}
