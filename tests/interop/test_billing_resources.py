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


def test_every_invoice_line_is_one_charge_item_and_the_invoice_points_at_it(
    site, start_course, make_staff, fhir_for, tmp_path, jalali_site
) -> None:
    clerk = make_staff("billing")
    course, invoice = invoiced_course(site, start_course, clerk)
    credit = actions.issue_credit_note(invoice, reason="Course stopped", by=clerk, now=NOW)
    fhir = fhir_for()
    charged = []
    for bill, row in ((fhir.json(f"/fhir/Invoice/{invoice.pk}"), invoice), (None, credit)):
        bill = bill or fhir.json(f"/fhir/Invoice/{row.pk}")
        refs = [item["chargeItemReference"]["reference"] for item in bill["lineItem"]]
        assert len(refs) == len(row.lines) and len(set(refs)) == len(refs)
        for position, (ref, line) in enumerate(zip(refs, row.lines, strict=True), start=1):
            item = fhir.json(f"/fhir/{ref}")
            assert item["status"] == "billed"
            assert item["subject"] == {"reference": f"Patient/{course.patient_id}"}
            assert item["code"]["coding"][0] == {
                "system": f"{NS}/CodeSystem/price-item",
                "code": line["code"],
            }
            assert item["quantity"] == {"value": line["quantity"]}
            assert item["priceOverride"] == {
                "value": line["net_minor"] / 100,
                "currency": "EUR",
            }
            assert item["identifier"][0]["value"] == f"{row.number_text}/{position}"
            assert item["supportingInformation"] == [{"reference": f"Invoice/{row.pk}"}]
            charged.append(item)
    # A credit note's lines are charges too, negative: together they cancel out.
    assert round(sum(i["priceOverride"]["value"] for i in charged), 2) == 0
    found = fhir.json(
        "/fhir/ChargeItem", {"patient": course.patient_id, "_include": "ChargeItem:patient"}
    )
    matches = [e["resource"]["id"] for e in found["entry"] if e["search"]["mode"] == "match"]
    assert sorted(matches) == sorted(i["id"] for i in charged)
    report = validate(tmp_path, [*charged, found])
    assert report["errors"] == []
    for resource in (*charged, found):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    other = fhir_for(at=jalali_site)
    assert other.get(f"/fhir/ChargeItem/{charged[0]['id']}").status_code == 404
    assert other.json("/fhir/ChargeItem").get("entry", []) == []


def test_a_goae_line_carries_its_multiplier_and_the_reason_for_it(
    site, start_course, make_staff, fhir_for
) -> None:
    from decimal import Decimal

    from autologic.billing.actions import GoaeChoice
    from tests.billing.conftest import goae_list
    from tests.billing.test_actions import accept, eur_course, plan

    clerk = make_staff("billing")
    course = eur_course(site, start_course, clerk, country="DE")
    goae_list(site)
    estimate = actions.offer_estimate(
        course,
        plan=plan("EUR"),
        goae_choices={"255": GoaeChoice(Decimal("3.0"), "Difficult access, severe effusion")},
        agreement=True,
        language="de",
        by=clerk,
        now=NOW,
    )
    accept(estimate, clerk, agreement=True)
    invoice = actions.issue_invoice(course, by=clerk, now=NOW)
    fhir = fhir_for()
    items = {
        i["code"]["coding"][0]["code"]: i
        for i in (
            fhir.json(f"/fhir/{item['chargeItemReference']['reference']}")
            for item in fhir.json(f"/fhir/Invoice/{invoice.pk}")["lineItem"]
        )
    }
    assert items["255"]["factorOverride"] == 3.0
    assert items["255"]["overrideReason"] == "Difficult access, severe effusion"
    assert "factorOverride" not in items["acs-kit"]  # a § 10 expense has no multiplier
