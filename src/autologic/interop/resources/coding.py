"""Codings shared by several resource families: body sites with laterality, platform code
systems and extensions, staff names for signatures."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils.translation import override

from autologic.accounts.models import User
from autologic.clinical import choices
from autologic.interop.resources.base import Context

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# SNOMED laterality from the R4 ValueSet bodysite-laterality: unilateral left and right.
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


@cache
def clinical_labels(name: str) -> dict[str, str]:
    """The English labels of one of the clinical vocabularies (``clinical.choices.<name>``)."""
    with override("en"):
        return {value: str(label) for value, label in getattr(choices, name)}


def body_site(context: Context, region: str, side: str, detail: str = "") -> dict[str, Any]:
    """A joint or region as a CodeableConcept: the platform's body-site code, and the side in
    the laterality extension (R4 bodySite has no laterality element): SNOMED for left and
    right (R4 ValueSet bodysite-laterality; midline has no code there) beside the platform's
    side code.  Used by Condition, Observation (grade) and Procedure (injection) alike."""
    regions, sides = clinical_labels("REGIONS"), clinical_labels("SIDES")
    concept: dict[str, Any] = {
        "coding": [
            {
                "system": context.system("CodeSystem/body-site"),
                "code": region,
                "display": regions[region],
            }
        ],
        "text": " ".join(p for p in (sides.get(side, ""), regions[region], detail) if p),
    }
    if side:
        side_coding = {
            "system": context.system("CodeSystem/side"),
            "code": side,
            "display": sides[side],
        }
        codings = [LATERALITY[side], side_coding] if side in LATERALITY else [side_coding]
        concept["extension"] = [
            {
                "url": context.system("StructureDefinition/laterality"),
                "valueCodeableConcept": {"coding": codings},
            }
        ]
    return concept


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
