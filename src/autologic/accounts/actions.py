"""State changes for sites, staff and second factors, each audited in its own transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.models import Site, ThrottledBurst, User
from autologic.accounts.roles import Role
from autologic.audit.actions import record_event
from autologic.audit.domain import diff
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ValidationFailed
from autologic.common.locks import for_update

# A burst of refused sign-in attempts ends after a quiet minute; one that goes on is recorded
# every quarter hour anyway, so the trail never lags an attack by more than that.
BURST_QUIET = timedelta(minutes=1)
BURST_LONGEST = timedelta(minutes=15)

SITE_FIELDS = (
    "name",
    "time_zone",
    "calendar",
    "currency",
    "languages",
    "default_language",
    "mrn_prefix",
    "iccbba_fin",
    "mrn_system",
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


def record_failed_sign_in(*, username: str, user: User | None, step: str, now: datetime) -> None:
    """Audit a checked and refused sign-in step (wrong password or wrong authenticator code),
    after the burst of unchecked refusals that came before it."""
    with audited_transaction():
        close_throttled_burst(step=step, username=username, now=now)
        record_event(
            actor=user,
            site=user.site if user else None,
            action=f"{step}.failed",
            object_type="user",
            object_id=user.pk if user else username[:64],
            now=now,
        )


def record_throttled_attempt(*, step: str, username: str, user: User | None, now: datetime) -> None:
    """Count a sign-in attempt refused without being checked (a throttled code, a locked
    account) in its burst; the burst is audited as one event when it closes."""
    with audited_transaction():
        found = (
            for_update(ThrottledBurst.objects.select_related("user__site"))
            .filter(step=step, username=username)
            .first()
        )
        if found is not None and found.first_at <= now - BURST_LONGEST:
            _close(found, now)
            found = None
        if found is None:
            try:
                with audited_transaction():
                    ThrottledBurst.objects.create(
                        step=step, username=username, user=user, first_at=now, last_at=now, count=1
                    )
                return
            except IntegrityError:
                pass  # a concurrent refusal opened the burst first: count this one in it
        ThrottledBurst.objects.filter(step=step, username=username).update(
            count=F("count") + 1, last_at=now
        )


def close_throttled_burst(*, step: str, username: str, now: datetime) -> None:
    """Audit the open burst of one sign-in step and name, if any, as one event with its count."""
    with audited_transaction():
        found = (
            for_update(ThrottledBurst.objects.select_related("user__site"))
            .filter(step=step, username=username)
            .first()
        )
        if found is not None:
            _close(found, now)


def close_quiet_bursts(*, now: datetime) -> int:
    """Audit every burst that has been quiet for a minute; return how many were closed."""
    quiet = ThrottledBurst.objects.filter(last_at__lte=now - BURST_QUIET)
    if not quiet.exists():  # the usual case: one indexed look, no write
        return 0
    with audited_transaction():
        bursts = list(for_update(quiet.select_related("user__site")).order_by("pk"))
        for burst in bursts:
            _close(burst, now)
    return len(bursts)


def _close(burst: ThrottledBurst, now: datetime) -> None:
    """One event for the whole burst, then the counter goes (inside the caller's transaction)."""
    user = burst.user
    record_event(
        actor=user,
        site=user.site if user else None,
        action=f"{burst.step}.throttled",
        object_type="user",
        object_id=user.pk if user else burst.username[:64],
        changes={"count": burst.count, "first_at": burst.first_at, "last_at": burst.last_at},
        now=now,
    )
    ThrottledBurst.objects.filter(pk=burst.pk).delete()
