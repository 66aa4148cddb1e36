"""The one place where refused operations become JSON errors (detail: [{loc, msg, type}])."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from autologic.common.domain.errors import ConflictError, DomainError, PermissionRefused
from autologic.common.messages import message_for


class FormErrors(Exception):
    """A form rejected API input; carries Django's per-field error data."""

    def __init__(self, errors: dict[str, list[dict[str, Any]]]):
        super().__init__("invalid input")
        self.errors = errors


def install(api: NinjaAPI) -> None:
    """Register the error mappings on an API."""

    @api.exception_handler(FormErrors)
    def form_errors(request: HttpRequest, exc: FormErrors) -> HttpResponse:
        detail = [
            {"loc": ["body", field], "msg": err["message"], "type": err.get("code") or "invalid"}
            for field, errs in exc.errors.items()
            for err in errs
        ]
        return api.create_response(request, {"detail": detail}, status=422)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = (
            409
            if isinstance(exc, ConflictError)
            else 403
            if isinstance(exc, PermissionRefused)
            else 422
        )
        loc = ["body", exc.field] if exc.field else ["body"]
        body = {"detail": [{"loc": loc, "msg": message_for(exc), "type": exc.code}]}
        return api.create_response(request, body, status=status)
