"""The manager's billing pages: the profile with the facts to confirm, and a price change that
makes a new version in force from its day while earlier estimates keep their prices."""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation

from autologic.audit.models import AuditEvent
from autologic.billing import actions
from autologic.billing.models import BillingProfile, Estimate, PriceList
from tests.billing.conftest import NOW, billing_for
from tests.billing.test_actions import accept, eur_course, plan
from tests.conftest import signed_in


def test_the_manager_sets_the_profile_and_confirms_a_fact(site, make_staff):
    billing_for(site, "AE")
    manager = signed_in(make_staff("manager"))
    page = manager.get("/billing/settings/")
    assert page.status_code == 200
    assert "FTA" in page.content.decode()  # the UAE zero-rate question, as a fact to confirm
    data = {
        "country": "AE",
        "legal_name": "Autologic Clinic Dubai LLC",
        "tax_id": "100123456700003",
        "address": "Dubai Healthcare City",
        "payment_days": "10",
        "estimate_days": "30",
        "reminder_days": "3",
        "refund_keep_percent": "0",
        "confirmed": ["zero_rate"],
    }
    assert manager.post("/billing/settings/", data).status_code == 302
    profile = BillingProfile.objects.get(site=site)
    assert profile.confirmed == ["zero_rate"] and profile.payment_days == 10
    assert AuditEvent.objects.filter(action="billing_profile.set").count() == 2
    refused = manager.post("/billing/settings/", {**data, "verifactu": "on"})
    assert refused.status_code == 400 and "VERI*FACTU" in refused.content.decode()
    assert signed_in(make_staff("billing")).get("/billing/settings/").status_code == 403


def test_a_price_change_is_a_new_version_from_its_day(site, start_course, make_staff):
    clerk = make_staff("billing")
    course = eur_course(site, start_course, clerk)
    before = actions.offer_estimate(course, plan=plan("EUR"), language="es", by=clerk, now=NOW)
    first = PriceList.objects.get(site=site)
    manager = signed_in(make_staff("manager"))
    assert manager.get(f"/billing/price-lists/{first.pk}/").status_code == 200
    tomorrow = (NOW + timedelta(days=1)).date()
    with translation.override("es"):
        response = manager.post(
            f"/billing/price-lists/{first.pk}/",
            {
                "effective_from": tomorrow.isoformat(),
                "low-consultation": "150,00",
                "low-processing": "480,00",
                "low-injection": "120,00",
                "high-injection": "140,00",
            },
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    second = PriceList.objects.get(site=site, version=2)
    assert second.effective_from == tomorrow
    items = {i.code: (i.low_minor, i.high_minor) for i in second.items.all()}
    assert items == {
        "consultation": (15000, 15000),
        "processing": (48000, 48000),
        "injection": (12000, 14000),
    }
    # Today the first version is still in force; the estimate made under it is unchanged.
    again = actions.offer_estimate(course, plan=plan("EUR"), language="es", by=clerk, now=NOW)
    assert again.price_list == first
    assert Estimate.objects.get(pk=before.pk).total_minor == before.total_minor
    accept(again, clerk)


def test_tax_is_the_clinics_data_with_its_countrys_default(site, start_course, make_staff):
    from decimal import Decimal

    clerk = make_staff("billing")
    course = eur_course(site, start_course, clerk, country="ES")
    profile = BillingProfile.objects.get(site=site)
    assert (profile.tax_percent, profile.tax_basis) == (
        None,
        "Operación exenta de IVA (art. 20.Uno.3 Ley 37/1992)",
    )
    # A clinic whose adviser found the service taxable sets 21 % and its note.
    actions.set_billing_profile(
        site,
        {"country": "ES", "tax_percent": Decimal("21"), "tax_basis": "IVA 21 %"},
        by=None,
        now=NOW,
    )
    estimate = actions.offer_estimate(course, plan=plan("EUR"), language="es", by=clerk, now=NOW)
    accept(estimate, clerk)
    invoice = actions.issue_invoice(course, recipient_tax_id="12345678Z", by=clerk, now=NOW)
    assert invoice.document["tax_basis"] == "IVA 21 %"
    assert invoice.tax_minor == sum(round(line["net_minor"] * 21 / 100) for line in invoice.lines)


def test_odd_input_on_billing_forms_is_refused_by_name_never_a_server_error(
    site, start_course, make_staff
):
    clerk = make_staff("billing")
    billing_for(site, "ES")
    client = signed_in(clerk)
    assert client.post("/billing/price-lists/seed/", {"protocol": "abc"}).status_code == 404
    course = start_course("acs-large-joint")
    refused = client.post(
        f"/billing/courses/{course.pk}/payment/",
        {"payment-amount": "12,3,4", "payment-method": "cash", "payment-received_on": "x"},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="id_payment-amount-error"' in html and 'id="id_payment-received_on-error"' in html
