"""Template context: the navigation a user's role reaches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autologic.accounts.roles import allows, rule_for

NAVIGATION = [
    ("dashboard:home", _("Dashboard"), "home"),
    ("patients:list", _("Patients"), "users"),
    ("audit:log", _("Audit trail"), "shield"),
    ("accounts:staff_list", _("Staff"), "badge"),
    ("accounts:site_settings", _("Clinic settings"), "settings"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """List the menu entries the signed-in, verified user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"nav_items": [], "site": None}
    items = [
        {"url_name": name, "label": label, "icon": icon}
        for name, label, icon in NAVIGATION
        if allows(rule_for(name, "GET"), user.role)
    ]
    current = request.resolver_match.namespace if request.resolver_match else ""
    for item in items:
        item["active"] = item["url_name"].split(":")[0] == current
    return {"nav_items": items, "site": user.site}
