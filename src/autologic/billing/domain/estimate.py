"""Price lists and the estimate a patient signs before treatment.

A price list is the clinic's versioned data, in force from its date. A line is priced per course,
per collection, per injection or per treated region and injection. A price range (seed 004: 12 to
20 million tomans depending on the method) is allowed on a list, but the estimate fixes one price
inside it and says why. Where the law excludes flat fees (Germany: the GOÄ applies, BGH
III ZR 223/05), no price list may be used, and the estimate is built from GOÄ items instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from autologic.billing.domain.money import BillingError, Money, total

Per = Literal["course", "collection", "injection", "region_injection"]
# Countries where a clinic may price by its own list; Germany bills physicians' services by GOÄ.
FREE_PRICING = frozenset({"ES", "AE", "IR"})


class EstimateError(BillingError):
    """A price or estimate that cannot stand as entered."""


@dataclass(frozen=True)
class PriceLine:
    """One priced item: a fixed price (low == high) or a range the estimate fixes."""

    code: str
    label: str
    per: Per
    low: Money
    high: Money

    def __post_init__(self) -> None:
        if self.high.amount < self.low.amount:
            raise EstimateError(
                "price_range_reversed",
                f"{self.code}: the highest price is below the lowest",
                f"price-{self.code}",
            )

    @property
    def ranged(self) -> bool:
        return self.low != self.high


@dataclass(frozen=True)
class PriceList:
    """A clinic's prices in one currency, version by version, each in force from its date."""

    version: int
    effective_from: date
    currency: str
    lines: tuple[PriceLine, ...]


def in_force(lists: Iterable[PriceList], on: date) -> PriceList:
    """The newest version in force on a day (a later version never changes an earlier estimate)."""
    candidates = [p for p in lists if p.effective_from <= on]
    if not candidates:
        raise EstimateError("price_list_missing", f"no price list is in force on {on}", "date")
    return max(candidates, key=lambda p: (p.effective_from, p.version))


def allowed(country: str) -> None:
    """Refuse a price list where fees must follow a schedule (Germany: GOÄ)."""
    if country not in FREE_PRICING:
        raise EstimateError(
            "flat_fees_excluded",
            f"{country}: physicians' fees follow the GOÄ; build the estimate from GOÄ items",
            "price_list",
        )


@dataclass(frozen=True)
class Shape:
    """What the course will be: collections, treated regions and injections per region."""

    regions: int
    injections: int
    collections: int = 1

    def quantity(self, per: Per) -> int:
        return {
            "course": 1,
            "collection": self.collections,
            "injection": self.injections,
            "region_injection": self.regions * self.injections,
        }[per]


@dataclass(frozen=True)
class EstimateLine:
    """A priced line of the estimate: quantity × unit price, and why a range was fixed so."""

    code: str
    label: str
    quantity: int
    unit_price: Money
    amount: Money
    reason: str = ""


@dataclass(frozen=True)
class Estimate:
    """What the patient is told the course will cost, line by line, under one price list."""

    price_list: int
    lines: tuple[EstimateLine, ...]
    total: Money
    notes: tuple[str, ...] = field(default=())


def estimate(
    prices: PriceList,
    shape: Shape,
    fixed: Mapping[str, tuple[Money, str]] | None = None,
) -> Estimate:
    """Price a course; each ranged line needs a chosen price inside its range and a reason."""
    chosen = fixed or {}
    lines: list[EstimateLine] = []
    for line in prices.lines:
        reason = ""
        unit = line.low
        if line.ranged:
            if line.code not in chosen:
                raise EstimateError(
                    "price_not_fixed",
                    f"{line.label}: choose a price between {line.low.amount} and "
                    f"{line.high.amount} {line.low.currency}",
                    f"price-{line.code}",
                )
            unit, reason = chosen[line.code]
            if (
                not line.low.amount <= unit.amount <= line.high.amount
                or unit.currency != line.low.currency
            ):
                raise EstimateError(
                    "price_outside_range",
                    f"{line.label}: {unit.amount} {unit.currency} is outside "
                    f"{line.low.amount}–{line.high.amount} {line.low.currency}",
                    f"price-{line.code}",
                )
            if not reason.strip():
                raise EstimateError(
                    "price_reason_missing",
                    f"{line.label}: say why this price within the range",
                    f"reason-{line.code}",
                )
        quantity = shape.quantity(line.per)
        amount = Money(unit.currency, unit.amount * Decimal(quantity))
        lines.append(EstimateLine(line.code, line.label, quantity, unit, amount, reason))
    amounts = [line.amount for line in lines]
    return Estimate(prices.version, tuple(lines), total(amounts, prices.currency))


class Worded(Protocol):
    def get(self, language: str) -> str: ...


class PricedItem(Protocol):
    """A protocol file's price line (``protocols.domain.schema.PriceItem``)."""

    code: str
    label: Worded
    per: Per
    amounts: dict[str, Decimal]


def from_protocol(
    items: Iterable[PricedItem], *, currency: str, language: str, version: int, effective_from: date
) -> PriceList:
    """The first price list of a clinic, seeded from a protocol file's ``prices:`` (fixed prices in
    the clinic's currency; items without one are left out)."""
    lines = []
    for item in items:
        if currency not in item.amounts:
            continue
        price = Money.of(item.amounts[currency], currency)
        lines.append(PriceLine(item.code, item.label.get(language), item.per, price, price))
    return PriceList(version, effective_from, currency, tuple(lines))
