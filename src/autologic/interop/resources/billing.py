"""The money side: Coverage (a patient's insurance for a course), Invoice (invoices, deposit
invoices, credit notes and receipts as issued) and ChargeItem (one per invoice line).

The clinic's record is the frozen invoice; its lines are read as rows through the
``billing_invoice_line`` view (``billing.models.InvoiceLine``), so a ChargeItem is exactly a
line of an issued invoice and each Invoice ``lineItem`` points at its ChargeItem."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from autologic.billing.domain.money import Money
from autologic.billing.models import LINES_PER_INVOICE, Coverage, Invoice, InvoiceLine
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
        lines.append(
            {
                "sequence": sequence,
                "chargeItemReference": {
                    "reference": f"ChargeItem/{row['id'] * LINES_PER_INVOICE + sequence}"
                },
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


def charge_item_to_fhir(row: Row, context: Context) -> Resource:
    """A line of an issued invoice: what was charged, how many, at what net price; a GOÄ line
    also carries its multiplier (``factorOverride``) and the reason for a raised one."""
    line: dict[str, Any] = row["line"] or {}
    currency = row["currency"]
    resource: Resource = {
        "resourceType": "ChargeItem",
        "id": str(row["id"]),
        "identifier": [
            {
                "system": context.system(f"sid/invoice-line/{context.site.code}"),
                "value": f"{row['invoice__number_text']}/{row['sequence']}",
            }
        ],
        "status": "billed",
        "code": code(
            context, "price-item", str(line.get("code") or "item"), _label(line.get("label"))
        ),
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "enteredDate": instant(row["issued_at"]),
        "quantity": {"value": line.get("quantity", 1)},
        "priceOverride": money(line.get("net_minor", line.get("amount_minor", 0)), currency),
        "supportingInformation": [{"reference": f"Invoice/{row['invoice_id']}"}],
    }
    goae = line.get("goae")
    if isinstance(goae, dict) and goae.get("multiplier"):
        resource["factorOverride"] = float(goae["multiplier"])
    if line.get("reason"):
        resource["overrideReason"] = str(line["reason"])
    return resource


CHARGE_ITEM = one(
    "ChargeItem",
    Part(
        model=InvoiceLine,
        fields=(
            "id",
            "invoice_id",
            "invoice__number_text",
            "sequence",
            "patient_id",
            "issued_at",
            "currency",
            "line",
        ),
        to_fhir=charge_item_to_fhir,
        visible=lambda c: of_patients(InvoiceLine.objects, c),
        filters={"_id": ids, "patient": references("patient_id")},
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The charge item's id (a line of an issued invoice)."),
        "patient": Parameter(Kind.REFERENCE, "The patient charged.", "Patient"),
    },
    {"ChargeItem:patient": Include("Patient", lambda r: reference_id(r["subject"], "Patient"))},
)

TYPES = (COVERAGE, INVOICE, CHARGE_ITEM)
