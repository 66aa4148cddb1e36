"""Page links of a search sent by POST (``<Type>/_search``).

A client posts a search so that its parameters (an MRN, a name) stay out of URLs, which proxies
and servers write to their logs.  The ``next`` link must not put them back: it carries them
sealed in ``_page``, encrypted and authenticated (Fernet: AES-128-CBC and HMAC-SHA256, from the
``cryptography`` package), bound to the client that searched and valid for an hour.  The key is
derived from ``SECRET_KEY``; nothing is stored on the server, so any worker can answer the next
page."""

from __future__ import annotations

import base64
from datetime import datetime

import orjson
from cryptography.fernet import Fernet, InvalidToken
from django.utils.crypto import salted_hmac

from autologic.common.domain.errors import BadQuery

PAGE_SECONDS = 3600


def _fernet() -> Fernet:
    key = salted_hmac("autologic.fhir.page", "fernet-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _refused() -> BadQuery:
    return BadQuery(
        "bad_page",
        "_page is not a page link this server gave this client, or it is more than an hour old: "
        "run the search again.",
        field="_page",
    )


def seal(client_id: int, params: list[tuple[str, str]], now: datetime) -> str:
    """The ``_page`` value of the next page: the search's parameters and cursor, sealed."""
    body = orjson.dumps({"client": client_id, "params": params})
    return _fernet().encrypt_at_time(body, int(now.timestamp())).decode()


def unseal(value: str, client_id: int, now: datetime) -> list[tuple[str, str]]:
    """The parameters a ``_page`` value holds; refused if forged, changed, expired or another
    client's."""
    try:
        body = _fernet().decrypt_at_time(value.encode(), PAGE_SECONDS, int(now.timestamp()))
        data = orjson.loads(body)
    except (InvalidToken, ValueError):
        raise _refused() from None
    if data.get("client") != client_id:
        raise _refused()
    return [(str(k), str(v)) for k, v in data["params"]]
