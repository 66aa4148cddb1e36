"""Translated labels for clinical codes, and eligibility findings in the user's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from autologic.accounts.roles import allows, rule_for
from autologic.clinical import choices
from autologic.clinical.messages import FLAGS, finding_text, region_text
from autologic.common.domain.calendars import Calendar
from autologic.protocols import texts

register = template.Library()

LABELS: dict[str, dict[str, Any]] = {
    "comorbidity": dict(choices.COMORBIDITIES),
    "region": dict(choices.REGIONS),
    "diagnosis": dict(choices.DIAGNOSES),
    "drug_class": dict(choices.DRUG_CLASSES),
    "study": dict(choices.STUDY_KINDS),
    "verdict": dict(choices.VERDICTS),
    "marker": dict(choices.MARKERS),
    "gate": dict(choices.EXCEPTABLE_GATES),
}
GATE_NAMES = {
    "eligibility": _("Final eligibility decision"),
    "authorisation": _("Regulatory authorisation"),
    "studies": _("Pre-operative studies"),
    "medication_hold": _("Medication hold"),
    "consent": _("Signed consent for this procedure"),
    "deposit": _("Deposit before collection"),
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


@register.filter
def site(value: Any) -> str:
    """A region with its side (anything with ``region`` and ``side``) in the UI language."""
    return choices.site_label(value.region, getattr(value, "side", ""))


@register.filter
def gate_name(code: str) -> str:
    """The translated name of a gate before collection."""
    return str(GATE_NAMES.get(code, code))


def _fix_target(check: Any, course: Any, back: str) -> tuple[str, str, str] | None:
    """(URL name, URL, label) of the page where a blocked check is put right."""
    patient = course.patient_id
    code = check.code
    if check.gate == "eligibility":
        url = reverse("clinical:eligibility", args=[patient, course.decision.assessment_id])
        query = urlencode({"protocol": course.protocol_id})
        return "clinical:eligibility", f"{url}?{query}", str(_("Sign a final decision"))
    if check.gate == "authorisation":
        url = reverse("clinical:record", args=[patient]) + "#authorisations"
        return "clinical:record_add", url, str(_("Record the authorisation"))
    if check.gate == "studies":
        url = reverse("clinical:record_add", args=[patient, "study"])
        return "clinical:record_add", url, str(_("Record the study"))
    if code == "hold_unconfirmed":
        url = reverse("clinical:hold_confirm", args=[patient]) + "?" + urlencode({"next": back})
        return "clinical:hold_confirm", url, str(_("Confirm the hold with the patient"))
    if check.gate == "medication_hold":
        url = reverse("clinical:record", args=[patient]) + "#medications"
        return "clinical:record_edit", url, str(_("Review the medications"))
    if check.gate == "consent":
        url = reverse("patients:consent_add", args=[patient])
        return "patients:consent_add", url, str(_("Record the signed consent"))
    if check.gate == "deposit":
        url = reverse("billing:course", args=[course.pk])
        return "billing:course", url, str(_("Open the course's billing"))
    return None


@register.simple_tag(takes_context=True)
def gate_fix(context: template.Context, check: Any, course: Any) -> dict[str, str] | None:
    """Where the current user can put a blocked gate check right (None when they cannot)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or check.status != "blocked":
        return None
    target = _fix_target(check, course, request.get_full_path())
    if target is None:
        return None
    name, url, label = target
    method = "POST" if name == "clinical:hold_confirm" else "GET"
    return {"url": url, "label": label} if allows(rule_for(name, method), user.role) else None


@register.filter
def rule_name(rule_id: str, rules: Any) -> str:
    """The protocol rule a finding comes from, named by what it checks ("Radiographic grade")."""
    rule = next((r for r in rules or [] if r.id == rule_id), None)
    return texts.rule_kind(rule) if rule is not None else ""
