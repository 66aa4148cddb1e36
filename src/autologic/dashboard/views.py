"""The home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autologic.common import clock
from autologic.dashboard.queries import overview


def home(request: HttpRequest) -> HttpResponse:
    """The clinic at a glance, for every staff role."""
    return render(request, "dashboard/home.html", {"overview": overview(request.user, clock.now())})
