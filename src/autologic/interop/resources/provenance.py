"""Provenance: the chain of custody from draw to needle, which R4 cannot hold in the resources
themselves.  Five kinds, each from the record that proves it:

- ``col-``: the collection (Specimen and collection Procedure, from the patient);
- ``run-``: the processing of the specimen into the lot;
- ``rel-``: the QC release (or rejection) of the lot, with its Part 11 signatures;
- ``ue-``: every custody step of a unit (reserve, check out, issue, thaw, hand-over, dispose…);
- ``adm-``: the two-person bedside check and injection (Procedure ``inj-``, from the unit), with
  both signatures.

Walking ``target`` and ``entity`` references from an injection reaches the unit, its lot, the
collection and the patient (docs/fhir/index.md)."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from autologic.injections.models import Administration
from autologic.interop.domain.search import Kind, is_key
from autologic.interop.resources.base import (
    Context,
    Include,
    Parameter,
    Part,
    Resource,
    ResourceType,
    Row,
    ids_with,
    instant,
    references,
)
from autologic.interop.resources.coding import code, practitioner
from autologic.interop.resources.people import of_patients
from autologic.lab.models import Collection, Release, Run, Unit, UnitEvent

ASTM = "urn:iso-astm:E1762-95:2013"
# What a signer declared (audit SignatureMeaning) as the ASTM E1762 signature type.
SIGNATURE_TYPE = {
    "authored": ("1.2.840.10065.1.12.1.1", "Author's Signature"),
    "reviewed": ("1.2.840.10065.1.12.1.13", "Review Signature"),
    "approved": ("1.2.840.10065.1.12.1.6", "Validation Signature"),
    "released": ("1.2.840.10065.1.12.1.5", "Verification Signature"),
    "administered": ("1.2.840.10065.1.12.1.1", "Author's Signature"),
    "verified": ("1.2.840.10065.1.12.1.9", "Event Witness Signature"),
}
AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SYSTEM_AGENT = {"display": "Autologic (automatic step)"}


def agent(context: Context, pk: int | None, role: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": AGENT_TYPE, "code": role}]},
        "who": practitioner(context, pk) if pk else dict(SYSTEM_AGENT),
    }


def signatures(context: Context, signed: list[dict[str, Any]], when: Any) -> list[Resource]:
    """Part 11 signatures (signer, meaning, hash of what was signed) as R4 Signatures; the
    platform's meaning code rides beside the ASTM type."""
    out = []
    for entry in signed:
        if not isinstance(entry, dict) or "signer" not in entry:
            continue  # rows signed before 2026-12 keep Signature ids only
        astm, display = SIGNATURE_TYPE.get(entry["meaning"], SIGNATURE_TYPE["authored"])
        out.append(
            {
                "type": [
                    {"system": ASTM, "code": astm, "display": display},
                    {
                        "system": context.system("CodeSystem/signature-meaning"),
                        "code": entry["meaning"],
                    },
                ],
                "when": instant(when),
                "who": practitioner(context, entry["signer"]),
                "targetFormat": "application/json",
                "data": _base64_hex(entry["record_hash"]),
            }
        )
    return out


def _base64_hex(digest: str) -> str:
    """The SHA-256 of the signed content, as the signature's data (base64)."""
    return base64.b64encode(bytes.fromhex(digest)).decode()


def provenance(
    context: Context,
    ident: str,
    *,
    targets: list[str],
    activity: str,
    occurred: Any,
    recorded: Any,
    agents: list[dict[str, Any]],
    entities: list[tuple[str, str]] | None = None,
    signed: list[Resource] | None = None,
    period_end: Any = None,
) -> Resource:
    resource: Resource = {
        "resourceType": "Provenance",
        "id": ident,
        "target": [{"reference": t} for t in targets],
        "recorded": instant(recorded),
        "activity": code(context, "custody-activity", activity),
        "agent": agents,
    }
    if period_end is not None:
        resource["occurredPeriod"] = {"start": instant(occurred), "end": instant(period_end)}
    else:
        resource["occurredDateTime"] = instant(occurred)
    if entities:
        resource["entity"] = [{"role": role, "what": {"reference": ref}} for role, ref in entities]
    if signed:
        resource["signature"] = signed
    return resource


def _lot() -> Subquery:
    """The id of a collection's first unit (the collected specimen, later the lot)."""
    root = Unit.objects.filter(collection=OuterRef("collection_id"), parent__isnull=True)
    return Subquery(root.order_by("pk").values("pk")[:1])


def _targets(kinds: dict[str, str]) -> Any:
    """A ``target`` filter: ``<Type>/<id>`` values, each type matched on its own column."""

    def among(values: list[Any], _context: Context) -> Q:
        query = Q(pk__in=[])
        for value in values:
            rtype, _slash, ident = str(value).partition("/")
            column = kinds.get(rtype)
            if column is None:
                continue
            prefix, _colon, column = column.rpartition(":")
            if ident.startswith(prefix) and is_key(ident[len(prefix) :]):
                query |= Q(**{column: int(ident[len(prefix) :])})
        return query

    return among


# col-: the collection


def collection_provenance(row: Row, context: Context) -> Resource:
    return provenance(
        context,
        f"col-{row['id']}",
        targets=[f"Specimen/{row['id']}", f"Procedure/col-{row['id']}"],
        activity="collection",
        occurred=row["collected_at"],
        recorded=row["recorded_at"],
        agents=[
            agent(context, row["collected_by_id"], "performer"),
            agent(context, row["recorded_by_id"], "enterer"),
        ],
        entities=[("source", f"Patient/{row['patient_id']}")],
    )


# run-: processing into the lot


def runs(context: Context) -> QuerySet[Any]:
    query = of_patients(Run.objects, context, "collection__patient", "collection__site")
    return query.annotate(lot=_lot())


def run_provenance(row: Row, context: Context) -> Resource:
    return provenance(
        context,
        f"run-{row['id']}",
        targets=[f"BiologicallyDerivedProduct/{row['lot']}"],
        activity="processing",
        occurred=row["started_at"],
        period_end=row["finished_at"],
        recorded=row["finished_at"] or row["started_at"],
        agents=[agent(context, row["started_by_id"], "performer")],
        entities=[("source", f"Specimen/{row['collection_id']}")],
    )


# rel-: QC release


def releases(context: Context) -> QuerySet[Any]:
    query = of_patients(Release.objects, context, "collection__patient", "collection__site")
    return query.annotate(lot=_lot())


def release_provenance(row: Row, context: Context) -> Resource:
    agents = [agent(context, row["first_signer_id"], "verifier")]
    if row["second_signer_id"]:
        agents.append(agent(context, row["second_signer_id"], "verifier"))
    if row["approved_by_id"]:
        agents.append(agent(context, row["approved_by_id"], "attester"))
    return provenance(
        context,
        f"rel-{row['id']}",
        targets=[f"BiologicallyDerivedProduct/{row['lot']}"],
        activity="qc-release" if row["decision"] == "released" else "qc-rejection",
        occurred=row["decided_at"],
        recorded=row["decided_at"],
        agents=agents,
        entities=[("source", f"Specimen/{row['collection_id']}")],
        signed=signatures(context, row["signatures"], row["decided_at"]),
    )


# ue-: custody steps of a unit


def unit_events(context: Context) -> QuerySet[Any]:
    return of_patients(UnitEvent.objects, context, "unit__patient", "unit__site")


def unit_event_provenance(row: Row, context: Context) -> Resource:
    resource = provenance(
        context,
        f"ue-{row['id']}",
        targets=[f"BiologicallyDerivedProduct/{row['unit_id']}"],
        activity=row["move"],
        occurred=row["at"],
        recorded=row["at"],
        agents=[agent(context, row["by_id"], "performer")],
    )
    resource["extension"] = [
        {
            "url": context.system("StructureDefinition/unit-status-change"),
            "extension": [
                *([{"url": "from", "valueCode": row["from_status"]}] if row["from_status"] else []),
                {"url": "to", "valueCode": row["to_status"]},
            ],
        }
    ]
    return resource


# adm-: the bedside check and injection


def administration_provenance(row: Row, context: Context) -> Resource:
    return provenance(
        context,
        f"adm-{row['id']}",
        targets=[f"Procedure/inj-{row['id']}"],
        activity="administration",
        occurred=row["given_at"],
        recorded=row["recorded_at"],
        agents=[
            agent(context, row["operator_id"], "performer"),
            agent(context, row["second_verifier_id"], "verifier"),
        ],
        entities=[("source", f"BiologicallyDerivedProduct/{row['unit_id']}")],
        signed=signatures(context, row["signatures"], row["given_at"]),
    )


PROVENANCE = ResourceType(
    "Provenance",
    (
        Part(
            model=Collection,
            fields=(
                "id",
                "patient_id",
                "collected_at",
                "collected_by_id",
                "recorded_at",
                "recorded_by_id",
            ),
            to_fhir=collection_provenance,
            visible=lambda c: of_patients(Collection.objects, c),
            filters={
                "_id": ids_with("col-"),
                "patient": references("patient_id"),
                "target": _targets({"Specimen": "pk", "Procedure": "col-:pk"}),
            },
            prefix="col-",
        ),
        Part(
            model=Run,
            fields=("id", "collection_id", "started_at", "finished_at", "started_by_id", "lot"),
            to_fhir=run_provenance,
            visible=runs,
            filters={
                "_id": ids_with("run-"),
                "patient": references("collection__patient_id"),
                "target": _targets({"BiologicallyDerivedProduct": "lot"}),
            },
            prefix="run-",
        ),
        Part(
            model=Release,
            fields=(
                "id",
                "collection_id",
                "decision",
                "decided_at",
                "signatures",
                "first_signer_id",
                "second_signer_id",
                "approved_by_id",
                "lot",
            ),
            to_fhir=release_provenance,
            visible=releases,
            filters={
                "_id": ids_with("rel-"),
                "patient": references("collection__patient_id"),
                "target": _targets({"BiologicallyDerivedProduct": "lot"}),
            },
            prefix="rel-",
        ),
        Part(
            model=UnitEvent,
            fields=("id", "unit_id", "at", "by_id", "move", "from_status", "to_status"),
            to_fhir=unit_event_provenance,
            visible=unit_events,
            filters={
                "_id": ids_with("ue-"),
                "patient": references("unit__patient_id"),
                "target": _targets({"BiologicallyDerivedProduct": "unit_id"}),
            },
            prefix="ue-",
        ),
        Part(
            model=Administration,
            fields=(
                "id",
                "unit_id",
                "given_at",
                "recorded_at",
                "operator_id",
                "second_verifier_id",
                "signatures",
            ),
            to_fhir=administration_provenance,
            visible=lambda c: of_patients(Administration.objects, c),
            filters={
                "_id": ids_with("adm-"),
                "patient": references("patient_id"),
                "target": _targets({"Procedure": "inj-:pk"}),
            },
            prefix="adm-",
        ),
    ),
    {
        "_id": Parameter(
            Kind.TOKEN, "col-, run-, rel-, ue- or adm- and the id of the record it comes from."
        ),
        "patient": Parameter(Kind.REFERENCE, "The patient whose product it is.", "Patient"),
        "target": Parameter(
            Kind.REFERENCE,
            "What the step produced or acted on: <Type>/<id> (Specimen, "
            "BiologicallyDerivedProduct, Procedure).",
            "*",
        ),
    },
    {
        "Provenance:target": Include("*", lambda r: [t["reference"] for t in r["target"]]),
        "Provenance:entity": Include(
            "*", lambda r: [e["what"]["reference"] for e in r.get("entity", [])]
        ),
    },
)

TYPES = (PROVENANCE,)
