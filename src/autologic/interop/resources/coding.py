"""Codings shared by several resource families: body sites with laterality, platform code
systems and extensions, staff names for signatures."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils.translation import override

from autologic.accounts.models import User
from autologic.clinical import choices
from autologic.common.domain.identifiers import IdentifierError, Scheme, facility_scheme
from autologic.interop.resources.base import Context

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# A real ISBT 128 DIN (a licensed FIN's) is named by HL7's ICCBBA DIN system; ICCBBA publishes
# no FHIR system for the CoI identifier (DS 040) or a whole unit's identifier, so real ones get
# platform systems of their own, apart from the internal ones: an internal identifier can never
# be taken for ISBT 128 (identifiers-and-labels.md §11).
ICCBBA_DIN = "http://hl7.org/fhir/NamingSystem/iccbba-din"
PRODUCT_KINDS = ("coi", "din", "unit")


def product_systems(context: Context, kind: str) -> tuple[str, str]:
    """The (internal, ISBT 128) identifier systems of a product identifier kind."""
    internal = context.system(f"sid/{kind}")
    return internal, ICCBBA_DIN if kind == "din" else context.system(f"sid/isbt128-{kind}")


def product_identifier(context: Context, kind: str, value: str) -> dict[str, str]:
    """An identifier of the chain (coi), a collection (din) or a unit, with the system of the
    scheme its facility part says: a licensed FIN's ISBT 128, or the clinic's internal code."""
    internal, isbt = product_systems(context, kind)
    facility = value[2:7] if kind == "coi" else value[:5]  # CH + facility; DIN starts with it
    try:
        real = facility_scheme(facility) is Scheme.ISBT128
    except IdentifierError:
        real = False
    return {"system": isbt if real else internal, "value": value}


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
