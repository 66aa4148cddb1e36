"""A course's account: what is due when, what the payments settled, and what is left.

Payments are allocated by one rule, stated here once: **oldest due first**. The money a patient
has paid for a course (payments less refunds) settles the plan's parts in the order they fall
due (a deposit first), and the course's invoices in the order they were issued; what is paid
beyond everything due is the patient's credit. Allocation is derived from the payments each time,
so a late payment, a refund or a revised plan never leaves a stale allocation behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from autologic.billing.domain.money import BillingError, Money, total

AGEING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass(frozen=True)
class Due:
    """Something to be paid: a plan part or an invoice; ``due_on`` is None until its event."""

    key: str
    amount: Money
    due_on: date | None


@dataclass(frozen=True)
class Settled:
    """A due with what has been paid of it, and what is open on a day."""

    due: Due
    paid: Money

    @property
    def open(self) -> Money:
        return self.due.amount - self.paid

    @property
    def settled(self) -> bool:
        return self.open.amount <= 0

    def overdue_on(self, today: date) -> bool:
        return not self.settled and self.due.due_on is not None and self.due.due_on < today

    def days_overdue(self, today: date) -> int:
        if not self.overdue_on(today) or self.due.due_on is None:
            return 0
        return (today - self.due.due_on).days


def allocate(paid: Money, dues: Sequence[Due]) -> tuple[list[Settled], Money]:
    """Settle ``dues`` in their order with what was paid; the rest is the patient's credit."""
    left = paid
    settled = []
    for due in dues:
        if due.amount.currency != paid.currency:
            raise BillingError(
                "currency_mismatch",
                f"{due.key} is in {due.amount.currency}, the payments in {paid.currency}",
                "currency",
            )
        part = min(max(left.amount, Decimal(0)), due.amount.amount)
        settled.append(Settled(due, Money(paid.currency, part)))
        left = Money(paid.currency, left.amount - part)
    return settled, left


def bucket(days_overdue: int) -> int:
    """The ageing column of a debt overdue for ``days_overdue`` days (0–30, 31–60, 61–90, 90+)."""
    for index, (low, high) in enumerate(AGEING_BUCKETS):
        if days_overdue >= low and (high is None or days_overdue <= high):
            return index
    return 0


@dataclass(frozen=True)
class RefundPolicy:
    """The clinic's refund rule when a course is cancelled or sessions are not given.

    ``keep_percent`` of what was not delivered is kept as a cancellation fee; units already made
    are refunded only when ``units_made_refunded`` says so (their making is a delivered service)."""

    keep_percent: Decimal = Decimal(0)
    units_made_refunded: bool = False


def refundable(
    policy: RefundPolicy, *, paid: Money, delivered: Money, making_units: Money
) -> Money:
    """What the patient gets back: paid less what was delivered (and less the units' making,
    unless the policy refunds it), less the cancellation fee; never below zero."""
    kept = delivered if policy.units_made_refunded else delivered + making_units
    owed_back = paid.amount - kept.amount
    if owed_back <= 0:
        return Money.of(0, paid.currency)
    fee = (owed_back * policy.keep_percent / 100).quantize(paid.minor, rounding=ROUND_HALF_UP)
    return Money(paid.currency, owed_back - fee)


def balance(paid: Money, invoiced: Sequence[Money]) -> Money:
    """Invoiced less paid (negative: the patient is in credit)."""
    return total(list(invoiced), paid.currency) - paid
