"""The home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autologic.common import clock
from autologic.dashboard import queries


def home(request: HttpRequest) -> HttpResponse:
    """Each role's work for today: sessions, lab steps, follow-ups or the clinic's holds."""
    now = clock.now()
    return render(
        request, "dashboard/home.html", {"home": queries.home(request.user, now), "now": now}
    )
