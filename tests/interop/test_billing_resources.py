"""The money side over FHIR: an issued invoice with its lines, net and gross in the currency's
own scale, and the patient's coverage; both pass the outside validators."""

from __future__ import annotations

import pytest
from fhir.resources.R4B import get_fhir_model_class

from autologic.billing import actions
from autologic.billing.domain.money import Money
from tests.billing.conftest import NOW, fixed_clock, resources, start_course  # noqa: F401
from tests.billing.test_claims import invoiced_course
from tests.interop.validators import validate

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"


def test_an_invoice_and_a_coverage_read_as_fhir(
    site, start_course, make_staff, fhir_for, tmp_path, jalali_site
) -> None:
    clerk = make_staff("billing")
    course, invoice = invoiced_course(site, start_course, clerk)
    coverage = actions.add_coverage(
        course,
        insurer="Sanitas",
        policy_number="P-778",
        channel="direct",
        share_rule="Contracted clinic, 80 %",
        course_cap=Money.of("1000.00", "EUR"),
        by=clerk,
        now=NOW,
    )
    fhir = fhir_for()
    bill = fhir.json(f"/fhir/Invoice/{invoice.pk}")
    assert bill["identifier"] == [
        {"system": f"{NS}/sid/invoice/{site.code}", "value": invoice.number_text}
    ]
    assert bill["totalGross"] == {"value": invoice.total_minor / 100, "currency": "EUR"}
    assert bill["totalNet"] == {"value": invoice.net_minor / 100, "currency": "EUR"}
    assert len(bill["lineItem"]) == len(invoice.lines)
    line_total = sum(
        c["amount"]["value"] for item in bill["lineItem"] for c in item["priceComponent"]
    )
    assert round(line_total, 2) == invoice.total_minor / 100
    insured = fhir.json(f"/fhir/Coverage/{coverage.pk}")
    assert insured["beneficiary"] == {"reference": f"Patient/{course.patient_id}"}
    assert insured["payor"] == [{"display": "Sanitas"}] and insured["subscriberId"] == "P-778"
    found = fhir.json(
        "/fhir/Invoice", {"patient": course.patient_id, "_include": "Invoice:patient"}
    )
    assert [e["search"]["mode"] for e in found["entry"]] == ["match", "include"]
    report = validate(tmp_path, [bill, insured, found])
    assert report["errors"] == []
    for resource in (bill, insured, found):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert fhir_for(at=jalali_site).get(f"/fhir/Invoice/{invoice.pk}").status_code == 404
