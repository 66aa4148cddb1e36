"""Proof that no patient data reaches a log: while a browser test runs, every log record the
application emits (at INFO and above, as production logs with LOG_LEVEL=INFO) is kept, and every
patient's name, MRN, phone and e-mail and every portal token the test made or used is
remembered; afterwards none of them may appear in any record."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# A portal link's token, wherever it shows: in a message body or a URL the browser opened.
PORTAL_TOKEN = re.compile(r"/p/([A-Za-z0-9_\-]{16,})")
# The loggers production writes; test harness loggers (the browser driver) are not ours.
HARNESS = ("playwright", "asyncio", "urllib3", "websockets")


class Kept(logging.Handler):
    """Keeps every record's full text: message, arguments, exception and stack."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(HARNESS):
            return
        self.lines.append(self.format(record))


def phi_values(*values: str | None) -> set[str]:
    """The values worth looking for: names of three letters or more, numbers of six or more."""
    return {v.strip() for v in values if v and len(v.strip()) >= 3}


def phi_found(lines: Iterable[str], values: Iterable[str]) -> dict[str, str]:
    """Each remembered value that occurs as a whole word in a line, with that line."""
    found: dict[str, str] = {}
    patterns = {v: re.compile(rf"(?<![\w]){re.escape(v)}(?![\w])") for v in values}
    for line in lines:
        for value, pattern in patterns.items():
            if value not in found and pattern.search(line):
                found[value] = line[:300]
    return found
