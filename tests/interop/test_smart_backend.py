"""SMART Backend Services: a client registered with its public key asks for a token with a JWT
it signed (client credentials).  Every way an assertion can be wrong is refused with the
OAuth 2 error that says why; a good one gives a short-lived token limited to what the client
was registered for."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from autologic.audit.models import AuditEvent
from autologic.common import clock
from autologic.interop import auth
from tests.interop.conftest import Fhir

pytestmark = pytest.mark.django_db
TOKEN_URL = "http://127.0.0.1:8000/fhir/auth/token"
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def key() -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": "registry-key-1"})


@pytest.fixture
def backend(site, key):
    return auth.add_client(
        name="registry-bot",
        site=site,
        scopes=["system/Patient.read", "system/$export"],
        purpose="care",
        now=clock.now(),
        jwks={"keys": [key.as_dict(private=False)]},
    )


def assertion(key: Any, alg: str = "ES384", **claims: Any) -> str:
    now = int(clock.now().timestamp())
    body = {
        "iss": "registry-bot",
        "sub": "registry-bot",
        "aud": TOKEN_URL,
        "exp": now + 240,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "registry-key-1"}, body, key, algorithms=[alg])


def ask(client, signed: str, **form: str):
    return client.post(
        "/fhir/auth/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION,
            "client_assertion": signed,
            **form,
        },
    )


def test_a_signed_assertion_gets_a_token_that_reads(client, backend, key, patient) -> None:
    response = ask(client, assertion(key), scope="system/Patient.read")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/Patient.read"
    reader = Fhir(body["access_token"])
    assert reader.get(f"/fhir/Patient/{patient.pk}").status_code == 200
    assert reader.get("/fhir/$export", Prefer="respond-async").status_code == 403  # not asked
    assert AuditEvent.objects.filter(action="fhir.token").count() == 1


def test_an_rs384_key_works_too(client, site, patient) -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "registry-key-1"})
    auth.add_client(
        name="registry-bot",
        site=site,
        scopes=["system/*.read"],
        purpose="care",
        now=clock.now(),
        jwks={"keys": [rsa.as_dict(private=False)]},
    )
    assert ask(client, assertion(rsa, "RS384")).status_code == 200


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "https://elsewhere.example/token"}, "aud"),
        ({"iss": "someone-else"}, "Unknown client"),
        ({"sub": "someone-else"}, "sub"),
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"exp": None}, "expired"),
        ({"jti": None}, "jti"),
    ],
)
def test_a_wrong_assertion_is_invalid_client(client, backend, key, claims, why) -> None:
    if claims.get("exp") and claims["exp"] < time.time():
        claims["exp"] = int(clock.now().timestamp()) - 10
    response = ask(client, assertion(key, **claims))
    assert response.status_code == 401
    assert (
        response.json()["error"] == "invalid_client" and why in response.json()["error_description"]
    )


def test_an_assertion_too_far_ahead_or_used_twice_is_refused(client, backend, key) -> None:
    far = assertion(key, exp=int(clock.now().timestamp()) + 3600)
    assert ask(client, far).json()["error_description"].startswith("exp may be")
    once = assertion(key)
    assert ask(client, once).status_code == 200
    replay = ask(client, once)
    assert replay.status_code == 401 and "used already" in replay.json()["error_description"]


def test_other_keys_and_algorithms_are_refused(client, backend, key) -> None:
    stranger = ECKey.generate_key("P-384", parameters={"kid": "registry-key-1"})
    assert ask(client, assertion(stranger)).status_code == 401
    secret = OctKey.generate_key(256)
    assert ask(client, assertion(secret, "HS256")).status_code == 401
    unsigned = jwt.encode({"alg": "none"}, {"iss": "registry-bot"}, None, algorithms=["none"])
    assert ask(client, unsigned).status_code == 401
    assert ask(client, "not-a-jwt").status_code == 401


def test_grant_and_scope_errors(client, backend, key) -> None:
    wrong_grant = ask(client, assertion(key), grant_type="password")
    assert (
        wrong_grant.status_code == 400 and wrong_grant.json()["error"] == "unsupported_grant_type"
    )
    beyond = ask(client, assertion(key), scope="system/*.read")
    assert beyond.status_code == 400 and beyond.json()["error"] == "invalid_scope"
    backend.active = False
    backend.save()
    assert ask(client, assertion(key)).json()["error"] == "invalid_client"


def test_the_smart_configuration_says_where_and_how(client) -> None:
    config = client.get("/fhir/.well-known/smart-configuration").json()
    assert config["token_endpoint"] == TOKEN_URL
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert "client-confidential-asymmetric" in config["capabilities"]


def test_a_private_key_is_never_registered(site, key, tmp_path) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    leaked = tmp_path / "leaked.json"
    leaked.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    with pytest.raises(CommandError, match="private key"):
        call_command(
            "fhir_clients",
            "add",
            "leaky",
            "--site",
            site.code,
            "--scope",
            "system/*.read",
            "--jwks",
            str(leaked),
        )
