"""The one place where refused API requests become JSON, and the schemas that document them.

Two bodies, one per kind of refusal, so the OpenAPI schema can state each exactly:
- who you are (401, 403): ``{"detail": "<message>"}``, as the role middleware and the CSRF check
  answer before any operation runs;
- what you sent (400, 404, 409, 422): ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``,
  one entry per problem; ``loc`` starts with where it is (``body``, ``path``, ``query``) and then
  names the field.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from autologic.common.domain.errors import DomainError
from autologic.common.refusals import refusal_for


class Candidate(Schema):
    """A registered patient the request may duplicate."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    date_of_birth: str


class Problem(Schema):
    """One thing wrong with a request."""

    loc: list[str | int]
    msg: str
    type: str
    candidates: list[Candidate] | None = Field(
        None, description="Only with `possible_duplicate`: the patients it may duplicate."
    )


class Problems(Schema):
    """What was wrong with the request (400, 404, 409, 422)."""

    detail: list[Problem]


class Refusal(Schema):
    """Why the caller may not do this (401: sign in with a second factor; 403: role or CSRF)."""

    detail: str


# Every operation sits behind the role middleware: any of them can answer 401 and 403.
_ALWAYS = (401, 403)


def error_responses(*statuses: int) -> dict[int, type[Schema]]:
    """The error answers an operation documents: the given statuses plus 401 and 403."""
    return {
        status: Refusal if status in _ALWAYS else Problems
        for status in sorted({*statuses, *_ALWAYS})
    }


class FormErrors(Exception):
    """A form rejected API input; carries Django's per-field error data."""

    def __init__(self, errors: dict[str, list[dict[str, Any]]]):
        super().__init__("invalid input")
        self.errors = errors


def _problems(
    request: HttpRequest, api: NinjaAPI, problems: list[dict[str, Any]], status: int
) -> HttpResponse:
    return api.create_response(request, {"detail": problems}, status=status)


def _schema_problem(error: dict[str, Any]) -> dict[str, Any]:
    """A schema violation as a problem: a body parameter's own name is dropped from ``loc``, and
    a validator's refusal keeps its own words (without pydantic's "Value error, ")."""
    loc = list(error["loc"])
    if loc[:2] == ["body", "body"]:
        loc = ["body", *loc[2:]]
    reason = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
    return {"loc": loc, "msg": str(reason or error["msg"]), "type": error["type"]}


def install(api: NinjaAPI) -> None:
    """Register the error mappings on an API."""

    @api.exception_handler(FormErrors)
    def form_errors(request: HttpRequest, exc: FormErrors) -> HttpResponse:
        problems = [
            {"loc": ["body", field], "msg": err["message"], "type": err.get("code") or "invalid"}
            for field, errs in exc.errors.items()
            for err in errs
        ]
        return _problems(request, api, problems, 422)

    @api.exception_handler(ValidationError)
    def schema_errors(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return _problems(request, api, [_schema_problem(e) for e in exc.errors], 422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code in _ALWAYS:
            return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        if exc.status_code == 400:  # Django Ninja's own answer to a body that is not JSON
            problem = {"loc": ["body"], "msg": _("The body is not JSON."), "type": "invalid_json"}
        else:
            problem = {"loc": [], "msg": str(exc), "type": "refused"}
        return _problems(request, api, [problem], exc.status_code)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        refusal = refusal_for(exc)
        if refusal.status in _ALWAYS:
            return api.create_response(request, {"detail": refusal.message}, status=refusal.status)
        where = {404: "path", 400: "query"}.get(refusal.status, "body")
        loc = [where, refusal.field] if refusal.field else [where]
        problem: dict[str, Any] = {"loc": loc, "msg": refusal.message, "type": refusal.code}
        if "candidates" in exc.data:
            problem["candidates"] = exc.data["candidates"]
        return _problems(request, api, [problem], refusal.status)
