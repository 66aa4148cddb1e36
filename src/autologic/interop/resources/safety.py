"""FHIR resources of this family (being written)."""

from __future__ import annotations

from autologic.interop.resources.base import ResourceType

TYPES: tuple[ResourceType, ...] = ()
