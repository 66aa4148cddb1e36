"""The audit trail pages for managers and administrators."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autologic.accounts.roles import CHART_READERS
from autologic.audit import queries

PHI_OBJECTS = {"patient", "consent"}


def audit_log(request: HttpRequest) -> HttpResponse:
    """Newest audit events of the user's clinic, filterable by action."""
    action = "".join(ch for ch in request.GET.get("action", "")[:64] if ch.isprintable())
    before = request.GET.get("before", "")
    page_size = 50
    events = list(
        queries.site_log(
            request.user.site_id,
            action=action,
            before=int(before) if before.isascii() and before.isdigit() else None,
            limit=page_size,
        )
    )
    older = events[-1].seq if len(events) == page_size else None
    # Before/after values of patient records are PHI: only roles that may read charts see them.
    may_read_charts = request.user.role in CHART_READERS
    for event in events:
        event.shown_changes = (
            event.changes if may_read_charts or event.object_type not in PHI_OBJECTS else None
        )
    context = {"events": events, "action": action, "older": older}
    return render(request, "audit/log.html", context)


def audit_verify(request: HttpRequest) -> HttpResponse:
    """Recompute the hash chain and show the result."""
    report = queries.verify()
    return render(request, "audit/verify.html", {"report": report})
