"""Fresh databases of the suite's kind, for commands an operator runs against a new one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg

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
