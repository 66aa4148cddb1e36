"""A FHIR client in a process of its own: imports a transaction Bundle at a barrier, so several
really import the same new record at once on PostgreSQL (tests/interop/test_import)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any


def import_at_once(database_url: str, client_id: int, bundle: Any, barrier: Any, out: Any) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autologic.settings_testing")
    import django

    django.setup()
    from autologic.common.domain.errors import DomainError
    from autologic.interop import auth, importing
    from autologic.interop.domain import scopes
    from autologic.interop.models import FhirClient

    client = FhirClient.objects.select_related("site").get(pk=client_id)
    grant = auth.Grant(client=client, scopes=scopes.parse(client.scopes, auth.known_types()))
    barrier.wait(timeout=60)
    try:
        done = importing.import_bundle(grant, bundle, datetime.now(UTC))
    except DomainError as refused:
        out.put(("refused", refused.code))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        out.put(("error", repr(exc)))
    else:
        out.put(("done", [d.status for d in done]))
