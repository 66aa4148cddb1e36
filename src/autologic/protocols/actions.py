"""Load protocol files into the database, audited.  A loaded version is never rewritten."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autologic.accounts.models import User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.common.locks import for_update
from autologic.protocols.domain.parse import canonical, fingerprint
from autologic.protocols.files import protocol_files, read_protocol
from autologic.protocols.models import ProtocolVersion


@dataclass
class SyncReport:
    """What a sync did, file by file."""

    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no file was refused."""
        return not self.refused


def sync_protocols(
    *, files: list[Path] | None = None, by: User | None = None, now: datetime | None = None
) -> SyncReport:
    """Load new protocol versions; refuse any file that changes an already loaded version."""
    now = now or clock.now()
    report = SyncReport()
    for path in files if files is not None else protocol_files():
        try:
            protocol = read_protocol(path)
        except DomainError as exc:
            report.refused.append(str(exc))
            continue
        name = f"{protocol.code} v{protocol.version}"
        with audited_transaction():
            row = (
                for_update(ProtocolVersion.objects)
                .filter(code=protocol.code, version=protocol.version)
                .first()
            )
            digest = fingerprint(protocol)
            if row is None:
                row = ProtocolVersion.objects.create(
                    code=protocol.code,
                    version=protocol.version,
                    title=protocol.title.en,
                    therapy=protocol.therapy,
                    status=protocol.status,
                    content=canonical(protocol),
                    fingerprint=digest,
                    source=path.name,
                    loaded_at=now,
                )
                record_event(
                    actor=by,
                    action="protocol.load",
                    object_type="protocol",
                    object_id=name,
                    changes={"fingerprint": [None, digest], "source": [None, path.name]},
                    now=now,
                )
                report.loaded.append(name)
            elif row.fingerprint != digest:
                report.refused.append(
                    f"{path.name}: {name} is already loaded with different content; "
                    f"publish the change as version {protocol.version + 1}."
                )
            elif row.status != protocol.status:
                record_event(
                    actor=by,
                    action="protocol.status",
                    object_type="protocol",
                    object_id=name,
                    changes={"status": [row.status, protocol.status]},
                    now=now,
                )
                row.status = protocol.status
                row.save(update_fields=["status"])
                report.status_changed.append(name)
            else:
                report.unchanged.append(name)
    return report
