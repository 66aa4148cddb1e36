"""The audit trail pages for managers and administrators."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autologic.audit import queries


def audit_log(request: HttpRequest) -> HttpResponse:
    """Newest audit events of the user's clinic, filterable by action."""
    action = request.GET.get("action", "")[:64]
    events = queries.site_log(request.user.site_id, action=action)
    return render(request, "audit/log.html", {"events": events, "action": action})


def audit_verify(request: HttpRequest) -> HttpResponse:
    """Recompute the hash chain and show the result."""
    report = queries.verify()
    return render(request, "audit/verify.html", {"report": report})
