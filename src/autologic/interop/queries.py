"""The read side of the FHIR API that spans types: a patient's whole record."""

from __future__ import annotations

from autologic.interop.domain.search import MAX_COUNT, Search
from autologic.interop.resources.base import Context, Resource
from autologic.interop.resources.registry import TYPES


def everything(context: Context, patient_id: str) -> list[Resource] | None:
    """Every resource of one patient the client's clinic holds (the Patient first, then each
    type that has a ``patient`` search parameter, all pages), or None when there is no such
    patient for this client."""
    patient = TYPES["Patient"].read(context, patient_id)
    if patient is None:
        return None
    out = [patient, *TYPES["Organization"].read_many(context, {str(context.site.pk)})]
    for rtype in TYPES.values():
        if "patient" not in rtype.parameters:
            continue
        cursor = None
        while True:
            page, cursor = rtype.search(
                context,
                Search(filters={"patient": [patient_id]}, count=MAX_COUNT, after=cursor),
            )
            out += page
            if cursor is None:
                break
    return out
