"""Sign-in with a second factor, sign-out, language choice, staff and clinic settings."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts import actions
from autologic.accounts.forms import LoginForm, SiteForm, StaffForm, TokenForm
from autologic.accounts.models import User
from autologic.audit.actions import end_signing_session
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def _with_language(response: HttpResponse, user: User) -> HttpResponse:
    if user.preferred_language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _rotate_session(request: HttpRequest) -> None:
    """A new session key and CSRF token each time the session gains a factor, so a key known
    before (planted, or seen on a shared screen) opens nothing after. A new continuous session
    begins, so the next electronic signature needs the authenticator code again."""
    request.session.cycle_key()
    rotate_token(request)
    end_signing_session(request.session)


def login_view(request: HttpRequest) -> HttpResponse:
    """First factor: username and password (locked after repeated failures)."""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        username = form.cleaned_data["username"]
        actions.close_quiet_bursts(now=now)
        # A locked name is refused before its password is looked at: that is a burst, not a
        # failure of its own.
        locked = not AxesProxyHandler.is_allowed(request, get_credentials(username))
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None or getattr(user, "site_id", None) is None:
            known = User.objects.filter(username=username).first()
            if locked:
                actions.record_throttled_attempt(
                    step="login", username=username, user=known, now=now
                )
            else:
                actions.record_failed_sign_in(username=username, user=known, step="login", now=now)
            form.add_error(None, _("The username or password is not correct."))
        else:
            actions.close_throttled_burst(step="login", username=username, now=now)
            login(request, user)
            _rotate_session(request)
            enrolled = any(True for _ in devices_for_user(user, confirmed=True))
            target = "accounts:otp_verify" if enrolled else "accounts:otp_setup"
            response = redirect(f"{reverse(target)}?{urlencode({'next': _next_url(request)})}")
            return _with_language(response, user)
    status = 400 if form.errors else 200
    return render(
        request, "accounts/login.html", {"form": form, "next": _next_url(request)}, status=status
    )


def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second factor: a code from the enrolled authenticator."""
    user = request.user
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return redirect("accounts:otp_setup")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        actions.close_quiet_bursts(now=now)
        if not any(device.verify_is_allowed()[0] for device in devices):
            # Throttled: the code is not even looked at, so it is counted in the burst.
            actions.record_throttled_attempt(step="otp", username=user.username, user=user, now=now)
            form.add_error(
                "token", _("Too many wrong codes. Wait a little, then enter the newest code.")
            )
            status = 429
        elif (device := match_token(user, form.cleaned_data["token"].strip())) is None:
            actions.record_failed_sign_in(username=user.username, user=user, step="otp", now=now)
            form.add_error(
                "token", _("That code is not valid. Wait for the next one and try again.")
            )
        else:
            otp_login(request, device)
            _rotate_session(request)
            actions.close_throttled_burst(step="otp", username=user.username, now=now)
            actions.record_session(user, "session.start")
            return HttpResponseRedirect(_next_url(request))
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show its QR code, then confirm with a first code."""
    user = request.user
    if any(True for _ in devices_for_user(user, confirmed=True)):
        return redirect("accounts:otp_verify")
    device = actions.start_otp_enrolment(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.confirm_otp_device(user, device, form.cleaned_data["token"]):
            otp_login(request, device)
            _rotate_session(request)
            actions.record_session(user, "session.start")
            messages.success(request, _("Authenticator enrolled. You are signed in."))
            return HttpResponseRedirect(_next_url(request))
        form.add_error(
            "token", _("That code does not match. Check the phone's clock and try again.")
        )
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    secret = device.config_url.split("secret=")[1].split("&")[0]
    context = {"form": form, "qr": qr, "secret": secret, "next": _next_url(request)}
    return render(request, "accounts/otp_setup.html", context, status=400 if form.errors else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the session."""
    if request.user.is_authenticated:
        actions.record_session(request.user, "session.end")
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language and remember it for a signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=user.pk).update(preferred_language=language)
    return response


def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own account."""
    return render(request, "accounts/profile.html", {})


def staff_list(request: HttpRequest) -> HttpResponse:
    """Staff of the administrator's clinic, with role and second-factor status."""
    staff = list(User.objects.filter(site=request.user.site).order_by("last_name", "first_name"))
    enrolled = set(
        TOTPDevice.objects.filter(user__site=request.user.site, confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    return render(request, "accounts/staff_list.html", {"staff": staff, "enrolled": enrolled})


def staff_create(request: HttpRequest) -> HttpResponse:
    """Add a staff member."""
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        try:
            user = actions.create_staff(
                site=request.user.site, data=data, password=password, by=request.user
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s can now sign in.") % {"name": user.printed_name})
            return redirect("accounts:staff_list")
    return render(
        request, "accounts/staff_form.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
def staff_reset_otp(request: HttpRequest, user_id: int) -> HttpResponse:
    """Remove a staff member's authenticator (lost phone); they enrol again at next sign-in."""
    user = User.objects.filter(pk=user_id, site=request.user.site).first()
    if user is None:
        raise Http404
    actions.reset_otp(user=user, by=request.user)
    messages.success(
        request,
        _("%(name)s will enrol a new authenticator at next sign-in.") % {"name": user.printed_name},
    )
    return redirect("accounts:staff_list")


def site_settings(request: HttpRequest) -> HttpResponse:
    """Edit the clinic's time zone, calendar, currency and languages."""
    site = request.user.site
    initial = {name: getattr(site, name) for name in actions.SITE_FIELDS}
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.update_site(site=site, data=form.cleaned_data, by=request.user)
        messages.success(request, _("Clinic settings saved."))
        return redirect("accounts:site_settings")
    return render(
        request, "accounts/site_form.html", {"form": form}, status=400 if form.errors else 200
    )
