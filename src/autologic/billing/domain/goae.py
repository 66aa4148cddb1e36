"""The German fee schedule for physicians (GOÄ), behind an interface because a new GOÄ is coming.

Fee = points × point value × multiplier, rounded half up to the cent once, after multiplying
(§ 5(1)); rounding the single rate first gives wrong figures (billing.md §2.1 checks Nr. 284, 285
and 261 analog). The multiplier runs from 1.0 to the section's maximum; above its threshold it
needs a written justification per service (§ 12(3)); above the maximum only a written § 2
agreement made before the service allows it. An analog item (§ 6(2)) keeps the frame (section,
threshold, maximum) of the item it is billed like. Expenses (§ 10) are listed with amount and kind;
a single item above €25.56 needs its receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from autologic.billing.domain.money import BillingError, Money, round_half_up

POINT_VALUE_EUR = Decimal("0.0582873")  # § 5(1) GOÄ: 5.82873 cent
RECEIPT_ABOVE_EUR = Decimal("25.56")  # § 10(2) GOÄ

Frame = Literal["personal", "technical", "laboratory"]


@dataclass(frozen=True)
class Span:
    """Where a multiplier needs a justification, and where it ends without an agreement."""

    threshold: Decimal
    maximum: Decimal
    maximum_confirmed: bool  # billing.md marks the 2.5 and 1.3 maxima ❓


SPANS = {
    "personal": Span(Decimal("2.3"), Decimal("3.5"), True),
    # § 5(3): sections A, E, O; § 5(4): laboratory (M). The maxima are ❓ in billing.md: the
    # clinic confirms them (configuration with a visible note), they are not assumed silently.
    "technical": Span(Decimal("1.8"), Decimal("2.5"), False),
    "laboratory": Span(Decimal("1.15"), Decimal("1.3"), False),
}


@dataclass(frozen=True)
class Item:
    """A GOÄ position: number, points, frame; an analog item names the item it is billed like."""

    number: str
    points: int
    frame: Frame
    text: str
    analog_of: str = ""


class FeeSchedule(Protocol):
    """A fee schedule version: the current GOÄ today, the reformed one when it is in force."""

    version: str

    def item(self, number: str) -> Item: ...

    def fee(self, item: Item, multiplier: Decimal) -> Money: ...


@dataclass(frozen=True)
class Line:
    """One billed service: the item, its multiplier, the fee, and what makes it lawful."""

    item: Item
    multiplier: Decimal
    fee: Money
    needs_justification: bool
    needs_agreement: bool


class GoaeError(BillingError):
    """A GOÄ line that may not be billed as entered."""


@dataclass(frozen=True)
class Goae:
    """The GOÄ of 1996 (as amended), with the clinic's items (including its analog ones)."""

    items: dict[str, Item]
    version: str = "GOÄ 1996"

    def item(self, number: str) -> Item:
        try:
            return self.items[number]
        except KeyError:
            raise GoaeError(
                "goae_unknown", f"GOÄ Nr. {number} is not in the schedule", "item"
            ) from None

    def fee(self, item: Item, multiplier: Decimal) -> Money:
        """Points × point value × multiplier, rounded half up to the cent once."""
        return round_half_up(item.points * POINT_VALUE_EUR * multiplier, "EUR")

    def line(
        self,
        number: str,
        multiplier: Decimal,
        *,
        justification: str = "",
        agreement_signed: bool = False,
    ) -> Line:
        """One service as billed, refused when the multiplier is not allowed as entered."""
        item = self.item(number)
        span = SPANS[item.frame]
        if multiplier < 1:
            raise GoaeError(
                "goae_multiplier_below_one",
                f"GOÄ Nr. {number}: a multiplier starts at 1.0, not {multiplier}",
                f"multiplier-{number}",
            )
        needs_agreement = multiplier > span.maximum
        if needs_agreement and not agreement_signed:
            raise GoaeError(
                "goae_agreement_missing",
                f"GOÄ Nr. {number}: {multiplier} is above the maximum {span.maximum}: only a "
                "written § 2 agreement made before the service allows it",
                f"multiplier-{number}",
            )
        needs_justification = multiplier > span.threshold
        if needs_justification and not justification.strip():
            raise GoaeError(
                "goae_justification_missing",
                f"GOÄ Nr. {number}: {multiplier} is above {span.threshold}: the invoice must give "
                "a written justification for this service",
                f"justification-{number}",
            )
        return Line(
            item, multiplier, self.fee(item, multiplier), needs_justification, needs_agreement
        )


@dataclass(frozen=True)
class Expense:
    """A § 10 expense (a kit, a syringe set): kind, amount, and whether its receipt is needed."""

    kind: str
    amount: Money

    @property
    def receipt_needed(self) -> bool:
        return self.amount.amount > RECEIPT_ABOVE_EUR
