"""Template tags for audit records: signatures wherever a signed record is displayed
(21 CFR 11.50(b)), and events shown with labelled, translated changes."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils.translation import get_language

from autologic.audit.presentation import ChangeRow, Shown, action_label, present
from autologic.audit.queries import signatures_for
from autologic.common.domain.calendars import Calendar

register = template.Library()


@register.inclusion_tag("audit/_signatures.html", takes_context=True)
def signatures(context: template.Context, object_type: str, object_id: object) -> dict[str, Any]:
    """Render the signature manifestations of one record."""
    return {"signatures": signatures_for(object_type, object_id), "request": context.get("request")}


def _shown(context: template.Context) -> Shown:
    request = context.get("request")
    user = getattr(request, "user", None)
    site = getattr(user, "site", None) if user is not None and user.is_authenticated else None
    return Shown(
        calendar=Calendar(site.calendar) if site is not None else Calendar.GREGORIAN,
        zone=ZoneInfo(site.time_zone if site is not None else "UTC"),
        language=get_language() or "en",
    )


@register.simple_tag(takes_context=True)
def event_changes(
    context: template.Context, action: str, changes: dict[str, Any] | None
) -> list[ChangeRow]:
    """An audit event's changes as labelled rows in the clinic's calendar and UI language."""
    return present(action, changes, _shown(context))


@register.filter
def event_title(action: str) -> str:
    """What an audit action code means in the UI language."""
    return action_label(action)
