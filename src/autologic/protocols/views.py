"""Protocol library pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from autologic.protocols import queries
from autologic.protocols.models import ProtocolVersion


def protocol_list(request: HttpRequest) -> HttpResponse:
    """Every loaded protocol version."""
    return render(request, "protocols/list.html", {"rows": queries.all_versions()})


def protocol_detail(request: HttpRequest, protocol_id: int) -> HttpResponse:
    """One protocol version in full: steps, injections, follow-up, rules, prices."""
    row = ProtocolVersion.objects.filter(pk=protocol_id).first()
    if row is None:
        raise Http404
    currency = request.user.site.currency
    context = {"row": row, "p": row.protocol, "currency": currency}
    return render(request, "protocols/detail.html", context)
