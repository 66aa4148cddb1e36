"""`/ready`: may this instance take traffic?  Counts and states only, never patient data."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from autologic.common import clock
from autologic.operations.domain.readiness import verdict
from autologic.operations.queries import readiness


def ready(request: HttpRequest) -> JsonResponse:
    """200 when every check passes or only warns, 503 when one fails (docs/operations.md)."""
    checks = readiness(clock.now())
    ok, status = verdict(checks)
    return JsonResponse(
        {
            "status": status,
            "checks": {c.name: {"status": str(c.level), "detail": c.detail} for c in checks},
        },
        status=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )
