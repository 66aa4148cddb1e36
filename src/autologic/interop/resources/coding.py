"""Codings shared by several resource families: body sites with laterality, platform code
systems and extensions, staff names for signatures."""

from __future__ import annotations

from typing import Any

from autologic.accounts.models import User
from autologic.interop.resources.base import Context

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# The laterality value set (SNOMED CT): unilateral left, unilateral right.
LATERALITY = {
    "left": {"system": SNOMED, "code": "419161000", "display": "Unilateral left"},
    "right": {"system": SNOMED, "code": "419465000", "display": "Unilateral right"},
}


def code(context: Context, system: str, value: str, text: str = "") -> dict[str, Any]:
    """A CodeableConcept from one of the platform's code systems."""
    concept: dict[str, Any] = {
        "coding": [{"system": context.system(f"CodeSystem/{system}"), "code": value}]
    }
    if text:
        concept["text"] = text
    return concept


def body_site(context: Context, region: str, side: str) -> dict[str, Any]:
    """A joint or region with its side: the platform's body-site code and, for left or right,
    the laterality extension (R4 bodySite has no laterality element)."""
    site = code(context, "body-site", region, f"{side} {region}".strip() if side else region)
    if side in LATERALITY:
        site["extension"] = [
            {
                "url": context.system("StructureDefinition/laterality"),
                "valueCodeableConcept": {"coding": [LATERALITY[side]]},
            }
        ]
    return site


def quantity(value: Any, unit: str, ucum: str) -> dict[str, Any]:
    return {"value": float(value), "unit": unit, "system": UCUM, "code": ucum}


def staff_name(context: Context, pk: int | None) -> str:
    """A staff member's printed name (loaded once per request for the clinic)."""
    names: dict[int, str] | None = context.cache.get("staff")
    if names is None:
        names = {
            u.pk: u.printed_name
            for u in User.objects.filter(site=context.site).only(
                "pk", "first_name", "last_name", "username"
            )
        }
        context.cache["staff"] = names
    return names.get(pk or 0, "")


def practitioner(context: Context, pk: int | None) -> dict[str, Any]:
    """A reference to a member of staff, with the printed name."""
    reference: dict[str, Any] = {"reference": f"Practitioner/{pk}"}
    name = staff_name(context, pk)
    if name:
        reference["display"] = name
    return reference
