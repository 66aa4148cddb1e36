"""Whether this instance should take traffic: the checks `/ready` reports, and their verdict.

A check *fails* when serving would be wrong (no database, migrations not applied, an audit or
same-patient trigger not in force, static files not collected): `/ready` then answers 503 and
a load balancer stops sending requests here.  A check *warns* when something needs a person
but serving is still right (the task queue lags, messages failed to leave): 200, with the
numbers, for monitoring to alert on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str


def verdict(checks: list[Check]) -> tuple[bool, str]:
    """Ready (no check failed) and the overall status word."""
    levels = {check.level for check in checks}
    if Level.FAIL in levels:
        return False, "not ready"
    return True, "attention" if Level.WARN in levels else "ready"


def lag_check(name: str, lag_seconds: float | None, limit_seconds: float, waiting: int) -> Check:
    """A queue is late when its oldest due item has waited longer than the limit."""
    if lag_seconds is None or waiting == 0:
        return Check(name, Level.OK, "nothing waiting")
    detail = f"{waiting} waiting, oldest due {round(lag_seconds)} s ago"
    return Check(name, Level.WARN if lag_seconds > limit_seconds else Level.OK, detail)


def count_check(name: str, count: int, what: str) -> Check:
    """Items that need a person (e.g. messages that failed for good) warn, never fail."""
    if count == 0:
        return Check(name, Level.OK, f"no {what}")
    return Check(name, Level.WARN, f"{what}: {count}")
