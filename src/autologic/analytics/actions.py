"""Changes to the registry's configuration: loading a clinic's claim file; audited."""

from __future__ import annotations

from datetime import datetime

import yaml

from autologic.accounts.models import Site, User
from autologic.analytics.domain.claims import ClaimFile, fingerprint, parse_claims
from autologic.analytics.models import ClaimSet
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update


def read_claims(text: str, source: str) -> ClaimFile:
    """Parse and validate a claim file's YAML text, naming every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(
            "invalid_yaml", f"{source}: not valid YAML ({exc})", field="file"
        ) from None
    return parse_claims(data, source)


def load_claims(
    *, site: Site, text: str, source: str, by: User | None, now: datetime
) -> tuple[ClaimSet, bool]:
    """Load a version of a claim file for a clinic; returns the row and whether it is new.

    Loading the same version with the same content again changes nothing.  The same version
    with other content, or an older version than the clinic's, is refused: a change is a new
    version, and every report names the version it used."""
    claims = read_claims(text, source)
    mark = fingerprint(claims)
    with audited_transaction():
        for_update(Site.objects).get(pk=site.pk)  # one loader per clinic at a time
        same = ClaimSet.objects.filter(site=site, code=claims.claims, version=claims.version)
        found = same.first()
        if found is not None:
            if found.fingerprint == mark:
                return found, False
            raise ConflictError(
                "version_taken",
                f"Version {claims.version} of {claims.claims} is already loaded with other "
                "content; give the changed file a new version.",
                field="version",
            )
        latest = ClaimSet.objects.filter(site=site, code=claims.claims).order_by("-version").first()
        if latest is not None and latest.version > claims.version:
            raise ConflictError(
                "older_version",
                f"Version {latest.version} of {claims.claims} is already loaded; an older "
                "version cannot replace it.",
                field="version",
            )
        row = ClaimSet.objects.create(
            site=site,
            code=claims.claims,
            version=claims.version,
            title=claims.title.en[:200],
            content=claims.model_dump(mode="json"),
            text=text,
            source=source[:255],
            fingerprint=mark,
            loaded_by=by,
            loaded_at=now,
        )
        record_event(
            actor=by,
            site=site,
            action="claims.load",
            object_type="claim_set",
            object_id=row.pk,
            changes={
                "claims": claims.claims,
                "version": claims.version,
                "items": len(claims.items),
            },
            now=now,
        )
    return row, True
