"""The money side: Coverage (a patient's insurance for a course) and Invoice (invoices, deposit
invoices, credit notes and receipts as issued, with their lines).  An invoice's lines are
carried in ``lineItem.chargeItemCodeableConcept``; no separate ChargeItem is served, because
the clinic's record is the frozen invoice, not a charge ledger."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from autologic.billing.domain.money import Money
from autologic.billing.models import Coverage, Invoice
from autologic.interop.domain.search import Kind
from autologic.interop.resources.base import (
    Context,
    Include,
    Parameter,
    Part,
    Resource,
    Row,
    ids,
    instant,
    one,
    reference_id,
    references,
)
from autologic.interop.resources.coding import code
from autologic.interop.resources.people import of_patients

INVOICE_TYPE = {
    "invoice": "Invoice",
    "deposit": "Deposit invoice",
    "credit": "Credit note",
    "receipt": "Receipt",
}


def money(minor: int, currency: str) -> dict[str, Any]:
    """A FHIR Money from minor units, at the currency's own scale (IRR has none)."""
    amount = Money.from_minor(int(minor), currency).amount
    return {"value": float(amount), "currency": currency}


def coverage_to_fhir(row: Row, context: Context) -> Resource:
    resource: Resource = {
        "resourceType": "Coverage",
        "id": str(row["id"]),
        "identifier": [
            {"system": context.system(f"sid/coverage/{context.site.code}"), "value": str(row["id"])}
        ],
        "status": "active",
        "type": code(context, "claim-channel", row["channel"]),
        "subscriberId": row["policy_number"],
        "beneficiary": {"reference": f"Patient/{row['patient_id']}"},
        "payor": [{"display": row["insurer"]}],
    }
    if row["pre_authorisation"]:
        resource["identifier"].append(
            {
                "system": context.system(f"sid/pre-authorisation/{context.site.code}"),
                "value": row["pre_authorisation"],
            }
        )
    if row["share_rule"]:
        resource["class"] = [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                            "code": "plan",
                        }
                    ]
                },
                "value": row["policy_number"],
                "name": row["share_rule"],
            }
        ]
    return resource


COVERAGE = one(
    "Coverage",
    Part(
        model=Coverage,
        fields=(
            "id",
            "patient_id",
            "insurer",
            "policy_number",
            "channel",
            "pre_authorisation",
            "share_rule",
        ),
        to_fhir=coverage_to_fhir,
        visible=lambda c: of_patients(Coverage.objects, c),
        filters={"_id": ids, "patient": references("patient_id")},
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The coverage's id."),
        "patient": Parameter(Kind.REFERENCE, "The insured patient (beneficiary).", "Patient"),
    },
)


def _label(label: Any) -> str:
    if isinstance(label, dict):
        return str(label.get("en") or next(iter(label.values()), ""))
    return str(label or "")


def invoice_to_fhir(row: Row, context: Context) -> Resource:
    currency = row["currency"]
    lines = []
    for sequence, line in enumerate(row["lines"] or [], start=1):
        components = [
            {"type": "base", "amount": money(line.get("net_minor", 0), currency)},
        ]
        if line.get("tax_minor"):
            components.append({"type": "tax", "amount": money(line["tax_minor"], currency)})
        concept = code(
            context, "price-item", str(line.get("code") or "item"), _label(line.get("label"))
        )
        lines.append(
            {
                "sequence": sequence,
                "chargeItemCodeableConcept": concept,
                "priceComponent": components,
            }
        )
    resource: Resource = {
        "resourceType": "Invoice",
        "id": str(row["id"]),
        "identifier": [
            {
                "system": context.system(f"sid/invoice/{context.site.code}"),
                "value": row["number_text"],
            }
        ],
        "status": "issued",
        "type": code(context, "invoice-series", row["series"], INVOICE_TYPE[row["series"]]),
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "date": instant(row["issued_at"]),
        "issuer": {"reference": f"Organization/{context.site.pk}"},
        "totalNet": money(row["net_minor"], currency),
        "totalGross": money(row["total_minor"], currency),
    }
    if lines:
        resource["lineItem"] = lines
    if row["corrects_id"]:
        resource["note"] = [{"text": f"Corrects invoice {row['corrects__number_text']}."}]
    return resource


def invoices(context: Context) -> QuerySet[Any]:
    return of_patients(Invoice.objects, context)


INVOICE = one(
    "Invoice",
    Part(
        model=Invoice,
        fields=(
            "id",
            "patient_id",
            "series",
            "number_text",
            "issued_at",
            "currency",
            "lines",
            "net_minor",
            "total_minor",
            "corrects_id",
            "corrects__number_text",
        ),
        to_fhir=invoice_to_fhir,
        visible=invoices,
        filters={"_id": ids, "patient": references("patient_id")},
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The invoice's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient billed.", "Patient"),
    },
    {"Invoice:patient": Include("Patient", lambda r: reference_id(r["subject"], "Patient"))},
)

TYPES = (COVERAGE, INVOICE)
