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


@dataclass(frozen=True)
class TaxSetting:
    """A clinic's tax, as data: the standard percent (None: the treatment is exempt), the legal
    basis the invoice prints, and the basis of a zero rate where the country has one."""

    percent: Decimal | None
    basis: str
    zero_basis: str = ""


# What a new clinic starts from, per country (billing.md §1); the manager can change each.
DEFAULTS = {
    "DE": TaxSetting(None, "Umsatzsteuerfrei gemäß § 4 Nr. 14a UStG"),
    "ES": TaxSetting(None, "Operación exenta de IVA (art. 20.Uno.3 Ley 37/1992)"),
    "AE": TaxSetting(UAE_STANDARD.percent, UAE_STANDARD.basis, UAE_ZERO_HEALTHCARE.basis),
    # Whether the 1400 VAT law exempts these services is ❓: no tax until the clinic says so.
    "IR": TaxSetting(None, ""),
}


def rate_for(
    setting: TaxSetting, *, zero_rate_confirmed: bool, patient_is_recipient: bool
) -> Rate | None:
    """The rate an invoice line carries: none where the treatment is exempt; zero where the
    country zero-rates healthcare to the patient and the clinic confirmed it applies; else the
    standard rate."""
    if setting.percent is None:
        return None
    if setting.zero_basis and zero_rate_confirmed and patient_is_recipient:
        return Rate(Decimal(0), setting.zero_basis)
    return Rate(setting.percent, setting.basis)
