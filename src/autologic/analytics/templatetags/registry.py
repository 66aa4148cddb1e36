"""How the registry's numbers read: shares, times and claims in the interface's language and
digits."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autologic.analytics.domain.claims import UNIT_DAYS, Claimed
from autologic.common.domain.calendars import interface_digits

register = template.Library()
LOCALES = {"fa": "fa_IR", "de": "de_DE", "es": "es_ES"}


def _number(value: float, places: int) -> str:
    """A number with at most ``places`` decimals (none shown when it is whole)."""
    language = get_language() or "en"
    pattern = "#,##0" + ("." + "#" * places if places else "")
    text = format_decimal(value, format=pattern, locale=LOCALES.get(language, "en_GB"))
    return interface_digits(text, language)


@register.filter
def share(value: float | None) -> str:
    """A share as a percentage to one decimal, in the locale's form: "78.5%", "78,5 %",
    "۷۸٫۵٪"; "—" when there is none."""
    if value is None:
        return "—"
    language = get_language() or "en"
    rounded = Decimal(str(round(value, 3))).normalize()
    text = format_percent(
        rounded,
        locale=LOCALES.get(language, "en_GB"),
        decimal_quantization=False,
        numbering_system="default",
    )
    if language == "fa":
        text = text.replace("%", "٪")
    return interface_digits(text, language)


def _unit_name(unit: str) -> str:
    return {"days": _("days"), "weeks": _("weeks"), "months": _("months")}[unit]


@register.simple_tag
def in_unit(days: float | None, unit: str) -> str:
    """A time in days, in the claim's unit ("6.1 weeks"); "—" when there is none."""
    if days is None:
        return "—"
    if days == float("inf"):
        return _("not reached")
    return f"{_number(days / UNIT_DAYS[unit], 1)} {_unit_name(unit)}"


@register.simple_tag
def claimed(claim: Claimed) -> str:
    """What the page claims: "at least 90 per cent", "75–85 per cent", "1–3 months"."""
    if claim.unit == "percent":
        shown = [share(v / 100) for v in (claim.about or [claim.at_least or claim.at_most or 0])]
    else:
        shown = [in_unit(v * UNIT_DAYS[claim.unit], claim.unit) for v in (claim.about or [])]
        if not shown:
            value = claim.at_least if claim.at_least is not None else claim.at_most
            shown = [in_unit((value or 0) * UNIT_DAYS[claim.unit], claim.unit)]
    if claim.direction == "at_least":
        return _("at least %(value)s") % {"value": shown[0]}
    if claim.direction == "at_most" and not claim.at_most:
        return _("none")
    if claim.direction == "at_most":
        return _("at most %(value)s") % {"value": shown[0]}
    if len(shown) == 2:
        return _("%(low)s to %(high)s") % {"low": shown[0], "high": shown[1]}
    return _("about %(value)s") % {"value": shown[0]}


@register.filter
def count(value: int | None) -> str:
    """A count in the interface's digits."""
    return "—" if value is None else interface_digits(str(value), get_language() or "en")


@register.simple_tag
def number(value: float | None) -> str:
    """A measured number to one decimal in the interface's digits; "—" when there is none."""
    return "—" if value is None else _number(value, 1)


@register.simple_tag
def kind_name(kind: str) -> str:
    """A responder definition's name."""
    from autologic.analytics.presentation import kind_label

    return kind_label(kind)


@register.simple_tag
def stratum_name(attribute: str, label: str) -> str:
    """A group's name on the page."""
    from autologic.analytics.presentation import stratum_label

    return stratum_label(attribute, label)


@register.filter
def timepoint_name(key: str) -> str:
    """A follow-up timepoint ("w6") in words, in the interface's digits ("۶ هفته")."""
    from autologic.outcomes.templatetags.outcomes import timepoint

    return interface_digits(timepoint(key), get_language() or "en")


@register.simple_tag
def cohort_link(row: object) -> str:
    """The registry page showing a saved cohort."""
    from autologic.analytics.queries import cohort_url

    return cohort_url(row)  # type: ignore[arg-type]
