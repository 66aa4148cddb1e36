"""An action's transaction, whose audit events join the hash chain just before it commits.

Appending to the chain needs one lock (the chain head).  Taken in the middle of an action, that
lock was held while the action went on to lock rows, so two actions could wait on each other
(issue 14: deadlocks on PostgreSQL lost injections and hard stops).  Here an action only *notes*
its events; ``audited_transaction`` appends them when the work is done, as the last step before
commit, so the chain lock is always the last lock a transaction takes and is held for a few
inserts.  The lock order of the whole codebase is in docs/architecture.md.

Rows that must name their audit event's sequence number (custody events, signatures, adverse
event follow-ups) are written by a ``then`` callback at the same moment.

A savepoint that rolls back must take its events with it.  Events are therefore only accepted
directly inside an ``audited_transaction`` (which tracks its own savepoints), never inside a
plain ``transaction.atomic`` nested in one: ``record_event`` refuses that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from autologic.audit.domain import GENESIS_HASH, EventFields, event_hash

if TYPE_CHECKING:
    from autologic.audit.models import AuditEvent

# Any constant works; it names the one lock that serialises appends to the chain on PostgreSQL.
CHAIN_LOCK_KEY = 7_270_011

_ATTRIBUTE = "autologic_audit_journal"


@dataclass
class Noted:
    """An event waiting for its place in the chain (everything but seq and the hashes)."""

    values: dict[str, Any]
    actor: Any
    site: Any
    then: Callable[[AuditEvent], object] | None = None


@dataclass
class _Journal:
    entries: list[Noted] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)  # atomic depth of each open audited block


def _depth() -> int:
    return len(connection.atomic_blocks)


def _current() -> _Journal | None:
    journal: _Journal | None = getattr(connection, _ATTRIBUTE, None)
    return journal


@contextmanager
def audited_transaction() -> Iterator[None]:
    """Run an action in a transaction (a savepoint when nested) whose events join the chain
    when the outermost one finishes; an exception drops the events of the block it leaves."""
    with transaction.atomic():
        journal = _current()
        outermost = journal is None
        if journal is None:
            journal = _Journal()
            setattr(connection, _ATTRIBUTE, journal)
        mark = len(journal.entries)
        journal.depths.append(_depth())
        try:
            yield
            if outermost:
                _append(journal.entries)
        except BaseException:
            del journal.entries[mark:]
            raise
        finally:
            journal.depths.pop()
            if outermost:
                delattr(connection, _ATTRIBUTE)


def note(entry: Noted) -> None:
    """Keep an event for the chain; refuse when no audited transaction can see a rollback."""
    journal = _current()
    if journal is None or not journal.depths:
        raise RuntimeError("record_event must run inside an audited_transaction")
    if journal.depths[-1] != _depth():
        raise RuntimeError(
            "record_event inside a plain transaction.atomic block: use audited_transaction so "
            "a rollback of that block also drops its audit events"
        )
    journal.entries.append(entry)


def lock_chain() -> None:
    """Serialise chain appends (SQLite already does: its transactions start IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _append(entries: list[Noted]) -> None:
    """Lock the chain head and append the noted events, then write their dependent rows."""
    if not entries:
        return
    from autologic.audit.models import AuditEvent

    lock_chain()
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS_HASH)
    events = []
    for entry in entries:
        seq += 1
        fields = EventFields(seq=seq, prev_hash=prev, **entry.values)
        prev = event_hash(fields)
        events.append(
            AuditEvent(
                seq=seq,
                occurred_at=fields.occurred_at,
                actor=entry.actor,
                actor_name=fields.actor_name,
                site=entry.site,
                action=fields.action,
                object_type=fields.object_type,
                object_id=fields.object_id,
                changes=fields.changes,
                prev_hash=fields.prev_hash,
                hash=prev,
            )
        )
    AuditEvent.objects.bulk_create(events)
    for entry, event in zip(entries, events, strict=True):
        if entry.then is not None:
            entry.then(event)
    entries.clear()
