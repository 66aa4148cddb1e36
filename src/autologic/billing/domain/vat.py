"""Value-added tax per invoice line, rounded half up to the minor unit per line (UAE: billing.md
§6, "tax is computed and rounded per line to the nearest fils").

Healthcare in the UAE is zero-rated only when the patient is the recipient of the service;
otherwise the standard 5 % applies. Rates are clinic data with their legal basis; this module only
computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from autologic.billing.domain.money import Money, round_half_up, total


@dataclass(frozen=True)
class Rate:
    """A tax rate with the legal basis the invoice prints."""

    percent: Decimal
    basis: str


UAE_STANDARD = Rate(Decimal("5"), "UAE VAT, standard rate")
# Whether elective regenerative injections count as zero-rated healthcare is ❓ in billing.md
# (an FTA clarification would settle it): the clinic confirms it before it is used on invoices.
UAE_ZERO_HEALTHCARE = Rate(Decimal("0"), "UAE VAT, healthcare services to the patient: zero-rated")


def uae_rate(*, patient_is_recipient: bool) -> Rate:
    """Zero-rated healthcare only when the patient receives the supply; else 5 %."""
    return UAE_ZERO_HEALTHCARE if patient_is_recipient else UAE_STANDARD


def line_tax(net: Money, rate: Rate) -> Money:
    """One line's tax, rounded half up to the minor unit on that line."""
    return round_half_up(net.amount * rate.percent / 100, net.currency)


def invoice_tax(lines: list[Money], rate: Rate) -> Money:
    """The invoice's tax: the sum of the rounded line taxes, never a rounded sum."""
    code = lines[0].currency if lines else "AED"
    return total([line_tax(line, rate) for line in lines], code)
