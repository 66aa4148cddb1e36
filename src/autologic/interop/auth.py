"""Who is calling /fhir: a registered machine client with a bearer token.  Session cookies never
authenticate here, so the FHIR API needs no CSRF token and a browser's login cannot reach it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction

from autologic.accounts.models import Site
from autologic.audit.actions import audited_transaction, record_event
from autologic.common.domain.errors import (
    DomainError,
    PermissionRefused,
    Unauthenticated,
    ValidationFailed,
)
from autologic.interop.domain.scopes import EXPORT, Scope, allows, parse, render
from autologic.interop.models import AccessToken, FhirClient, UsedAssertion


@dataclass(frozen=True)
class Grant:
    """A verified caller: its client, the clinic it may see, and what its token allows."""

    client: FhirClient
    scopes: frozenset[Scope]

    @property
    def site(self) -> Site:
        return self.client.site

    def require(self, resource_type: str, mode: str) -> None:
        if not allows(self.scopes, resource_type, mode):
            needed = EXPORT if resource_type == "$export" else f"system/{resource_type}.{mode}"
            raise PermissionRefused(
                "scope_missing",
                f"This token does not allow it; it needs the scope {needed}.",
                data={"scope": needed},
            )


def known_types() -> list[str]:
    from autologic.interop.resources import registry

    return list(registry.TYPES)


def check_jwks(jwks: dict[str, object]) -> None:
    """A JWKS of public keys that can verify RS384 or ES384 signatures."""
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise ValidationFailed("invalid_jwks", f"Not a JWKS: {error}", field="jwks") from None
    if any(key.is_private for key in keys.keys):
        raise ValidationFailed(
            "private_key_in_jwks",
            "The JWKS holds a private key; register the public key only.",
            field="jwks",
        )


def client_actor(client: FhirClient) -> str:
    """How a machine client is named as the actor of its audit events."""
    return f"FHIR client {client.name}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_client(
    *,
    name: str,
    site: Site,
    scopes: list[str],
    purpose: str,
    now: datetime,
    jwks: dict[str, object] | None = None,
) -> FhirClient:
    """Register a machine client (audited).  Its scopes are checked here, once."""
    granted = parse(scopes, known_types())
    if purpose not in {"care", "registry"}:
        raise ValidationFailed(
            "invalid_purpose", "The purpose is care or registry.", field="purpose"
        )
    if jwks:
        check_jwks(jwks)
    if FhirClient.objects.filter(name=name).exists():
        raise ValidationFailed("duplicate_client", f"A client named {name} exists.", field="name")
    with audited_transaction():
        client = FhirClient.objects.create(
            name=name,
            site=site,
            scopes=render(granted),
            purpose=purpose,
            jwks=jwks or {},
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
    registered = parse(client.scopes, known_types())
    wanted = registered if not requested else parse(requested, known_types())
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
            scopes=render(wanted),
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


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS384", "ES384"]  # SMART Backend Services: the server must support both
MAX_ASSERTION_SECONDS = 300


class TokenRefused(Exception):
    """An OAuth 2 token request refused (RFC 6749 §5.2): ``error`` and a description."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def token_for_assertion(
    form: dict[str, str], token_url: str, now: datetime
) -> tuple[str, AccessToken]:
    """SMART Backend Services: a client-credentials grant authenticated by a JWT the client
    signed with its private key (RS384 or ES384), checked against its registered JWKS: issuer
    and subject are the client, the audience is this token URL, it expires within five
    minutes, and its ``jti`` is used once."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
    from joserfc.jws import extract_compact

    if form.get("grant_type") != "client_credentials":
        raise TokenRefused("unsupported_grant_type", "Only client_credentials is granted.")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise TokenRefused("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion", "")
    try:
        unverified = orjson.loads(extract_compact(assertion.encode()).payload)
        name = str(unverified["iss"])
    except (JoseError, ValueError, KeyError, TypeError):
        raise TokenRefused("invalid_client", "The client assertion is not a JWT.", 401) from None
    client = FhirClient.objects.select_related("site").filter(name=name, active=True).first()
    if client is None or not client.jwks:
        raise TokenRefused("invalid_client", "Unknown client, or it has no registered key.", 401)
    try:
        token = jwt.decode(assertion, KeySet.import_key_set(client.jwks), algorithms=ALGORITHMS)
    except JoseError as error:
        raise TokenRefused("invalid_client", f"The assertion's signature: {error}", 401) from None
    claims = token.claims
    stamp = int(now.timestamp())
    if claims.get("iss") != name or claims.get("sub") != name:
        raise TokenRefused("invalid_client", "iss and sub must both be the client's name.", 401)
    if claims.get("aud") != token_url:
        raise TokenRefused("invalid_client", f"aud must be {token_url}.", 401)
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= stamp:
        raise TokenRefused("invalid_client", "The assertion has expired.", 401)
    if expires > stamp + MAX_ASSERTION_SECONDS:
        raise TokenRefused("invalid_client", "exp may be at most five minutes ahead.", 401)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise TokenRefused("invalid_client", "The assertion needs a jti.", 401)
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(
                client=client, jti=jti, expires_at=datetime.fromtimestamp(expires, tz=UTC)
            )
    except IntegrityError:
        raise TokenRefused("invalid_client", "This assertion was used already.", 401) from None
    try:
        return issue_token(client=client, requested=form.get("scope") or None, now=now)
    except DomainError as refused:
        raise TokenRefused("invalid_scope", refused.message) from None


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
    return Grant(client=row.client, scopes=parse(row.scopes, known_types()))


def sweep_tokens(now: datetime) -> int:
    """Delete expired tokens and spent assertions (the worker's pass); returns how many."""
    with transaction.atomic():
        deleted, _ = AccessToken.objects.filter(expires_at__lte=now).delete()
        UsedAssertion.objects.filter(expires_at__lte=now).delete()
    return deleted
