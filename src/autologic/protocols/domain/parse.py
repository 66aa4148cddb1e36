"""Turn parsed protocol data into a validated ``Protocol``, or say exactly what is wrong."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from autologic.common.domain.errors import ValidationFailed
from autologic.protocols.domain.schema import Protocol


@dataclass(frozen=True)
class Issue:
    """One problem in a protocol file: where (a dotted path) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class ProtocolInvalid(ValidationFailed):
    """A protocol file failed validation; ``data['issues']`` lists every problem."""


RULE_KINDS = frozenset(
    {"region", "grade", "exclusion", "age", "anaesthesia", "studies", "medication_hold"}
    | {"authorisation", "conservative_first"}
)


def _path(location: tuple[int | str, ...]) -> str:
    """Render pydantic's location as ``eligibility[2].bands[0].grades``."""
    text = ""
    previous: int | str | None = None
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(previous, int) and location[0] == "eligibility" and part in RULE_KINDS:
            pass  # the discriminated union inserts the rule's kind; the file never writes it there
        else:
            text += f".{part}" if text else part
        previous = part
    return text


def _issues(error: ValidationError) -> list[Issue]:
    return [
        Issue(_path(tuple(item["loc"])), item["msg"].removeprefix("Value error, "))
        for item in error.errors(include_url=False)
    ]


def parse_protocol(data: Any, source: str) -> Protocol:
    """Validate ``data`` read from ``source``; raise ``ProtocolInvalid`` naming every problem."""
    if not isinstance(data, dict):
        issues = [Issue("", "the file must hold a mapping of protocol fields")]
    else:
        try:
            return Protocol.model_validate(data)
        except ValidationError as exc:
            issues = _issues(exc)
    listing = "; ".join(str(issue) for issue in issues)
    raise ProtocolInvalid(
        "invalid_protocol",
        f"{source}: {listing}",
        None,
        {"source": source, "issues": issues, "listing": listing},
    )


def canonical(protocol: Protocol) -> dict[str, Any]:
    """Return the protocol as JSON-ready data, the form stored with every course."""
    result: dict[str, Any] = protocol.model_dump(mode="json", exclude_none=True)
    return result


def fingerprint(protocol: Protocol) -> str:
    """SHA-256 of the canonical JSON without ``status``: equal meaning, equal fingerprint.

    Status is left out because retiring a version is allowed; changing what it says is not.
    """
    content = canonical(protocol)
    content.pop("status", None)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
