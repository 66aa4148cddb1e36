"""The one place where a refused operation (a ``DomainError``) gets its HTTP status, its stable
code and its message in the user's language.  The JSON API (``api_errors``) and the FHIR API
(``interop.outcomes``) both answer from the ``Refusal`` this returns; pages show the same
``message`` beside the field it names (``common.forms.add_domain_error``)."""

from __future__ import annotations

from dataclasses import dataclass

from autologic.common.domain.errors import (
    BadQuery,
    ConflictError,
    DomainError,
    MultipleMatches,
    NotFound,
    PermissionRefused,
    Unauthenticated,
)
from autologic.common.messages import message_for


@dataclass(frozen=True)
class Refusal:
    """How a refusal is answered over HTTP.  ``issue`` is the FHIR issue type (R4 value set
    ``issue-type``) for the same status."""

    status: int
    code: str
    message: str
    field: str | None
    issue: str


# Most specific first: BadQuery is a ValidationFailed.
_BY_KIND: tuple[tuple[type[DomainError], int, str], ...] = (
    (Unauthenticated, 401, "login"),
    (PermissionRefused, 403, "forbidden"),
    (NotFound, 404, "not-found"),
    (ConflictError, 409, "conflict"),
    (MultipleMatches, 412, "multiple-matches"),
    (BadQuery, 400, "invalid"),
)


def refusal_for(exc: DomainError) -> Refusal:
    """The status, code and translated message of a refused operation."""
    status, issue = 422, "business-rule"
    for kind, kind_status, kind_issue in _BY_KIND:
        if isinstance(exc, kind):
            status, issue = kind_status, kind_issue
            break
    if exc.code == "not_supported":
        issue = "not-supported"
    return Refusal(status, exc.code, message_for(exc), exc.field, issue)
