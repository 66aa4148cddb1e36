"""Exact amounts: a ``Decimal`` with its currency and the currency's scale, never a float.

IRR is stored as whole rials (scale 0; CLDR agrees, ISO 4217 says 2 but fractions of a rial are not
used). The toman is a display unit only (÷ 10). Each currency carries the date from which its scale
applies, so the rial's redenomination (1 new rial = 10,000 rials, dates not yet set) can be added as
a new row without rewriting amounts already stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from autologic.common.domain.errors import ValidationFailed


class MoneyError(ValueError):
    """An amount that cannot be money: wrong currency, too many decimals, not finite."""


class BillingError(ValidationFailed):
    """A billing rule refused what was entered: a code, the English message, and ``field``, the
    field to correct (one error path: views and the API show it like every DomainError)."""


@dataclass(frozen=True)
class Currency:
    """A currency as the clinic books it: ISO code, decimals, and from when that holds."""

    code: str
    scale: int
    effective_from: date


CURRENCIES = {
    "EUR": Currency("EUR", 2, date(1999, 1, 1)),
    "AED": Currency("AED", 2, date(1973, 5, 19)),
    # Whole rials (CLDR: 0 digits). The new rial of the 2025 law gets its own row once its ISO
    # code and effective date are published (billing.md §2.4, marked ❓ there).
    "IRR": Currency("IRR", 0, date(1932, 3, 21)),
}
TOMAN_PER_RIAL = Decimal("0.1")


def currency(code: str) -> Currency:
    """The currency for an ISO code this clinic software books in."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise MoneyError(f"{code} is not a currency Autologic books in") from None


@dataclass(frozen=True, order=True)
class Money:
    """An amount in one currency, exact to the currency's scale."""

    currency: str
    amount: Decimal

    def __post_init__(self) -> None:
        scale = currency(self.currency).scale
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise MoneyError(f"{self.amount!r} is not a finite decimal amount")
        exponent = self.amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > scale:
            raise MoneyError(f"{self.amount} has more than {scale} decimals for {self.currency}")

    @classmethod
    def of(cls, text: str | int | Decimal, code: str) -> Money:
        """Money from exact text or a whole number; a float is refused."""
        if isinstance(text, float):
            raise MoneyError("amounts are never floats")
        try:
            value = Decimal(str(text))
        except InvalidOperation:
            raise MoneyError(f"{text!r} is not a number") from None
        return cls(code, value.quantize(Decimal(1).scaleb(-currency(code).scale)))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.amount - other.amount)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    @classmethod
    def from_minor(cls, units: int, code: str) -> Money:
        """Money from a whole number of minor units (cents, fils, rials): how amounts are stored."""
        return cls(code, Decimal(units).scaleb(-currency(code).scale))

    @property
    def minor_units(self) -> int:
        """The amount as a whole number of minor units (IRR: whole rials), for storage."""
        return int(self.amount.scaleb(currency(self.currency).scale))

    @property
    def minor(self) -> Decimal:
        """The smallest unit of the currency (0.01 EUR, 1 IRR)."""
        return Decimal(1).scaleb(-currency(self.currency).scale)

    def tomans(self) -> Decimal:
        """An IRR amount in tomans, for display only (1 toman = 10 rials)."""
        if self.currency != "IRR":
            raise MoneyError("only rials have a toman")
        return self.amount * TOMAN_PER_RIAL


def round_half_up(value: Decimal, code: str) -> Money:
    """A computed value rounded half up to the currency's minor unit (GOÄ § 5(1), UAE VAT)."""
    step = Decimal(1).scaleb(-currency(code).scale)
    return Money(code, value.quantize(step, rounding=ROUND_HALF_UP))


def total(amounts: list[Money], code: str) -> Money:
    """The sum of amounts in one currency (zero when there are none)."""
    result = Money.of(0, code)
    for amount in amounts:
        result = result + amount
    return result
