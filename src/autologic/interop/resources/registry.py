"""The resource types /fhir serves.  The CapabilityStatement is generated from this list, so it
cannot claim a type or a search parameter that is not served."""

from __future__ import annotations

from autologic.interop.resources.base import ResourceType
from autologic.interop.resources.people import ORGANIZATION, PATIENT, PRACTITIONER

TYPES: dict[str, ResourceType] = {t.name: t for t in (PATIENT, PRACTITIONER, ORGANIZATION)}
