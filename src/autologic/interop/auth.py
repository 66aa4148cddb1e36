"""Who is calling /fhir: a registered machine client with a bearer token.  Session cookies never
authenticate here, so the FHIR API needs no CSRF token and a browser's login cannot reach it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from autologic.accounts.models import Site
from autologic.audit.actions import audited_transaction, record_event
from autologic.common.domain.errors import PermissionRefused, Unauthenticated, ValidationFailed
from autologic.interop.domain import scopes as scope_rules
from autologic.interop.domain.scopes import Scope
from autologic.interop.models import AccessToken, FhirClient


@dataclass(frozen=True)
class Grant:
    """A verified caller: its client, the clinic it may see, and what its token allows."""

    client: FhirClient
    scopes: frozenset[Scope]

    @property
    def site(self) -> Site:
        return self.client.site

    def require(self, resource_type: str, mode: str) -> None:
        if not scope_rules.allows(self.scopes, resource_type, mode):
            needed = (
                scope_rules.EXPORT
                if resource_type == "$export"
                else f"system/{resource_type}.{mode}"
            )
            raise PermissionRefused(
                "scope_missing",
                f"This token does not allow it; it needs the scope {needed}.",
                data={"scope": needed},
            )


def known_types() -> list[str]:
    from autologic.interop.resources import registry

    return list(registry.TYPES)


def client_actor(client: FhirClient) -> str:
    """How a machine client is named as the actor of its audit events."""
    return f"FHIR client {client.name}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_client(
    *, name: str, site: Site, scopes: list[str], purpose: str, now: datetime
) -> FhirClient:
    """Register a machine client (audited).  Its scopes are checked here, once."""
    granted = scope_rules.parse(scopes, known_types())
    if purpose not in {"care", "registry"}:
        raise ValidationFailed(
            "invalid_purpose", "The purpose is care or registry.", field="purpose"
        )
    if FhirClient.objects.filter(name=name).exists():
        raise ValidationFailed("duplicate_client", f"A client named {name} exists.", field="name")
    with audited_transaction():
        client = FhirClient.objects.create(
            name=name,
            site=site,
            scopes=scope_rules.render(granted),
            purpose=purpose,
            created_at=now,
        )
        record_event(
            actor=None,
            actor_name="autologic fhir-clients",
            site=site,
            action="fhir_client.add",
            object_type="fhir_client",
            object_id=client.pk,
            changes={"name": name, "scopes": client.scopes, "purpose": purpose},
            now=now,
        )
    return client


def issue_token(
    *, client: FhirClient, requested: str | None, now: datetime
) -> tuple[str, AccessToken]:
    """A new bearer token for an active client: the requested scopes that it was registered
    for (all of them when none are asked for).  Asking for more than registered is refused."""
    if not client.active:
        raise Unauthenticated("client_inactive", "This client is switched off.")
    registered = scope_rules.parse(client.scopes, known_types())
    wanted = registered if not requested else scope_rules.parse(requested, known_types())
    beyond = [str(s) for s in wanted if not any(r.grants(s.type, s.mode) for r in registered)]
    if beyond:
        raise PermissionRefused(
            "scope_not_registered",
            f"The client is not registered for {', '.join(sorted(beyond))}.",
            field="scope",
        )
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(seconds=settings.AUTOLOGIC_FHIR_TOKEN_SECONDS)
    with audited_transaction():
        row = AccessToken.objects.create(
            client=client,
            token_hash=token_hash(token),
            scopes=scope_rules.render(wanted),
            issued_at=now,
            expires_at=now + lifetime,
        )
        record_event(
            actor=None,
            actor_name=client_actor(client),
            site=client.site,
            action="fhir.token",
            object_type="fhir_client",
            object_id=client.pk,
            changes={"scopes": row.scopes, "expires_at": row.expires_at.isoformat()},
            now=now,
        )
    return token, row


def authenticate(header: str, now: datetime) -> Grant:
    """The grant behind an ``Authorization: Bearer <token>`` header, or a refusal (401)."""
    kind, _space, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "token_missing", "Send a bearer token (Authorization: Bearer <token>)."
        )
    row = (
        AccessToken.objects.select_related("client__site")
        .filter(token_hash=token_hash(token.strip()))
        .first()
    )
    if row is None or not row.client.active:
        raise Unauthenticated("token_unknown", "This token is not valid.")
    if row.expires_at <= now:
        raise Unauthenticated("token_expired", "This token has expired; ask for a new one.")
    return Grant(client=row.client, scopes=scope_rules.parse(row.scopes, known_types()))


def sweep_tokens(now: datetime) -> int:
    """Delete expired tokens (the worker's pass); returns how many."""
    with transaction.atomic():
        deleted, _ = AccessToken.objects.filter(expires_at__lte=now).delete()
    return deleted
