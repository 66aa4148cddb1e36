"""The shapes the FHIR API answers with: OperationOutcome and searchset Bundle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def operation_outcome(
    *, issue: str, code: str, message: str, namespace: str, parameter: str | None = None
) -> dict[str, Any]:
    """An OperationOutcome with one error: the FHIR issue type, and our stable code from the
    error catalogue in ``details.coding`` (system ``{namespace}/CodeSystem/error``)."""
    entry: dict[str, Any] = {
        "severity": "error",
        "code": issue,
        "details": {
            "coding": [{"system": f"{namespace}/CodeSystem/error", "code": code}],
            "text": message,
        },
    }
    if parameter:
        entry["expression"] = [parameter]
    return {"resourceType": "OperationOutcome", "issue": [entry]}


def searchset(
    *,
    base: str,
    self_link: str,
    next_link: str | None,
    matches: Sequence[dict[str, Any]],
    included: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A page of search results (``mode: match``), with what ``_include`` brought along."""
    links = [{"relation": "self", "url": self_link}]
    if next_link:
        links.append({"relation": "next", "url": next_link})
    entries = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": mode},
        }
        for rows, mode in ((matches, "match"), (included, "include"))
        for r in rows
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle
