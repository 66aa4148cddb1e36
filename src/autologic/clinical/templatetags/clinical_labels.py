"""Translated labels for clinical codes, and eligibility findings in the user's language."""

from __future__ import annotations

from typing import Any

from django import template

from autologic.clinical import choices
from autologic.clinical.messages import FLAGS, finding_text, region_text
from autologic.common.domain.calendars import Calendar

register = template.Library()

LABELS: dict[str, dict[str, Any]] = {
    "comorbidity": dict(choices.COMORBIDITIES),
    "region": dict(choices.REGIONS),
    "diagnosis": dict(choices.DIAGNOSES),
    "drug_class": dict(choices.DRUG_CLASSES),
    "study": dict(choices.STUDY_KINDS),
    "verdict": dict(choices.VERDICTS),
}


@register.filter
def label(code: str, kind: str) -> str:
    """The translated label of a vocabulary code, or the code itself if unknown."""
    return str(LABELS.get(kind, {}).get(code, code))


@register.simple_tag(takes_context=True)
def explain(context: template.Context, item: Any) -> str:
    """An eligibility finding or action (object or stored dict) as a sentence in the UI language."""
    site = context.get("site") or getattr(context.get("user"), "site", None)
    calendar = Calendar(site.calendar) if site is not None else Calendar.GREGORIAN
    return finding_text(item, calendar)


@register.filter
def flag_label(code: str) -> str:
    """The translated label of an eligibility flag."""
    return str(FLAGS.get(code, code))


@register.filter
def region(label_text: str) -> str:
    """A region label such as ``knee left`` in the UI language."""
    return region_text(label_text)
