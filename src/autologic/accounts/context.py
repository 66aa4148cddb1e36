"""Template context: the navigation a user's role reaches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autologic.accounts.roles import allows, rule_for

# (URL name, label, view-name prefix of the pages the entry stands for)
NAVIGATION = [
    ("dashboard:home", _("Dashboard"), "dashboard:"),
    ("patients:list", _("Patients"), "patients:"),
    ("care:courses", _("Courses"), "care:course"),
    ("care:calendar", _("Calendar"), "care:calendar"),
    ("lab:queue", _("Lab"), "lab:"),
    ("injections:today", _("Bedside"), "injections:"),
    ("outcomes:follow_ups", _("Follow-ups"), "outcomes:"),
    ("adverse_events:list", _("Adverse events"), "adverse_events:"),
    ("billing:home", _("Billing"), "billing:"),
    ("analytics:registry", _("Outcome registry"), "analytics:"),
    ("protocols:list", _("Protocols"), "protocols:"),
    ("care:resources", _("Resources"), "care:resource"),
    ("outbox:attention", _("Messages"), "outbox:"),
    ("audit:log", _("Audit trail"), "audit:"),
    ("accounts:staff_list", _("Staff"), "accounts:staff"),
    ("accounts:site_settings", _("Clinic settings"), "accounts:site"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """List the menu entries the signed-in, verified user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"nav_items": [], "site": None}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [
        {"url_name": name, "label": label, "active": current.startswith(prefix)}
        for name, label, prefix in NAVIGATION
        if allows(rule_for(name, "GET"), user.role)
    ]
    return {"nav_items": items, "site": user.site}
