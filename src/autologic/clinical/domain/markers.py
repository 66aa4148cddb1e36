"""Infectious-disease markers: what a donation's tests say about its product.

The protocol lists the markers (``preparation.markers``), how old a sample may be, and whether a
reactive or missing result blocks processing or only marks the product.  A product is
*negative* only when every listed marker has a negative result on a sample from the collection
day or up to ``max_age_days`` before it; any reactive result in that window makes it *reactive*
(a later negative repeat does not clear it); anything else is *not evaluated*.  A protocol that
lists no markers tests nothing, so its products are never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from autologic.protocols.domain.schema import Markers

Infectious = Literal["negative", "not_evaluated", "reactive"]
# The order a status may only move along: a reactive product never becomes negative again.
SEVERITY: dict[str, int] = {"negative": 0, "not_evaluated": 1, "reactive": 2}


@dataclass(frozen=True)
class MarkerFacts:
    """One marker test on file: the marker, the sample's day and the result."""

    marker: str
    sampled_on: date
    result: str  # pending | negative | reactive


@dataclass(frozen=True)
class MarkerStatus:
    """The donation's status, with the markers that are missing or reactive."""

    status: Infectious
    missing: tuple[str, ...] = ()
    reactive: tuple[str, ...] = ()

    def blocks_processing(self, spec: Markers | None) -> str:
        """``markers_reactive`` or ``markers_missing`` when the protocol stops processing on
        this status, else an empty string."""
        if spec is None:
            return ""
        if self.status == "reactive" and spec.reactive == "block":
            return "markers_reactive"
        if self.status == "not_evaluated" and spec.missing == "block":
            return "markers_missing"
        return ""


def marker_status(spec: Markers | None, tests: tuple[MarkerFacts, ...], day: date) -> MarkerStatus:
    """The donation's infectious-disease status on collection day ``day``."""
    if spec is None:
        return MarkerStatus("not_evaluated")
    earliest = day - timedelta(days=spec.max_age_days)
    usable = [t for t in tests if earliest <= t.sampled_on <= day]
    reactive = tuple(
        m.value
        for m in spec.tests
        if any(t.marker == m.value and t.result == "reactive" for t in usable)
    )
    missing = tuple(
        m.value
        for m in spec.tests
        if m.value not in reactive
        and not any(t.marker == m.value and t.result == "negative" for t in usable)
    )
    if reactive:
        return MarkerStatus("reactive", missing, reactive)
    if missing:
        return MarkerStatus("not_evaluated", missing)
    return MarkerStatus("negative")
