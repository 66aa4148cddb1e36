"""The JSON API (OpenAPI at /api/v1/docs). Login and role are enforced by RoleAccessMiddleware."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from autologic import api_errors
from autologic.patients.api import router as patients_router

api = NinjaAPI(
    title="Autologic API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    docs_url="/docs",
)
api_errors.install(api)
api.add_router("/", patients_router)
