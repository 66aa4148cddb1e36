"""SMART on FHIR system scopes (v1 grammar): ``system/<Type|*>.<read|write|*>`` and
``system/$export``.  A machine client is registered with a set of them; a token carries a
subset; every request checks one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from autologic.common.domain.errors import ValidationFailed

EXPORT = "system/$export"
_SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<mode>read|write|\*)$")


@dataclass(frozen=True, order=True)
class Scope:
    """One grant: a resource type (or ``*``) and a mode (``read``, ``write`` or ``*``), or the
    right to start a bulk export (``type == "$export"``)."""

    type: str
    mode: str

    def __str__(self) -> str:
        return EXPORT if self.type == "$export" else f"system/{self.type}.{self.mode}"

    def grants(self, resource_type: str, mode: str) -> bool:
        if "$export" in (self.type, resource_type):  # only system/$export grants an export
            return self.type == resource_type
        return self.type in ("*", resource_type) and self.mode in ("*", mode)


def parse(text: str | Iterable[str], known_types: Iterable[str]) -> frozenset[Scope]:
    """Scopes from a space-separated string (or a list); an unknown or malformed one is refused,
    naming it, so a typo never silently grants less (or more) than meant."""
    words = text.split() if isinstance(text, str) else [w for s in text for w in s.split()]
    known = set(known_types)
    scopes = set()
    for word in words:
        if word == EXPORT:
            scopes.add(Scope("$export", "*"))
            continue
        match = _SCOPE.match(word)
        if match is None or (match["type"] != "*" and match["type"] not in known):
            raise ValidationFailed(
                "unknown_scope",
                f"{word} is not a scope this server grants; use system/<Type>.read, "
                "system/<Type>.write, system/*.read or system/$export.",
                field="scope",
                data={"scope": word},
            )
        scopes.add(Scope(match["type"], match["mode"]))
    if not scopes:
        raise ValidationFailed("no_scope", "Name at least one scope.", field="scope")
    return frozenset(scopes)


def render(scopes: Iterable[Scope]) -> str:
    """Scopes as the space-separated string OAuth uses, in a stable order."""
    return " ".join(sorted(str(s) for s in scopes))


def allows(scopes: Iterable[Scope], resource_type: str, mode: str) -> bool:
    """Whether any of the scopes grants ``mode`` on ``resource_type``."""
    return any(s.grants(resource_type, mode) for s in scopes)
