"""Amounts as a clinic reads them: the locale's digits and separators, and tomans in Tehran.

Babel formats with CLDR data; amounts are already exact at the currency's scale, so Babel's
half-even rounding never applies (billing.md §6). In Persian the digits are Persian (Babel 2.18
keeps Latin digits for fa_IR, so they are mapped here). The toman is a display unit only: rials
÷ 10.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal

from autologic.billing.domain.money import TOMAN_PER_RIAL, BillingError, Money, currency
from autologic.common.domain.calendars import ASCII_DIGITS, interface_digits

LOCALES = {"de": "de_DE", "es": "es_ES", "fa": "fa_IR", "en": "en_GB"}


def locale_for(language: str) -> str:
    return LOCALES.get(language, "en_GB")


def format_money(value: Money, language: str, *, tomans: bool = False, toman: str = "") -> str:
    """``value`` for a page or a printed document in ``language``; ``tomans`` shows rials as
    tomans followed by the word ``toman`` (translated by the caller)."""
    locale = locale_for(language)
    if tomans and value.currency == "IRR":
        number = format_decimal(value.tomans(), locale=locale)
        return interface_digits(f"{number} {toman}".strip(), language)
    # English: the ISO code, a no-break space, then the amount (AED 1,234.50).
    decimals = ".00" if value.currency != "IRR" else ""
    pattern = f"¤\u00a0#,##0{decimals}" if locale == "en_GB" else None
    text = format_currency(value.amount, value.currency, format=pattern, locale=locale)
    return interface_digits(text, language)


def format_plain(value: Money, language: str) -> str:
    """The number alone (for a table column headed by its currency)."""
    return interface_digits(format_decimal(value.amount, locale=locale_for(language)), language)


# No price, payment or line reaches this in any currency (10^13 rials is about 200 million EUR);
# a typed "1e999" must be refused as an amount, not break the arithmetic.
MAX_AMOUNT = Decimal(10) ** 13


def parse_money(
    text: str, code: str, language: str, *, tomans: bool = False, field: str = "amount"
) -> Money:
    """An amount typed by a clinic user: their digits (Persian too) and separators (1.234,50 in
    German and Spanish); in tomans where the clinic shows tomans (stored as rials)."""
    cleaned = (
        text.strip()
        .translate(ASCII_DIGITS)
        .replace("٬", ",")
        .replace("٫", ".")
        .replace("\u00a0", "")
        .replace("\u202f", "")
        .replace(" ", "")
    )
    locale = "en_GB" if language == "fa" else locale_for(language)
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        raise BillingError("amount_not_a_number", f"{text!r} is not an amount", field) from None
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise BillingError("amount_too_large", f"{text[:20]!r} is too large an amount", field)
    if tomans and code == "IRR":
        value = value / TOMAN_PER_RIAL
    step = Decimal(1).scaleb(-currency(code).scale)
    if value != value.quantize(step):
        raise BillingError(
            "amount_too_precise", f"{text!r} has more decimals than {code} allows", field
        )
    return Money(code, value.quantize(step))
