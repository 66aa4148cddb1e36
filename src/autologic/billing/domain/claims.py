"""Insurance claims: their states, and what the patient is left to pay.

A claim goes draft → submitted → approved / partly approved / rejected → paid; a rejected or
partly approved claim may be resubmitted as a new claim that names it. Two channels:

- **direct**: a contracted clinic claims from the insurer, and the insurer pays the clinic; the
  patient's share is what the insurer does not pay, recomputed when it pays less than claimed;
- **reimbursement**: the patient pays the clinic and takes a pack (original invoice, receipts, the
  physician's certificate with the diagnosis) to the insurer, which pays the patient on its own
  tariff (Iran, billing.md §2.4): the clinic's account does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from autologic.billing.domain.money import BillingError, Money

State = Literal["draft", "submitted", "approved", "partly_approved", "rejected", "paid"]
Channel = Literal["direct", "reimbursement"]

MOVES: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"approved", "partly_approved", "rejected"}),
    "approved": frozenset({"paid"}),
    "partly_approved": frozenset({"paid"}),
    "rejected": frozenset(),
    "paid": frozenset(),
}
RESUBMITTABLE = frozenset({"rejected", "partly_approved"})


class ClaimError(BillingError):
    """A claim step that cannot be taken as asked."""


def move(state: str, to: str) -> str:
    """The next state, or a refusal naming the states allowed from here."""
    if to not in MOVES.get(state, frozenset()):
        allowed = ", ".join(sorted(MOVES.get(state, frozenset()))) or "none"
        raise ClaimError(
            "claim_move_refused",
            f"A {state} claim cannot become {to} (allowed: {allowed}).",
            "state",
        )
    return to


@dataclass(frozen=True)
class Decision:
    """The insurer's decision on a claimed amount."""

    state: str
    approved: Money


def decide(claimed: Money, approved: Money | None) -> Decision:
    """Approved in full, partly, or rejected (nothing approved), from the amount approved."""
    if approved is None or approved.amount <= 0:
        return Decision("rejected", Money.of(0, claimed.currency))
    if approved.currency != claimed.currency:
        raise ClaimError(
            "currency_mismatch", "Approved and claimed differ in currency.", "approved"
        )
    if approved.amount > claimed.amount:
        raise ClaimError(
            "approved_above_claimed",
            "The insurer cannot approve more than was claimed.",
            "approved",
        )
    state = "approved" if approved == claimed else "partly_approved"
    return Decision(state, approved)


def capped(
    claimed: Money, *, course_cap: Money | None, year_cap: Money | None, used_this_year: Money
) -> Money:
    """What may be claimed for a course under the policy's caps (per course, per year)."""
    amount = claimed.amount
    if course_cap is not None:
        amount = min(amount, course_cap.amount)
    if year_cap is not None:
        left = year_cap.amount - used_this_year.amount
        amount = min(amount, left if left > 0 else Decimal(0))
    return Money(claimed.currency, amount if amount > 0 else Decimal(0))


def patient_share(invoiced: Money, insurer_paid: Money) -> Money:
    """What the patient owes on a direct claim: the invoices less what the insurer paid."""
    return invoiced - insurer_paid
