"""Views that belong to no feature: health, the favicon, and the error pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string


def health(request: HttpRequest) -> JsonResponse:
    """Report liveness and database reachability, without touching any patient data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "degraded", "database": database}, status=status
    )


@cache
def _favicon() -> bytes:
    return (Path(__file__).resolve().parent.parent / "static/autologic/favicon.ico").read_bytes()


def favicon(request: HttpRequest) -> HttpResponse:
    """The site icon at the address browsers ask for first; no login needed."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Refused: the user's role does not reach this page."""
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Nothing here."""
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    """An unexpected failure; details are in the server log, not the page.

    Rendered without the request, so no context processor touches a database that may be down.
    """
    return HttpResponse(render_to_string("errors/500.html"), status=500)
