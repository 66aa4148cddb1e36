"""A QC result that fails after its lot's release: hold the units not yet given, inform the
physicians and the managers, and open a look-back, in the transaction that records the result."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from autologic.lab.signals import results_failed_after_release
from autologic.recalls.actions import open_recall
from autologic.recalls.domain import Origin
from autologic.recalls.queries import Source


@receiver(results_failed_after_release)
def hold_and_look_back(
    sender: Any, *, collection: Any, result: Any, by: Any, now: Any, **_: Any
) -> None:
    """Open the look-back of a lot whose result failed after release (it holds the lot)."""
    open_recall(
        Source(Origin.LOT, collection.site, collection=collection, result=result),
        reason=f"{result.attribute} {result.value}: failed after release ({result.criterion})",
        by=by,
        now=now,
        trigger="post_release_qc",
    )
