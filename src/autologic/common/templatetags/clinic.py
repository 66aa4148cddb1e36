"""Show dates and times in the clinic's time zone and calendar (Gregorian or Jalali)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext

from autologic.accounts.roles import allows, rule_for
from autologic.common import clock
from autologic.common.domain.calendars import (
    Calendar,
    age_on,
    format_date,
    format_datetime,
    interface_digits,
)
from autologic.common.domain.phones import display_phone
from autologic.common.texts import translate_for, translate_text

register = template.Library()


def _site(context: template.Context) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    return getattr(user, "site", None) if user is not None and user.is_authenticated else None


def _calendar(site: Any) -> Calendar:
    return Calendar(site.calendar) if site is not None else Calendar.GREGORIAN


@register.simple_tag(takes_context=True)
def clinic_date(context: template.Context, value: date | None) -> SafeString | str:
    """A date in the clinic's calendar, isolated left-to-right so RTL text keeps its order."""
    if value is None:
        return "—"
    text = format_date(value, _calendar(_site(context)), get_language() or "en")
    return format_html('<bdi dir="ltr">{}</bdi>', text)


@register.simple_tag(takes_context=True)
def clinic_datetime(context: template.Context, value: datetime | None) -> SafeString | str:
    """A UTC datetime shown in the clinic's time zone and calendar."""
    if value is None:
        return "—"
    site = _site(context)
    local = value.astimezone(ZoneInfo(site.time_zone if site else "UTC"))
    text = format_datetime(local, _calendar(site), get_language() or "en")
    return format_html('<bdi dir="ltr">{}</bdi>', text)


@register.simple_tag(takes_context=True)
def age(context: template.Context, born: date) -> str:
    """Whole years of age today, in the clinic's time zone, in the interface's digits."""
    site = _site(context)
    years = age_on(born, clock.local_today(site.time_zone if site else "UTC"))
    return interface_digits(str(years), get_language() or "en")


@register.simple_tag(takes_context=True)
def may(context: template.Context, url_name: str, method: str = "GET") -> bool:
    """Say whether the current user's role reaches a URL (to hide buttons they cannot use)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return allows(rule_for(url_name, method), user.role)


@register.filter
def getfield(form: Any, name: str) -> Any:
    """Look up a bound field by name (for forms laid out in a chosen order)."""
    return form[name]


@register.filter
def getitem(mapping: dict[str, Any], key: object) -> Any:
    """Look up a dict entry by a key given as any type (ids arrive as ints, keys are text)."""
    return (mapping or {}).get(str(key), [])


@register.filter
def translated_for(text: Any, protocol: Any) -> str:
    """A text naming a protocol's processing steps or QC attributes, in the UI language."""
    return "" if text is None else translate_for(str(text), protocol)


@register.filter
def translated_text(text: Any) -> str:
    """An English text from domain code or a protocol file (a refusal, a deviation, a
    consumable) in the UI language, when the catalogues know it."""
    return "" if text is None else translate_text(str(text))


@register.filter
def minutes(value: Any) -> str:
    """A duration in minutes in the UI language ("30 min")."""
    if value is None or value == "":
        return ""
    shown = interface_digits(str(value), get_language() or "en")
    return ngettext("%(n)s minute", "%(n)s minutes", int(value)) % {"n": shown}


@register.filter
def localised(text: Any) -> str:
    """Show protocol text (a ``Text`` or a language mapping) in the UI language."""
    language = (get_language() or "en")[:2]
    if text is None:
        return ""
    if hasattr(text, "get") and not isinstance(text, dict):
        return str(text.get(language))
    if isinstance(text, dict):
        return str(text.get(language) or text.get("en", ""))
    return str(text)


@register.simple_tag(takes_context=True)
def clinic_time(context: template.Context, value: datetime | None) -> SafeString | str:
    """The clock time (HH:MM) of a UTC datetime in the clinic's time zone."""
    if value is None:
        return "—"
    site = _site(context)
    local = value.astimezone(ZoneInfo(site.time_zone if site else "UTC"))
    text = interface_digits(local.strftime("%H:%M"), get_language() or "en")
    return format_html('<bdi dir="ltr">{}</bdi>', text)


@register.filter
def check_char(identifier: str) -> str:
    """The MOD 37-2 keyboard-entry check character, printed boxed next to an identifier."""
    from autologic.common.domain.identifiers import IdentifierError, check_character

    try:
        return check_character(str(identifier))
    except IdentifierError:
        return ""


@register.filter
def phone(value: str | None) -> SafeString | str:
    """A stored phone number (E.164) in international format, kept left-to-right in RTL pages;
    a number stored before numbers were checked is shown as it was typed."""
    if not value:
        return "—"
    return format_html('<bdi dir="ltr">{}</bdi>', display_phone(value))
