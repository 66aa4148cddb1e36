"""The JSON API (OpenAPI at /api/v1/docs). Login and role are enforced by RoleAccessMiddleware."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from autologic import api_errors
from autologic.patients.api import router as patients_router

DESCRIPTION = """\
Staff only: every operation needs the session cookie of a staff member signed in with password
and authenticator code (401 otherwise), a role that may use it (403), and for POST and PATCH
Django's CSRF token in the `X-CSRFToken` header (403).

Refusals of the caller (401, 403) carry `{"detail": "<message>"}`. Refusals of the request
(400, 404, 409, 422) carry `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`, one entry
per problem; `loc` starts with `body`, `path` or `query` and then names the field.
"""

api = NinjaAPI(
    title="Autologic API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=django_auth,
    docs_url="/docs",
)
api_errors.install(api)
api.add_router("/", patients_router)
