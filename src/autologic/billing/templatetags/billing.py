"""Amounts on billing pages: the locale's digits, and tomans where the clinic shows them."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext

from autologic.billing.domain.display import format_money
from autologic.billing.domain.money import Money
from autologic.common.domain.calendars import interface_digits

register = template.Library()


def show(value: Money, billing: Any, language: str) -> str:
    """An amount as this clinic shows it (tomans in Tehran; printed invoices keep rials)."""
    tomans = bool(billing is not None and billing.show_tomans and value.currency == "IRR")
    return format_money(value, language, tomans=tomans, toman=pgettext("currency", "toman"))


@register.simple_tag(takes_context=True)
def money(context: template.Context, minor: int | None, currency: str) -> SafeString | str:
    """``minor`` units of ``currency``, isolated so right-to-left text keeps the number whole."""
    if minor is None:
        return "—"
    # Printed documents are official: rials, never tomans (billing.md §2.4).
    billing = None if context.get("printed") else context.get("billing")
    text = show(Money.from_minor(int(minor), currency), billing, get_language() or "en")
    return format_html('<bdi class="money">{}</bdi>', text)


@register.simple_tag(takes_context=True)
def amount(context: template.Context, value: Money | None) -> SafeString | str:
    """A Money value on a page."""
    if value is None:
        return "—"
    return money(context, value.minor_units, value.currency)


@register.filter
def digits(value: object) -> str:
    """A count or number in the interface's digits (Persian digits in Persian)."""
    return interface_digits(str(value), get_language() or "en")


@register.filter
def decimal(value: object) -> str:
    """A decimal (a GOÄ multiplier, a VAT rate) with the locale's separator and digits."""
    from decimal import Decimal, InvalidOperation

    from babel.numbers import format_decimal

    from autologic.billing.domain.display import locale_for

    language = get_language() or "en"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format_decimal(number, format="#,##0.0##", locale=locale_for(language))
    return interface_digits(text, language)


@register.simple_tag
def site_date(value: Any, site: Any) -> SafeString | str:
    """A date in a clinic's calendar where no one is signed in (the patient's own page)."""
    from autologic.common.domain.calendars import Calendar, format_date

    if value is None:
        return "—"
    text = format_date(value, Calendar(site.calendar), get_language() or "en")
    return format_html('<bdi dir="ltr">{}</bdi>', text)
