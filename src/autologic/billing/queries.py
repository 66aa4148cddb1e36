"""Read side of billing: a course's account (plan, invoices, payments, what is open), the front
desk's overdue list, and the clinic's outstanding balances and ageing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Sum

from autologic.accounts.models import Site
from autologic.billing.choices import OPEN_FACTS
from autologic.billing.domain.account import Due, Settled, allocate
from autologic.billing.domain.money import Money
from autologic.billing.models import (
    BillingProfile,
    Claim,
    Coverage,
    Estimate,
    Instalment,
    Invoice,
    Payment,
    PriceList,
    VerifactuRecord,
)
from autologic.care.models import Appointment, Course
from autologic.clinical.domain.gates import DepositFacts

LIST_LIMIT = 200


def profile(site: Site) -> BillingProfile | None:
    return BillingProfile.objects.filter(site=site).first()


def open_facts(billing: BillingProfile | None) -> list[tuple[str, str]]:
    """The ❓ facts of the clinic's country its adviser has not confirmed yet, with their note."""
    if billing is None:
        return []
    confirmed = set(billing.confirmed or [])
    return [
        (key, str(note))
        for key, note in OPEN_FACTS.get(billing.country, [])
        if key not in confirmed
    ]


def paid(course: Course) -> Money:
    """Payments less refunds for a course."""
    minor = Payment.objects.filter(course=course).aggregate(s=Sum("amount_minor"))["s"] or 0
    return Money.from_minor(int(minor), course.site.currency)


def uncredited(course: Course) -> list[Invoice]:
    """The course's invoices that no credit note has corrected, oldest first."""
    return list(
        Invoice.objects.filter(course=course)
        .exclude(series="credit")
        .exclude(corrections__isnull=False)
        .order_by("issued_at", "id")
    )


def event_days(course: Course) -> dict[str, date]:
    """The days of the course events instalments can fall due on: the first collection, the
    first and the last injection (as planned, or as done)."""
    zone = ZoneInfo(course.site.time_zone)
    days: dict[str, date] = {}
    rows = Appointment.objects.filter(course=course, kind__in=["collection", "injection"]).exclude(
        status="cancelled"
    )
    injections = []
    for row in rows.order_by("sequence"):
        day = row.starts_at.astimezone(zone).date() if row.starts_at else row.due_on
        if day is None:
            continue
        if row.kind == "collection":
            days.setdefault("collection", day)
        else:
            injections.append(day)
    if injections:
        days["first_injection"] = min(injections)
        days["last_injection"] = max(injections)
    return days


def settle_plan(
    estimate: Estimate, course: Course, received: Money
) -> tuple[list[tuple[Instalment, Settled]], Money]:
    """The plan's parts with what the payments settled of each (oldest due first), each due
    on its date or on its course event, and what is paid beyond them (the credit)."""
    parts = list(estimate.instalments.all())
    days = event_days(course) if any(p.due_event for p in parts) else {}
    invoiced_on = goae_invoice_day(course)
    dues = [
        Due(
            str(p.number),
            Money.from_minor(p.amount_minor, estimate.currency),
            not_before(p.due_on or days.get(p.due_event), invoiced_on),
        )
        for p in parts
    ]
    settled, credit = allocate(received, dues)
    return list(zip(parts, settled, strict=True)), credit


_NOT_YET = date.max


def goae_invoice_day(course: Course) -> date | None:
    """Germany: a fee falls due only on a GOÄ invoice (§ 12 GOÄ), so a plan part is due no
    earlier than the course's invoice; ``date.max`` while there is none. Elsewhere None."""
    billing = profile(course.site)
    if billing is None or billing.country != "DE":
        return None
    first = next((i for i in uncredited(course) if i.series == "invoice"), None)
    return first.issued_on if first else _NOT_YET


def not_before(due: date | None, earliest: date | None) -> date | None:
    """A due day moved to ``earliest`` when it comes first (None: not due until then)."""
    if earliest is None or due is None:
        return due
    if earliest == _NOT_YET:
        return None
    return max(due, earliest)


@dataclass(frozen=True)
class PlanRow:
    """A plan part with its due day (from its event when tied to one) and what is paid of it."""

    instalment: Instalment
    due_on: date | None
    settled: Settled


@dataclass(frozen=True)
class Account:
    """Everything the front desk needs about a course's money."""

    course: Course
    billing: BillingProfile | None
    estimate: Estimate | None
    history: list[Estimate]
    plan: list[PlanRow]
    invoices: list[Invoice]
    payments: list[Payment]
    paid: Money
    invoiced: Money
    credit: Money
    records: list[VerifactuRecord]
    # The course changed since the estimate (more regions, other injections): offer a revision.
    changed: bool = False
    # Spain: an advance payment calls for an invoice (DGT V1044-13) and none is issued yet.
    deposit_needs_invoice: bool = False

    @property
    def balance(self) -> Money:
        return self.invoiced - self.paid


def account(course: Course) -> Account:
    currency = course.site.currency
    estimates = list(Estimate.objects.filter(course=course).order_by("-revision"))
    current = next((e for e in estimates if e.status in {"offered", "accepted"}), None)
    received = paid(course)
    plan: list[PlanRow] = []
    credit = Money.of(0, currency)
    if current is not None:
        rows, credit = settle_plan(current, course, received)
        plan = [PlanRow(part, state.due.due_on, state) for part, state in rows]
    invoices = list(
        Invoice.objects.filter(course=course).select_related("corrects").order_by("issued_at", "id")
    )
    invoiced = Money.from_minor(sum(i.total_minor for i in invoices), currency)
    return Account(
        course=course,
        billing=profile(course.site),
        estimate=current,
        history=[e for e in estimates if e is not current],
        plan=plan,
        invoices=invoices,
        payments=list(Payment.objects.filter(course=course).order_by("received_on", "id")),
        paid=received,
        invoiced=invoiced,
        credit=credit,
        records=list(VerifactuRecord.objects.filter(invoice__course=course).order_by("position")),
        changed=current is not None and bool(current.shape) and current.shape != shape_now(course),
        deposit_needs_invoice=_deposit_needs_invoice(course, plan, invoices),
    )


def _deposit_needs_invoice(course: Course, plan: list[PlanRow], invoices: list[Invoice]) -> bool:
    billing = profile(course.site)
    if billing is None or billing.country != "ES":
        return False
    received = any(row.instalment.deposit and row.settled.paid.amount > 0 for row in plan)
    open_invoices = [i for i in invoices if i.series != "credit" and not i.corrections.exists()]
    return received and not open_invoices


def shape_now(course: Course) -> dict[str, int]:
    """The course's regions, injections and collections as an estimate counts them."""
    return {
        "regions": max(course.regions.count(), 1),
        "injections": course.injections,
        "collections": 1,
    }


def deposit_facts(course: Course) -> DepositFacts | None:
    """What the gate before collection needs of billing (None: the clinic asks no deposit)."""
    billing = profile(course.site)
    if billing is None or not billing.deposit_gate:
        return None
    current = Estimate.objects.filter(course=course, status="accepted").first()
    if current is None:
        return DepositFacts(estimate_signed=False, has_deposit=False, paid=False)
    rows, _ = settle_plan(current, course, paid(course))
    deposits = [state for part, state in rows if part.deposit]
    if not deposits:
        return DepositFacts(estimate_signed=True, has_deposit=False, paid=True)
    return DepositFacts(
        estimate_signed=True, has_deposit=True, paid=all(s.settled for s in deposits)
    )


@dataclass(frozen=True)
class OpenInstalment:
    """A plan part of a signed estimate with a due day and money still open."""

    course: Course
    instalment: Instalment
    due_on: date
    open: Money


def open_instalments(site: Site) -> list[OpenInstalment]:
    """Every signed plan's part that has a due day and is not paid in full (oldest due first
    settled by the payments, as everywhere)."""
    rows: list[OpenInstalment] = []
    estimates = (
        Estimate.objects.filter(site=site, status="accepted")
        .select_related("course__patient", "course__site")
        .prefetch_related("instalments")
        .order_by("id")
    )
    for estimate in estimates:
        course = estimate.course
        settled, _ = settle_plan(estimate, course, paid(course))
        for part, state in settled:
            if not state.settled and state.due.due_on is not None:
                rows.append(OpenInstalment(course, part, state.due.due_on, state.open))
    return rows


@dataclass(frozen=True)
class OverdueRow:
    """A plan part that is past due and not paid in full."""

    course: Course
    number: int
    due_on: date
    open: Money
    days: int


def overdue(site: Site, today: date) -> list[OverdueRow]:
    """The front desk's list: every plan part past its due day with money still open."""
    rows = [
        OverdueRow(r.course, r.instalment.number, r.due_on, r.open, (today - r.due_on).days)
        for r in open_instalments(site)
        if r.due_on < today
    ]
    rows.sort(key=lambda r: (r.due_on, r.course.pk, r.number))
    return rows[:LIST_LIMIT]


@dataclass(frozen=True)
class Ageing:
    """Open invoice balances by how long they are overdue: 0–30, 31–60, 61–90, 90+ days."""

    currency: str
    buckets: tuple[Money, Money, Money, Money]
    total: Money


AGEING_SQL = """
WITH paid AS (
    SELECT course_id, SUM(amount_minor) AS paid
    FROM billing_payment WHERE site_id = %(site)s GROUP BY course_id
), open_invoices AS (
    SELECT i.course_id, i.due_on, i.total_minor,
           SUM(i.total_minor) OVER (
               PARTITION BY i.course_id ORDER BY i.issued_at, i.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS cumulative
    FROM billing_invoice i
    WHERE i.site_id = %(site)s AND i.series <> 'credit'
      AND NOT EXISTS (
          SELECT 1 FROM billing_invoice c
          WHERE c.corrects_id = i.id AND c.corrects_id IS NOT NULL
      )
), unpaid AS (
    SELECT o.due_on,
           CASE WHEN o.cumulative - COALESCE(p.paid, 0) <= 0 THEN 0
                WHEN o.cumulative - COALESCE(p.paid, 0) >= o.total_minor THEN o.total_minor
                ELSE o.cumulative - COALESCE(p.paid, 0) END AS open_minor
    FROM open_invoices o LEFT JOIN paid p ON p.course_id = o.course_id
)
SELECT
    COALESCE(SUM(CASE WHEN due_on >= %(d30)s THEN open_minor ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN due_on < %(d30)s AND due_on >= %(d60)s THEN open_minor ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN due_on < %(d60)s AND due_on >= %(d90)s THEN open_minor ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN due_on < %(d90)s THEN open_minor ELSE 0 END), 0)
FROM unpaid
"""


def ageing(site: Site, today: date) -> Ageing:
    """Open invoice balances by days past their due day (0–30 includes what is not due yet).

    Payments settle a course's invoices oldest first (``domain.account.allocate``): the open part
    of an invoice is its running total less what the course paid, between nothing and its own
    total. Credited invoices and credit notes cancel out and are left out. One SQL statement,
    so the report stays fast at 100,000 invoices (bench/billing.py)."""
    params = {
        "site": site.pk,
        "d30": today - timedelta(days=30),
        "d60": today - timedelta(days=60),
        "d90": today - timedelta(days=90),
    }
    with connection.cursor() as cursor:
        cursor.execute(AGEING_SQL, params)
        row = cursor.fetchone()
    sums = [int(v or 0) for v in row]
    currency = site.currency
    buckets = tuple(Money.from_minor(v, currency) for v in sums)
    return Ageing(currency, buckets, Money.from_minor(sum(sums), currency))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Bar:
    """One bar of a report: its label, amount and share of the largest bar (for the chart)."""

    label: str
    amount: Money
    share: float
    count: int = 0


def bars(rows: list[tuple[str, int, int]], currency: str) -> list[Bar]:
    top = max((abs(minor) for _, minor, _ in rows), default=0) or 1
    return [
        Bar(label, Money.from_minor(minor, currency), abs(minor) / top, count)
        for label, minor, count in rows
    ]


def revenue_by_day(site: Site, first: date, last: date) -> dict[date, int]:
    """Invoiced amounts (credit notes subtract) per day of issue; the page folds the days into
    months of the clinic's calendar (Jalali months in Tehran)."""
    rows = (
        Invoice.objects.filter(site=site, issued_on__gte=first, issued_on__lte=last)
        .values_list("issued_on")
        .annotate(s=Sum("total_minor"))
        .values_list("issued_on", "s")
    )
    return {day: int(minor or 0) for day, minor in rows}


def revenue_by_therapy(site: Site, first: date, last: date) -> list[tuple[str, int, int]]:
    """Invoiced amounts per therapy (protocol code), largest first."""
    rows = (
        Invoice.objects.filter(site=site, issued_on__gte=first, issued_on__lte=last)
        .values_list("course__protocol__code")
        .annotate(s=Sum("total_minor"), n=Count("id"))
        .values_list("course__protocol__code", "s", "n")
        .order_by("-s")
    )
    return [(code or "", int(minor or 0), n) for code, minor, n in rows]


def received_by_payer(site: Site, first: date, last: date) -> list[tuple[str, int, int]]:
    """Money received per payer: each insurer's direct payments, and the patients' payments
    less refunds."""
    insurers = (
        Claim.objects.filter(
            site=site,
            channel="direct",
            state="paid",
            updated_at__date__gte=first,
            updated_at__date__lte=last,
        )
        .values_list("coverage__insurer")
        .annotate(s=Sum("paid_minor"), n=Count("id"))
        .values_list("coverage__insurer", "s", "n")
    )
    patients = (
        Payment.objects.filter(site=site, received_on__gte=first, received_on__lte=last)
        .exclude(method="insurer")
        .aggregate(s=Sum("amount_minor"), n=Count("id"))
    )
    rows = [(name, int(minor or 0), n) for name, minor, n in insurers]
    rows.append(("", int(patients["s"] or 0), int(patients["n"] or 0)))
    return sorted(rows, key=lambda r: -r[1])


def claims_by_state(site: Site) -> list[tuple[str, int, int]]:
    """How many claims are in each state, and what they claim."""
    rows = (
        Claim.objects.filter(site=site)
        .values_list("state")
        .annotate(s=Sum("claimed_minor"), n=Count("id"))
        .values_list("state", "s", "n")
    )
    return [(state, int(minor or 0), n) for state, minor, n in rows]


def recent_invoices(site: Site, limit: int = 50) -> list[Invoice]:
    return list(
        Invoice.objects.filter(site=site).select_related("patient").order_by("-issued_at")[:limit]
    )


def price_lists(site: Site) -> list[PriceList]:
    return list(PriceList.objects.filter(site=site).prefetch_related("items"))


def invoice(site: Site, invoice_id: int) -> Invoice | None:
    return (
        Invoice.objects.filter(site=site, pk=invoice_id)
        .select_related("patient", "course", "corrects")
        .first()
    )


def course(site: Site, course_id: int) -> Course | None:
    return (
        Course.objects.filter(site=site, pk=course_id)
        .select_related("patient", "protocol", "site")
        .first()
    )


def coverages(course: Course) -> list[Coverage]:
    return list(Coverage.objects.filter(patient_id=course.patient_id, site=course.site))


def claims(course: Course) -> list[Claim]:
    return list(
        Claim.objects.filter(course=course)
        .select_related("coverage", "invoice", "resubmission_of")
        .prefetch_related("resubmissions")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class ClaimPack:
    """What the reimbursement pack holds besides the invoice: the receipts, the treatment's
    dates, diagnoses and the physician who certifies them."""

    receipts: list[Payment]
    regions: list[Any]  # the course's affected regions, each with its diagnosis
    physician: str
    first_day: date | None
    last_day: date | None


def claim_pack(claim: Claim) -> ClaimPack:
    course = claim.course
    regions = course.regions.all()
    days = event_days(course)
    return ClaimPack(
        receipts=list(
            Payment.objects.filter(course=course, amount_minor__gt=0)
            .exclude(method="insurer")
            .order_by("received_on", "id")
        ),
        regions=list(regions),
        physician=course.decision.decided_by.printed_name,
        first_day=days.get("collection"),
        last_day=days.get("last_injection"),
    )
