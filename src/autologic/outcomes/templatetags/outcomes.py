"""Template helpers of the outcome pages: timepoint names and score formatting."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from autologic.care.models import Appointment
from autologic.outcomes.domain import registry
from autologic.outcomes.queries import timepoint_of

register = template.Library()

SCORE_NAMES = {
    "pain": gettext_lazy("Pain"),
    "symptoms": gettext_lazy("Symptoms"),
    "adl": gettext_lazy("Daily living"),
    "sport_rec": gettext_lazy("Sport and recreation"),
    "qol": gettext_lazy("Quality of life"),
    "stiffness": gettext_lazy("Stiffness"),
    "function": gettext_lazy("Function"),
    "total": gettext_lazy("Total"),
    "interval": gettext_lazy("Interval score"),
    "score": gettext_lazy("Score"),
    "percent": gettext_lazy("Disability"),
    "global": gettext_lazy("Global assessment"),
    "activities": gettext_lazy("Back to daily activities"),
    "surgery": gettext_lazy("Surgery since the treatment"),
}
# Instruments without a published short name are named in words.
INSTRUMENT_NAMES = {"FOLLOWUP": gettext_lazy("Follow-up questions")}


# The instruments' recall periods (outcomes/domain), for the catalogues; shown through
# ``translated_text``.
RECALLS = [
    gettext_noop("last week"),
    gettext_noop("past week"),
    gettext_noop("today"),
    gettext_noop("last 48 hours"),
    gettext_noop("past 4 weeks"),
    gettext_noop("average over the last week"),
    gettext_noop("since the treatment"),
]


@register.filter
def when(appointment: Appointment) -> str:
    """A follow-up's name: "baseline", "6 weeks", "3 months"."""
    point = timepoint_of(appointment)
    if point is None:
        return appointment.key
    if point.offset_days == 0:
        return _("baseline")
    if point.weeks is not None:
        return ngettext("%(n)s week", "%(n)s weeks", point.weeks) % {"n": point.weeks}
    months = point.months or 0
    return ngettext("%(n)s month", "%(n)s months", months) % {"n": months}


_TIMEPOINT_KEY = re.compile(r"^(?P<unit>[wm])(?P<n>\d+)(?:-.*)?$")


@register.filter
def timepoint(key: str) -> str:
    """A follow-up timepoint by its protocol key ("baseline", "w6", "m12") in words."""
    if key == "baseline":
        return _("baseline")
    found = _TIMEPOINT_KEY.match(key or "")
    if found is None:
        return key
    n = int(found["n"])
    if found["unit"] == "w":
        return ngettext("%(n)s week", "%(n)s weeks", n) % {"n": n}
    return ngettext("%(n)s month", "%(n)s months", n) % {"n": n}


@register.filter
def instrument(instrument_id: str) -> str:
    """An instrument by its published short name ("NRS", not the protocol alias "NRS_PAIN"),
    or in words where it has none (Autologic's follow-up questions)."""
    if not registry.known(instrument_id):
        return instrument_id
    found = registry.get(instrument_id).id
    return str(INSTRUMENT_NAMES.get(found, found))


@register.filter
def score_name(name: str) -> str:
    """A subscale's display name in the user's language."""
    return str(SCORE_NAMES.get(name, name))


@register.filter
def one_decimal(value: Any) -> str:
    """A stored full-precision score shown to one decimal (storage is never rounded)."""
    if value is None:
        return "—"
    return f"{float(value):.1f}"
