"""The one way to lock rows: FOR NO KEY UPDATE, of the queried table only.

``NO KEY`` leaves other transactions free to insert rows that point at the locked one (an audit
event names its clinic and actor; a reservation names its session), so a lock taken to
serialise work on a row never blocks an unrelated insert.  ``of=("self",)`` keeps a
``select_related`` join from locking the joined rows too (issue 14: locking an injection's
course also locked its clinic).  Locks are taken in the order of docs/architecture.md.
SQLite ignores row locks: its transactions start IMMEDIATE and run one writer at a time.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Manager, Model, QuerySet

M = TypeVar("M", bound=Model)


def for_update(queryset: QuerySet[M] | Manager[M]) -> QuerySet[M]:
    """Lock the rows this queryset returns, until the transaction ends."""
    return queryset.select_for_update(no_key=True, of=("self",))
