"""One error type for rules that refuse an operation; views map it once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class DomainError(Exception):
    """A refused operation: a stable code, a human message and optional field-level data."""

    code: str
    message: str
    field: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


class PermissionRefused(DomainError):
    """The actor may not do this."""


class Unauthenticated(DomainError):
    """The caller did not prove who it is (no, expired or unknown credentials): HTTP 401."""


class ValidationFailed(DomainError):
    """An input value breaks a rule; ``field`` names it."""


class ConflictError(DomainError):
    """Someone else changed the record first."""


class MultipleMatches(DomainError):
    """A conditional request's criterion matches more than one record (HTTP 412)."""


class NotFound(DomainError):
    """No such record where the actor may see it; ``field`` names the identifier."""


class BadQuery(ValidationFailed):
    """A request's query is malformed or asks for what is not supported (HTTP 400); ``field``
    names the parameter."""
