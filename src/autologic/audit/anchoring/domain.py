"""Anchors as plain values: the record, the sink setting, the JSON-lines file and the check.

No Django and no I/O, so the settings module can validate the sink at start-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Literal
from urllib.parse import unquote, urlsplit

from autologic.audit.domain import ALGORITHM, canonical_time

_HASH = re.compile(r"[0-9a-f]{64}")
_ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+")
FORMS = "file:///absolute/path, mailto:address[,address] or https://host/path"


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: its sequence number and hash, and when it was published."""

    seq: int
    hash: str
    at: datetime
    algorithm: str = ALGORITHM


def anchor_json(anchor: Anchor) -> str:
    """One anchor as a single line of JSON: the file sink's line, the e-mail's, the HTTP body."""
    return json.dumps(
        {
            "seq": anchor.seq,
            "hash": anchor.hash,
            "at": canonical_time(anchor.at),
            "algorithm": anchor.algorithm,
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class Destination:
    """Where anchors go, parsed from the sink setting: a file, e-mail addresses or a URL."""

    kind: Literal["file", "mail", "http"]
    target: str  # the file's path, the comma-separated addresses, or the URL


def parse_destination(text: str) -> Destination:
    """Parse a sink setting; a ValueError says what is wrong with it."""
    parts = urlsplit(text.strip())
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise ValueError(f"a file sink is file:///absolute/path, not {text!r}")
        if not path.startswith("/") or path.endswith("/"):
            raise ValueError(f"a file sink needs an absolute file path, not {text!r}")
        return Destination("file", path)
    if parts.scheme == "mailto":
        addresses = [a.strip() for a in unquote(parts.path).split(",")]
        if parts.query or not all(_ADDRESS.fullmatch(a) for a in addresses):
            raise ValueError(f"a mail sink is mailto:name@host[,name@host], not {text!r}")
        return Destination("mail", ",".join(addresses))
    if parts.scheme in ("https", "http"):
        if not parts.hostname:
            raise ValueError(f"an HTTP sink needs a host: {text!r}")
        if parts.username or parts.password:
            raise ValueError("put the HTTP sink's credentials in AUTOLOGIC_AUDIT_ANCHOR_TOKEN")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("an HTTP sink outside this machine must use https://")
        return Destination("http", text.strip())
    raise ValueError(f"must be {FORMS}, not {text!r}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def parse_minutes(text: str) -> int:
    """Parse the anchoring interval in minutes; a ValueError says what is wrong."""
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"must be a whole number of minutes, at least 1, not {text!r}")
    return int(text)


class AnchorFileError(ValueError):
    """A line of an anchor file that cannot be read: its number, the field and the reason."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(f"line {line}: {field}: {reason}")
        self.line, self.field, self.reason = line, field, reason


@dataclass(frozen=True)
class Anchored:
    """An anchor read back, with the line it came from."""

    line: int
    anchor: Anchor


def read_anchors(lines: Iterable[str]) -> list[Anchored]:
    """Parse the JSON lines of an anchor file (blank lines are skipped)."""
    anchors = []
    for number, text in enumerate(lines, start=1):
        if text.strip():
            anchors.append(Anchored(number, _anchor(number, text)))
    return anchors


def _anchor(number: int, text: str) -> Anchor:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AnchorFileError(number, "line", f"not JSON ({error.msg})") from error
    if not isinstance(data, dict):
        raise AnchorFileError(number, "line", "not a JSON object")
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise AnchorFileError(number, "seq", "must be a positive integer")
    digest = data.get("hash")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise AnchorFileError(number, "hash", "must be 64 lower-case hexadecimal characters")
    algorithm = data.get("algorithm")
    if algorithm != ALGORITHM:
        raise AnchorFileError(number, "algorithm", f"{algorithm!r} is not this chain's {ALGORITHM}")
    return Anchor(seq, digest, _moment(number, data.get("at")), algorithm)


def _moment(number: int, value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise AnchorFileError(number, "at", "must be an ISO 8601 time with its UTC offset")
    return moment


@dataclass(frozen=True)
class AnchorCheck:
    """How many anchors were checked, and the first one missing from the chain or changed."""

    checked: int
    failure: str = ""
    seq: int | None = None

    @property
    def ok(self) -> bool:
        """Whether every anchored head is still in the chain with its hash."""
        return not self.failure


def check_anchors(anchored: Sequence[Anchored], stored: Mapping[int, str]) -> AnchorCheck:
    """Compare each anchor with the chain's hash at its seq, in file order; stop at the first
    that is missing (the tail was cut) or differs (the chain was rewritten)."""
    for checked, item in enumerate(anchored, start=1):
        seq, line = item.anchor.seq, item.line
        found = stored.get(seq)
        if found is None:
            reason = f"anchor on line {line}: seq {seq} is missing from the chain (truncated)"
            return AnchorCheck(checked, reason, seq)
        if found != item.anchor.hash:
            reason = (
                f"anchor on line {line}: seq {seq} has hash {found[:16]}… in the chain, "
                f"{item.anchor.hash[:16]}… when anchored (rewritten)"
            )
            return AnchorCheck(checked, reason, seq)
    return AnchorCheck(len(anchored))
