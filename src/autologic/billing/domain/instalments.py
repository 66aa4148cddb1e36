"""Instalment plans and shares that always add up to the total.

Each part is rounded down to the currency's minor unit and the remainder goes to the last part
(billing.md §6): IRR 160,000,000 in three is 53,333,333 + 53,333,333 + 53,333,334. Plans are
interest-free and fee-free; any interest or fee is a per-country switch that stays off until a legal
review (billing.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN

from autologic.billing.domain.money import Money, MoneyError


@dataclass(frozen=True)
class Instalment:
    """One part of a plan: its number, due date and amount."""

    number: int
    due_on: date
    amount: Money


def split(total: Money, parts: int) -> list[Money]:
    """``total`` in ``parts`` amounts of the currency's scale; the last takes the remainder."""
    if parts < 1:
        raise MoneyError("a plan has at least one part")
    if total.amount < 0:
        raise MoneyError("a plan splits a positive total")
    share = (total.amount / parts).quantize(total.minor, rounding=ROUND_DOWN)
    amounts = [Money(total.currency, share) for _ in range(parts - 1)]
    amounts.append(Money(total.currency, total.amount - share * (parts - 1)))
    return amounts


def plan(
    total: Money, *, down_payment: Money, parts: int, first_due: date, every_days: int
) -> list[Instalment]:
    """A down payment due on ``first_due`` (when not zero), then ``parts`` equal instalments."""
    if down_payment.amount > total.amount:
        raise MoneyError("the down payment is more than the total")
    if every_days < 1:
        raise MoneyError("instalments are at least a day apart")
    schedule: list[Instalment] = []
    start = first_due
    if down_payment.amount:
        schedule.append(Instalment(1, first_due, down_payment))
        start = first_due + timedelta(days=every_days)
    for index, amount in enumerate(split(total - down_payment, parts)):
        due = start + timedelta(days=every_days * index)
        schedule.append(Instalment(len(schedule) + 1, due, amount))
    return schedule
