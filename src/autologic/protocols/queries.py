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


def protocol_title(code: str, language: str) -> str:
    """A protocol's name (its newest version's title) in the language; the code if unknown."""
    row = ProtocolVersion.objects.filter(code=code).order_by("-version").first()
    return row.protocol.title.get(language) if row is not None else code


def variant_name(code: str, version: int, key: str, language: str) -> str:
    """A protocol variant's name ("Abdominal fat") in the language; the key if unknown."""
    row = ProtocolVersion.objects.filter(code=code, version=version).first()
    found = next((v for v in row.protocol.variants if v.key == key), None) if row else None
    return found.name.get(language) if found is not None else key
