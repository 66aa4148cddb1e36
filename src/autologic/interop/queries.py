"""The read side of the FHIR API that spans types: a patient's whole record, for a machine
client (``$everything``) or for the clinic's staff (the record copy page)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from autologic.accounts.models import Site
from autologic.interop.domain.bundles import searchset
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


@dataclass(frozen=True)
class RecordCopy:
    """One patient's whole record as FHIR R4, as the clinic hands it over: to the patient (a
    subject-access request, GDPR Art. 15; portable, Art. 20) or to another clinic."""

    patient_id: int
    resources: list[Resource]

    @property
    def counts(self) -> list[tuple[str, int]]:
        """Resources per type, in the order the record lists them."""
        return list(Counter(r["resourceType"] for r in self.resources).items())

    def bundle(self) -> dict[str, Any]:
        base = f"{settings.AUTOLOGIC_PUBLIC_URL}/fhir"
        return searchset(
            base=base,
            self_link=f"{base}/Patient/{self.patient_id}/$everything",
            next_link=None,
            matches=self.resources,
        )


def record_copy(site: Site, patient_id: int) -> RecordCopy | None:
    """The clinic's whole record of one of its patients, built by the same code as the FHIR
    API's ``$everything``; None when the clinic has no such patient."""
    context = Context(
        site=site,
        client=None,
        namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
        base=f"{settings.AUTOLOGIC_PUBLIC_URL}/fhir",
    )
    resources = everything(context, str(patient_id))
    return None if resources is None else RecordCopy(patient_id, resources)
