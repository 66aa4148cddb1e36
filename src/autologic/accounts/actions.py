"""State changes for sites, staff and second factors, each audited in its own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.models import Site, User
from autologic.accounts.roles import Role
from autologic.audit.actions import record_event
from autologic.audit.domain import diff
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ValidationFailed
from autologic.common.locks import for_update

SITE_FIELDS = (
    "name",
    "time_zone",
    "calendar",
    "currency",
    "languages",
    "default_language",
    "mrn_prefix",
    "iccbba_fin",
)
STAFF_FIELDS = ("username", "first_name", "last_name", "email", "role")


def create_site(*, code: str, data: dict[str, Any], by: User | None = None) -> Site:
    """Open a new clinic."""
    with audited_transaction():
        site = Site.objects.create(code=code, **data)
        record_event(
            actor=by,
            site=site,
            action="site.create",
            object_type="site",
            object_id=site.pk,
            changes=diff({}, {"code": code, **data}),
        )
    return site


def update_site(*, site: Site, data: dict[str, Any], by: User) -> Site:
    """Change a clinic's settings (time zone, calendar, currency, languages...)."""
    with audited_transaction():
        site = for_update(Site.objects).get(pk=site.pk)
        before = {name: getattr(site, name) for name in SITE_FIELDS}
        changes = diff(before, {name: data.get(name, before[name]) for name in SITE_FIELDS})
        for name in changes:
            setattr(site, name, data[name])
        if changes:
            site.save()
            record_event(
                actor=by,
                site=site,
                action="site.update",
                object_type="site",
                object_id=site.pk,
                changes=changes,
            )
    return site


def create_staff(
    *, site: Site, data: dict[str, Any], password: str, by: User | None = None
) -> User:
    """Add a staff member with one role; the password must pass the validators."""
    if data.get("role") not in set(Role):
        raise ValidationFailed(
            "invalid_role", f"Unknown role {data.get('role')}.", "role", {"role": data.get("role")}
        )
    values = {name: data.get(name, "") for name in STAFF_FIELDS}
    candidate = User(site=site, **values)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ValidationFailed("weak_password", " ".join(exc.messages), "password") from exc
    try:
        with audited_transaction():
            user = User.objects.create_user(site=site, password=password, **values)
            record_event(
                actor=by,
                site=site,
                action="staff.create",
                object_type="user",
                object_id=user.pk,
                changes=diff({}, values),
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            "duplicate_username",
            f"The username {values['username']} is taken.",
            "username",
            {"username": values["username"]},
        ) from exc
    return user


def start_otp_enrolment(user: User) -> TOTPDevice:
    """Return the user's pending authenticator, creating one with a fresh secret if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def confirm_otp_device(user: User, device: TOTPDevice, token: str) -> bool:
    """Confirm an authenticator once the user types a code it made; audited."""
    if not device.verify_token(token.strip()):
        return False
    with audited_transaction():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_event(
            actor=user,
            action="otp.enrol",
            object_type="user",
            object_id=user.pk,
            changes={"device": [None, device.name]},
        )
    return True


def reset_otp(*, user: User, by: User) -> int:
    """Remove a staff member's authenticators so they enrol again at next sign-in."""
    with audited_transaction():
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        record_event(
            actor=by,
            site=user.site,
            action="otp.reset",
            object_type="user",
            object_id=user.pk,
            changes={"devices_removed": count},
        )
    return count


def record_session(user: User, action: str) -> None:
    """Audit a sign-in (after the second factor) or a sign-out."""
    with audited_transaction():
        record_event(actor=user, action=action, object_type="user", object_id=user.pk)


def record_failed_sign_in(*, username: str, user: User | None, step: str) -> None:
    """Audit a refused sign-in step (wrong password or wrong authenticator code)."""
    with audited_transaction():
        record_event(
            actor=user,
            site=user.site if user else None,
            action=f"{step}.failed",
            object_type="user",
            object_id=user.pk if user else username[:64],
        )
