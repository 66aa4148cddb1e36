"""Names of a course's events in the user's language (never the internal keys such as ``inj3``)."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from autologic.protocols.domain.schema import Protocol, Timepoint

COLLECTIONS = {
    "blood_draw": gettext_lazy("Blood draw"),
    "marrow_aspirate": gettext_lazy("Bone-marrow harvest"),
    "lipoaspirate": gettext_lazy("Fat harvest"),
}
INJECTION_PREFIX = "inj"
FOLLOW_UP_PREFIX = "fu-"


def _when(point: Timepoint) -> str:
    if point.weeks == 0:
        return _("baseline")
    if point.weeks is not None:
        return ngettext("%(n)s week", "%(n)s weeks", point.weeks) % {"n": point.weeks}
    months = point.months or 0
    return ngettext("%(n)s month", "%(n)s months", months) % {"n": months}


def event_label(kind: str, key: str, protocol: Protocol) -> str:
    """A course event's name from its kind, its key and the protocol's data ("Injection 3")."""
    if kind == "collection":
        return str(COLLECTIONS.get(protocol.collection.kind, _("Collection")))
    if kind == "processing":
        language = get_language() or "en"
        step = next((s for s in protocol.processing if s.key == key), None)
        return step.name.get(language) if step is not None else _("Lab processing")
    if kind == "injection":
        number = key.removeprefix(INJECTION_PREFIX)
        return _("Injection %(n)s") % {"n": number}
    point_key = key.removeprefix(FOLLOW_UP_PREFIX)
    point = next((p for p in protocol.follow_up.timepoints if p.key == point_key), None)
    kinds = {"visit": _("Follow-up visit"), "imaging": _("Imaging"), "prom": _("Questionnaires")}
    if point is None:
        return kinds.get(kind, _("Follow-up visit"))
    what = kinds[point.kind]
    if point.modality:
        what = f"{what} ({point.modality.value.replace('_', ' ').upper()})"
    return f"{what} · {_when(point)}"


def key_label(key: str, protocol: Protocol) -> str:
    """A course event's name from its key alone (a resource hold names the steps it spans)."""
    if key == "collection":
        return event_label("collection", key, protocol)
    if key.startswith(INJECTION_PREFIX) and key.removeprefix(INJECTION_PREFIX).isdigit():
        return event_label("injection", key, protocol)
    if key.startswith(FOLLOW_UP_PREFIX):
        return event_label("visit", key, protocol)
    return event_label("processing", key, protocol)
