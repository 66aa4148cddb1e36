"""Reports: the ageing statement in SQL agrees with the domain's allocation rule (oldest due
first) on random data, revenue folds into the clinic's months, and the page draws its bars."""

from __future__ import annotations

import random
from datetime import date, timedelta

from autologic.billing import actions, queries
from autologic.billing.domain.account import Due, allocate, bucket
from autologic.billing.domain.money import Money
from autologic.billing.models import Invoice, Payment
from autologic.billing.views import _month_label
from tests.billing.conftest import NOW
from tests.billing.test_actions import accept, eur_course, plan
from tests.conftest import signed_in

TODAY = date(2026, 11, 21)


def _invoice(course, clerk, n, total, due_on, issued_offset):
    return Invoice(
        site=course.site,
        patient=course.patient,
        course=course,
        series="invoice",
        year=2026,
        number=n,
        number_text=f"T-{n}",
        issued_on=due_on - timedelta(days=14),
        issued_at=NOW - timedelta(days=400 - issued_offset),
        due_on=due_on,
        currency="EUR",
        lines=[],
        net_minor=total,
        tax_minor=0,
        total_minor=total,
        document={},
        language="en",
        issued_by=clerk,
    )


def expected(invoices, paid_by_course):
    """The buckets as the domain computes them: allocate oldest first, then age what is open."""
    sums = [0, 0, 0, 0]
    for course_id in {i.course_id for i in invoices}:
        rows = sorted(
            (i for i in invoices if i.course_id == course_id), key=lambda i: (i.issued_at, i.pk)
        )
        dues = [Due(str(i.number), Money.from_minor(i.total_minor, "EUR"), i.due_on) for i in rows]
        settled, _ = allocate(Money.from_minor(paid_by_course.get(course_id, 0), "EUR"), dues)
        for state in settled:
            if state.open.amount > 0:
                sums[bucket(state.days_overdue(TODAY))] += state.open.minor_units
    return sums


def test_the_ageing_query_follows_the_allocation_rule(site, start_course, make_staff):
    """Random invoices and payments on a course, twenty rounds: the one SQL statement gives what
    ``allocate`` and ``bucket`` give."""
    clerk = make_staff("billing")
    course = start_course("acs-large-joint")
    for seed in range(20):
        rng = random.Random(seed)
        number = Invoice.objects.count() + 1
        invoices = [
            _invoice(
                course,
                clerk,
                number + k,
                rng.randint(1, 90_000),
                TODAY - timedelta(days=rng.randint(-20, 150)),
                rng.randint(0, 300),
            )
            for k in range(rng.randint(1, 6))
        ]
        Invoice.objects.bulk_create(invoices)
        Payment.objects.create(
            site=site,
            patient=course.patient,
            course=course,
            method="cash",
            amount_minor=rng.randint(1, 60_000),
            currency="EUR",
            received_on=TODAY,
            receipt_number=f"Q-{seed}",
            recorded_by=clerk,
            recorded_at=NOW,
        )
        every = list(Invoice.objects.filter(site=site))
        paid_by_course: dict[int, int] = {}
        for p in Payment.objects.filter(site=site):
            paid_by_course[p.course_id] = paid_by_course.get(p.course_id, 0) + p.amount_minor
        got = queries.ageing(site, TODAY)
        assert [b.minor_units for b in got.buckets] == expected(every, paid_by_course), seed


def test_the_reports_page_draws_bars_for_each_comparison(site, start_course, make_staff):
    clerk = make_staff("billing")
    course = eur_course(site, start_course, clerk)
    estimate = actions.offer_estimate(course, plan=plan("EUR"), language="es", by=clerk, now=NOW)
    accept(estimate, clerk)
    actions.issue_invoice(course, recipient_tax_id="12345678Z", by=clerk, now=NOW)
    response = signed_in(make_staff("manager")).get("/billing/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("by-month", "by-age", "by-therapy", "by-payer", "by-claim-state"):
        assert f'data-testid="{testid}"' in html
    assert html.count('class="load"') >= 4
    assert signed_in(make_staff("coordinator")).get("/billing/reports/").status_code == 403


def test_revenue_is_folded_into_the_clinics_months():
    assert _month_label(date(2026, 11, 21), "jalali", "fa") == ((1405, 8), "۱۴۰۵/۰۸")
    key, label = _month_label(date(2026, 11, 21), "gregorian", "de")
    assert key == (2026, 11) and label.startswith("Nov")
