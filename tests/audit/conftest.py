"""Audit fixtures: the lab and bedside fixtures (the guard triggers protect their rows), and
``postgres_only`` tests skipped on SQLite."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.injections.conftest import (  # noqa: F401
    fixed_clock,
    freezer,
    make_lot,
    manager,
    nurse,
    other_patient,
    released,
    resources,
    start_course,
    tech,
)


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    """Skip a test marked ``postgres_only`` unless the database is PostgreSQL."""
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


def run_audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `autologic audit ARGS`; return its exit code and everything it printed."""
    from django.core.management import CommandError, call_command

    try:
        call_command("audit", *args)
        code, error = 0, ""
    except SystemExit as exit_:
        code, error = int(exit_.code or 0), ""
    except CommandError as refused:
        code, error = 1, str(refused)
    out = capsys.readouterr()
    return code, out.out + out.err + error
