"""Rows are locked only through common.locks.for_update (docs/architecture.md, issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "autologic"


def test_every_row_lock_is_for_no_key_update_of_its_own_table():
    # A bare select_for_update() locked the joined clinic row too (FOR UPDATE, every table of
    # the join), which deadlocked injections against chart reads on PostgreSQL.
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("*.py")
        if path.name != "locks.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.select_for_update\(", line)
    ]
    assert offenders == []
