"""The product's chain from draw to needle: Specimen (the collection), BiologicallyDerivedProduct
(the collected unit and the units divided from it, each with its ``parent``) and Procedure (the
collection, and the injection with its side).  R4 cannot link a Procedure to the product it used
(``usedReference`` takes no BiologicallyDerivedProduct): ``provenance`` carries those links."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from autologic.injections.models import Administration
from autologic.interop.domain.search import Kind, Token
from autologic.interop.resources.base import (
    NOTHING,
    Context,
    Include,
    Parameter,
    Part,
    Resource,
    ResourceType,
    Row,
    ids,
    ids_with,
    instant,
    one,
    reference_id,
    references,
)
from autologic.interop.resources.coding import (
    body_site,
    code,
    practitioner,
    product_identifier,
    product_systems,
    quantity,
)
from autologic.interop.resources.people import of_patients
from autologic.lab.models import Collection, Unit

# R4 BiologicallyDerivedProduct.status has only these two; the unit's own state goes in the
# unit-status extension.
AVAILABLE = frozenset({"released", "reserved", "issued", "thawed"})
# productCategory (required binding): cells for marrow and fat, fluid for conditioned serum.
CATEGORY = {"blood_draw": "fluid", "marrow_aspirate": "cells", "lipoaspirate": "cells"}
SPECIMEN_CATEGORY = {"blood_draw": "fluid", "marrow_aspirate": "cells", "lipoaspirate": "tissue"}


def _identifiers(context: Context, values: list[Any], column: str, kinds: tuple[str, ...]) -> Q:
    known = {system for kind in kinds for system in product_systems(context, kind)}
    codes = [
        v.code for v in values if isinstance(v, Token) and (v.system is None or v.system in known)
    ]
    return Q(**{f"{column}__in": codes}) if codes else NOTHING


def _by_din(context: Context, values: list[Any]) -> Q:
    """Units of a donation: every unit identifier starts with its lot's DIN."""
    known = set(product_systems(context, "din"))
    query = NOTHING
    for v in values:
        if isinstance(v, Token) and (v.system is None or v.system in known) and len(v.code) == 13:
            query |= Q(identifier__startswith=v.code)
    return query


# Specimen ← Collection


def collections(context: Context) -> QuerySet[Any]:
    root = Unit.objects.filter(collection=OuterRef("pk"), parent__isnull=True).order_by("pk")
    return of_patients(Collection.objects, context).annotate(
        din=Subquery(root.values("identifier")[:1])
    )


def specimen_to_fhir(row: Row, context: Context) -> Resource:
    resource: Resource = {
        "resourceType": "Specimen",
        "id": str(row["id"]),
        "identifier": [product_identifier(context, "coi", row["chain__identifier"])],
        "status": "available",
        "type": code(context, "collection-kind", row["kind"]),
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "receivedTime": instant(row["recorded_at"]),
        "collection": {
            "collector": practitioner(context, row["collected_by_id"]),
            "collectedDateTime": instant(row["collected_at"]),
            "quantity": quantity(row["volume_ml"], "mL", "mL"),
        },
        "container": [{"type": {"text": row["container_type"]}}],
    }
    if row["din"]:
        resource["accessionIdentifier"] = product_identifier(context, "din", row["din"][:13])
    return resource


SPECIMEN = one(
    "Specimen",
    Part(
        model=Collection,
        fields=(
            "id",
            "patient_id",
            "kind",
            "collected_at",
            "collected_by_id",
            "volume_ml",
            "container_type",
            "recorded_at",
            "chain__identifier",
            "din",
        ),
        to_fhir=specimen_to_fhir,
        visible=collections,
        filters={
            "_id": ids,
            "patient": references("patient_id"),
            "identifier": lambda v, c: (
                _identifiers(c, v, "chain__identifier", ("coi",))
                | _identifiers(c, v, "din", ("din",))
            ),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The collection's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient collected from.", "Patient"),
        "identifier": Parameter(Kind.TOKEN, "The chain-of-identity identifier or the DIN."),
    },
    {"Specimen:patient": Include("Patient", lambda r: reference_id(r["subject"], "Patient"))},
)


# BiologicallyDerivedProduct ← Unit


def units(context: Context) -> QuerySet[Any]:
    return of_patients(Unit.objects, context)


def product_to_fhir(row: Row, context: Context) -> Resource:
    kind = row["collection__kind"]
    specimen = row["kind"] == "specimen"
    extensions: list[dict[str, Any]] = [
        {"url": context.system("StructureDefinition/unit-status"), "valueCode": row["status"]}
    ]
    if row["expires_at"]:
        extensions.append(
            {
                "url": context.system("StructureDefinition/expiry"),
                "valueDateTime": instant(row["expires_at"]),
            }
        )
    if row["volume_ml"] is not None:
        extensions.append(
            {
                "url": context.system("StructureDefinition/volume"),
                "valueQuantity": quantity(row["volume_ml"], "mL", "mL"),
            }
        )
    if row["cells_million"] is not None:
        extensions.append(
            {
                "url": context.system("StructureDefinition/cell-count"),
                "valueQuantity": quantity(row["cells_million"], "million cells", "10*6"),
            }
        )
    resource: Resource = {
        "resourceType": "BiologicallyDerivedProduct",
        "id": str(row["id"]),
        "extension": extensions,
        "identifier": [
            product_identifier(context, "unit", row["identifier"]),
            product_identifier(context, "din", row["identifier"][:13]),
            product_identifier(context, "coi", row["chain__identifier"]),
        ],
        "productCategory": (SPECIMEN_CATEGORY if specimen else CATEGORY).get(kind, "fluid"),
        "productCode": code(context, "product-code", row["product_code"], row["kind"]),
        "status": "available" if row["status"] in AVAILABLE else "unavailable",
        "quantity": 1,
        "collection": {
            "collector": practitioner(context, row["collection__collected_by_id"]),
            "source": {"reference": f"Patient/{row['patient_id']}"},
            "collectedDateTime": instant(row["collection__collected_at"]),
        },
    }
    if row["parent_id"]:
        resource["parent"] = [{"reference": f"BiologicallyDerivedProduct/{row['parent_id']}"}]
    if row["frozen"]:
        resource["storage"] = [{"description": "Frozen", "temperature": -20.0, "scale": "celsius"}]
    return resource


PRODUCT = one(
    "BiologicallyDerivedProduct",
    Part(
        model=Unit,
        fields=(
            "id",
            "patient_id",
            "parent_id",
            "identifier",
            "kind",
            "product_code",
            "status",
            "frozen",
            "volume_ml",
            "cells_million",
            "expires_at",
            "chain__identifier",
            "collection__kind",
            "collection__collected_at",
            "collection__collected_by_id",
        ),
        to_fhir=product_to_fhir,
        visible=units,
        filters={
            "_id": ids,
            "patient": references("patient_id"),
            "parent": references("parent_id"),
            "identifier": lambda v, c: (
                _identifiers(c, v, "identifier", ("unit",))
                | _identifiers(c, v, "chain__identifier", ("coi",))
                | _by_din(c, v)
            ),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The unit's id."),
        "patient": Parameter(
            Kind.REFERENCE,
            "The patient the product was made from (SearchParameter "
            "BiologicallyDerivedProduct-patient: not in R4 core).",
            "Patient",
        ),
        "parent": Parameter(
            Kind.REFERENCE,
            "The unit it was divided from (BiologicallyDerivedProduct-parent).",
            "BiologicallyDerivedProduct",
        ),
        "identifier": Parameter(
            Kind.TOKEN,
            "The unit identifier (DIN and division), the DIN (every unit of the donation) or "
            "the chain-of-identity identifier (BiologicallyDerivedProduct-identifier).",
        ),
    },
    {
        "BiologicallyDerivedProduct:parent": Include(
            "BiologicallyDerivedProduct",
            lambda r: [
                i
                for p in r.get("parent", [])
                for i in reference_id(p, "BiologicallyDerivedProduct")
            ],
        )
    },
)


# Procedure ← Collection (col-) and Administration (inj-)


def collection_to_procedure(row: Row, context: Context) -> Resource:
    return {
        "resourceType": "Procedure",
        "id": f"col-{row['id']}",
        "status": "completed",
        "category": code(context, "procedure-category", "collection"),
        "code": code(context, "collection-kind", row["kind"]),
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "performedDateTime": instant(row["collected_at"]),
        "performer": [{"actor": practitioner(context, row["collected_by_id"])}],
    }


def administrations(context: Context) -> QuerySet[Any]:
    return of_patients(Administration.objects, context)


def administration_to_procedure(row: Row, context: Context) -> Resource:
    return {
        "resourceType": "Procedure",
        "id": f"inj-{row['id']}",
        "status": "completed",
        "category": code(context, "procedure-category", "injection"),
        "code": code(context, "procedure", "autologous-injection", "Injection of own product"),
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "performedDateTime": instant(row["given_at"]),
        "recorder": practitioner(context, row["operator_id"]),
        "performer": [
            {
                "function": code(context, "performer-function", "operator"),
                "actor": practitioner(context, row["operator_id"]),
            },
            {
                "function": code(context, "performer-function", "second-verifier"),
                "actor": practitioner(context, row["second_verifier_id"]),
            },
        ],
        "bodySite": [body_site(context, row["region"], row["side"])],
    }


PROCEDURE = ResourceType(
    "Procedure",
    (
        Part(
            model=Collection,
            fields=("id", "patient_id", "kind", "collected_at", "collected_by_id"),
            to_fhir=collection_to_procedure,
            visible=lambda c: of_patients(Collection.objects, c),
            filters={"_id": ids_with("col-"), "patient": references("patient_id")},
            prefix="col-",
        ),
        Part(
            model=Administration,
            fields=(
                "id",
                "patient_id",
                "given_at",
                "operator_id",
                "second_verifier_id",
                "region",
                "side",
            ),
            to_fhir=administration_to_procedure,
            visible=administrations,
            filters={"_id": ids_with("inj-"), "patient": references("patient_id")},
            prefix="inj-",
        ),
    ),
    {
        "_id": Parameter(Kind.TOKEN, "col-<id> for a collection, inj-<id> for an injection."),
        "patient": Parameter(Kind.REFERENCE, "The patient.", "Patient"),
    },
)

TYPES = (SPECIMEN, PRODUCT, PROCEDURE)
