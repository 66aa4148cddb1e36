"""Fresh databases of the suite's kind, for commands an operator runs against a new one; the
clinic the kill -9 drill writes to (lots released to their courses, in a freezer of its own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from tests.injections.conftest import (  # noqa: F401
    a_freezer,
    fixed_clock,
    make_lot,
    manager,
    released,
    resources,
    start_course,
    tech,
)

GIVE = 12  # patients whose first injection the kill -9 drill gives over HTTP
LOTS = 2  # lots that wait for its QC results

POSTGRES = "postgres" in os.environ.get("DATABASE_URL", "")


class Databases:
    """Fresh, empty databases of the suite's kind, dropped at the end."""

    def __init__(self, root: Path) -> None:
        self.root, self.made = root, []  # type: ignore[var-annotated]

    def new(self) -> str:
        if not POSTGRES:
            return f"sqlite:///{self.root / f'{uuid.uuid4().hex}.sqlite3'}"
        name = f"autologic_drill_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.server(name)

    @staticmethod
    def server(name: str) -> str:
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        return f"{base}/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(self.server("postgres"), autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def databases(tmp_path) -> Iterator[Databases]:
    """Fresh databases for a drill's own servers, dropped afterwards."""
    made = Databases(tmp_path)
    yield made
    if made.made:
        made.drop_all()


@pytest.fixture
def freezer(site, resources, manager):
    """Room for every lot of the drill: one 3x3 box per lot."""
    return a_freezer(
        site,
        resources,
        manager,
        boxes=GIVE + LOTS + 2,
        code="fz-crash",
        name="Crash freezer",
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
