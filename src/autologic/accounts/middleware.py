"""Enforce the role matrix (accounts.roles.ACCESS) on every resolved request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_otp import devices_for_user

from autologic.accounts.roles import Gate, allows, rule_for
from autologic.common import clock


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _refuse(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Your role does not allow this."}, status=403)
    return render(request, "errors/403.html", status=403)


def _to(request: HttpRequest, url_name: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Sign in with password and second factor."}, status=401)
    return redirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


class RoleAccessMiddleware:
    """Deny by default: a URL passes only if ACCESS lets the current user's role through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages behind login hold patient data: keep them out of browser and proxy caches.
            patch_cache_control(response, no_store=True, private=True)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        """Check login, second factor and role before the view runs."""
        match = request.resolver_match
        rule = rule_for(match.view_name if match else "", request.method or "GET")
        if rule is None:
            return _refuse(request)
        if rule in (Gate.PUBLIC, Gate.PORTAL_TOKEN, Gate.FHIR_TOKEN, Gate.METRICS_TOKEN):
            return None
        user = request.user
        if not user.is_authenticated:
            return _to(request, "accounts:login")
        if not user.is_active or not user.role or user.site_id is None:
            return _refuse(request)
        if rule == Gate.PASSWORD_ONLY:
            return None
        if not user.is_verified():
            enrolled = any(True for _ in devices_for_user(user, confirmed=True))
            return _to(request, "accounts:otp_verify" if enrolled else "accounts:otp_setup")
        return None if allows(rule, user.role) else _refuse(request)


# An active session's expiry moves forward at most this often: one session write a minute,
# not one per request. The idle logoff then comes between SESSION_COOKIE_AGE minus this and
# SESSION_COOKIE_AGE after the last request: never later than configured.
SESSION_REFRESH_SECONDS = 60


class SessionActivityMiddleware:
    """Slide a signed-in session's idle expiry (HIPAA automatic logoff), writing it at most once
    a minute instead of on every request (SESSION_SAVE_EVERY_REQUEST)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get("_auth_user_id") is not None:
            now = int(clock.now().timestamp())
            if now - int(session.get("_active_at", 0)) >= SESSION_REFRESH_SECONDS:
                session["_active_at"] = now  # modified: saved with a new expiry
        return self.get_response(request)
