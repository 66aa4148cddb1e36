"""Reads for reports, the registry and exports go to a read replica when one is configured.

``DATABASE_REPLICA_URL`` adds the ``replica`` database (a PostgreSQL streaming standby).  Code
opts in with ``with replica_reads():`` or ``@reads_from_replica``; everything else reads from
the primary, so a page always sees what its user just saved.  Inside the opt-in:

* every write goes to the primary (a standby refuses writes anyway);
* a read inside a transaction on the primary stays on the primary: the audit journal reads the
  chain's head under its lock, and a stale head from a replica would break the chain;
* what the replica answers may be behind the primary by the replication lag (seconds), which is
  why only reports, the registry and exports opt in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_READS_FROM_REPLICA: ContextVar[bool] = ContextVar("reads_from_replica", default=False)
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _READS_FROM_REPLICA.set(True)
    try:
        yield
    finally:
        _READS_FROM_REPLICA.reset(token)


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """Run a whole view or task with its reads on the replica (see the module's rules)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if (
            _READS_FROM_REPLICA.get()
            and REPLICA in settings.DATABASES
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
