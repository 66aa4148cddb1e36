"""Demo accounts: the first courses of each clinic priced, signed, invoiced and partly paid, one
with the patient's insurance, so the billing pages (and the FHIR Coverage, Invoice and
ChargeItem) have something to show.  Demo mode only; every step goes through the actions."""

from __future__ import annotations

from datetime import timedelta

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof
from autologic.billing import actions
from autologic.billing.actions import PlanRequest
from autologic.billing.domain.money import Money
from autologic.billing.models import Estimate, PriceList
from autologic.care.models import Course
from autologic.common import clock

# Courses per clinic to invoice, and the insurer of the first one (insurer, policy, channel).
COURSES = 2
INSURERS = {
    "dus": ("Allianz Private Krankenversicherung", "PKV-4471-02", "reimbursement"),
    "thr": ("بیمه دانا", "DANA-88120", "reimbursement"),
    "dxb": ("Daman Enhanced", "DMN-5521-0098", "direct"),
}


def seed_accounts(site: Site, staff: dict[str, User]) -> int:
    """Invoice the clinic's first priced courses (once); returns the invoices made."""
    clerk = next((u for u in staff.values() if u.site_id == site.pk and u.role == "billing"), None)
    if clerk is None or Estimate.objects.filter(site=site).exists():
        return 0
    priced = set(PriceList.objects.filter(site=site).values_list("therapy", flat=True))
    courses = [
        c
        for c in Course.objects.filter(site=site).select_related("protocol").order_by("pk")
        if c.protocol.code in priced
    ][:COURSES]
    now = clock.now()
    today = clock.local_today(site.time_zone)
    made = 0
    for index, course in enumerate(courses):
        estimate = actions.offer_estimate(
            course,
            plan=PlanRequest(
                deposit=Money.of(0, site.currency), parts=2, first_due=today, every_days=30
            ),
            language=site.default_language,
            by=clerk,
            now=now,
        )
        actions.accept_estimate(
            estimate,
            signed_by=f"{course.patient.given_name} {course.patient.family_name}",
            signed_on=today,
            acceptance="in_person",
            agreement_signed=True,
            proof=SignerProof(user=clerk, second_factor=True),
            now=now,
        )
        invoice = actions.issue_invoice(course, by=clerk, now=now)
        made += 1
        if index == 0:
            insurer, policy, channel = INSURERS.get(site.code, ("Insurer", "P-1", "direct"))
            actions.add_coverage(
                course, insurer=insurer, policy_number=policy, channel=channel, by=clerk, now=now
            )
        half = Money.from_minor(invoice.total_minor // 2, invoice.currency)
        actions.record_payment(
            course,
            amount=half,
            method="card",
            received_on=today - timedelta(days=index),
            by=clerk,
            now=now,
        )
    return made
