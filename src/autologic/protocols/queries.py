"""Read side for protocols."""

from __future__ import annotations

from django.db.models import QuerySet

from autologic.protocols.models import ProtocolVersion


def active() -> QuerySet[ProtocolVersion]:
    """Active protocol versions, newest version of each code first."""
    return ProtocolVersion.objects.filter(status="active").order_by("code", "-version")


def latest_active() -> list[ProtocolVersion]:
    """The newest active version of every protocol code."""
    seen: dict[str, ProtocolVersion] = {}
    for row in active():
        seen.setdefault(row.code, row)
    return list(seen.values())


def all_versions() -> QuerySet[ProtocolVersion]:
    """Every loaded version, for the protocol library page."""
    return ProtocolVersion.objects.order_by("code", "-version")
