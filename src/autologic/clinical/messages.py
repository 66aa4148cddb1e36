"""Eligibility findings and actions in the user's language.

The domain gives each finding a stable code, English text and parameters; this catalogue turns a
code into a translated sentence.  An unknown code falls back to the domain's English text.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from autologic.clinical import choices
from autologic.common.domain.calendars import Calendar, format_date
from autologic.protocols.queries import protocol_title

TEXTS = {
    "no_region": _("No affected region is recorded."),
    "region_treated": _("%(region)s (%(diagnosis)s) is treated by this protocol."),
    "region_not_treated": _("%(region)s (%(diagnosis)s) is not treated by this protocol."),
    "grade_missing": _("No %(system)s grade is recorded for %(region)s."),
    "grade_not_covered": _("%(system)s %(grade)s is not covered by this protocol."),
    "grade_needs_reason": _(
        "%(system)s %(grade)s at %(region)s needs a documented reason (%(accepted)s); "
        "none is recorded."
    ),
    "grade_with_reason": _("%(system)s %(grade)s at %(region)s accepted because: %(reasons)s."),
    "grade_in_range": _("%(system)s %(grade)s at %(region)s is within the protocol's range."),
    "grade_conditional": _("%(system)s %(grade)s at %(region)s needs a physician's review."),
    "grade_excluded": _("%(system)s %(grade)s at %(region)s is outside the protocol's range."),
    "excluded_comorbidity": _("Excluding condition recorded: %(comorbidities)s."),
    "age_outside": _("Age %(age)s is outside the protocol's age range."),
    "anaesthesia_risk_missing": _("No ASA class is recorded."),
    "anaesthesia_risk_too_high": _("Anaesthesia risk %(risk)s is too high for this procedure."),
    "study_missing": _("No %(study)s on file."),
    "study_outdated": _("%(study)s of %(performed_on)s is older than %(max_age_days)s days."),
    "study_pending": _("%(study)s of %(performed_on)s has no result yet."),
    "study_abnormal": _("%(study)s of %(performed_on)s is abnormal."),
    "study_ok": _("%(study)s of %(performed_on)s is normal and valid until %(valid_until)s."),
    "hold_not_started": _(
        "%(medication)s (%(drug_class)s) is not on hold; it must stop %(days)s days "
        "before collection."
    ),
    "hold_too_short": _(
        "%(medication)s stopped on %(held_since)s: collection no earlier than "
        "%(earliest_collection)s."
    ),
    "hold_ok": _(
        "%(medication)s on hold since %(held_since)s; collection from %(earliest_collection)s."
    ),
    "authorised": _("%(agency)s authorisation %(reference)s granted on %(granted_on)s."),
    "authorisation_pending": _("%(agency)s has not decided yet."),
    "authorisation_expired": _("The %(agency)s authorisation has expired."),
    "authorisation_missing": _("No %(agency)s authorisation is on file."),
    "conservative_missing": _(
        "No conservative treatment is recorded; the protocol asks for one of %(treatments)s "
        "for at least %(min_weeks)s weeks first."
    ),
    "conservative_helped": _("%(treatment)s helped; conservative treatment has not failed."),
    "conservative_failed": _("%(treatment)s failed after %(weeks)s weeks."),
    "conservative_ongoing": _("%(treatment)s since %(started_on)s has no result yet."),
    "conservative_too_short": _(
        "%(treatment)s failed after %(weeks)s weeks; the protocol asks for %(min_weeks)s weeks."
    ),
    # the gate before collection (clinical.domain.gates)
    "decision_final": _("The eligibility decision is final."),
    "decision_not_final": _(
        "The eligibility decision is conditional; a physician must sign a final decision."
    ),
    "study_reviewed": _(
        "%(study)s of %(performed_on)s is abnormal; the physician reviewed it in the decision."
    ),
    "hold_confirmed": _("The hold (%(classes)s) was confirmed with the patient on %(day)s."),
    "hold_unconfirmed": _(
        "Nobody has confirmed with the patient on %(day)s that they took no %(classes)s."
    ),
    "consent_signed": _("Treatment consent for %(procedure)s signed on %(given_on)s."),
    "consent_signed_later": _(
        "The consent for %(procedure)s was signed on %(given_on)s, after the collection day "
        "%(day)s."
    ),
    "consent_missing": _("No signed treatment consent covers %(procedure)s."),
    "deposit_estimate_unsigned": _(
        "The clinic asks for a deposit: the estimate is not signed yet."
    ),
    "deposit_none": _("The signed plan asks for no deposit."),
    "deposit_paid": _("The deposit is paid."),
    "deposit_unpaid": _("The deposit is not paid in full."),
    # actions
    "record_region": _("Record the affected region and diagnosis."),
    "record_grade": _("Record a %(system)s grade for %(region)s."),
    "record_asa": _("Record the ASA class."),
    "obtain_study": _("Obtain %(study)s."),
    "repeat_study": _("Repeat %(study)s."),
    "await_study": _("Record the %(study)s result."),
    "review_study": _("Physician review of the %(study)s."),
    "start_hold": _("Confirm that %(medication)s is stopped %(days)s days before collection."),
    "move_collection": _("Move the collection to %(earliest_collection)s or later."),
    "await_authorisation": _("Record %(agency)s's decision."),
    "request_authorisation": _("Request authorisation from %(agency)s (%(scope)s)."),
    "record_conservative": _(
        "Record the conservative treatments tried, for how long and whether they failed."
    ),
    "record_conservative_result": _("Record whether %(treatment)s helped, from %(due)s."),
    "review_conservative": _(
        "Physician review: %(treatment)s was tried for less than %(min_weeks)s weeks."
    ),
}
REASONS = {
    "high_anaesthesia_risk": _("anaesthesia risk"),
    "comorbidity": _("comorbidity"),
    "young": _("young for joint replacement"),
    "avoids_surgery": _("refuses joint replacement"),
}
FLAGS = {"lower_expected_success": _("Lower expected success")}
_REGIONS = dict(choices.REGIONS)
_SIDES = dict(choices.SIDES)
_DIAGNOSES = dict(choices.DIAGNOSES)
_STUDIES = dict(choices.STUDY_KINDS)
_DRUGS = dict(choices.DRUG_CLASSES)
_COMORBIDITIES = dict(choices.COMORBIDITIES)
_CONSERVATIVE = dict(choices.CONSERVATIVE_TREATMENTS)


def region_text(label: str) -> str:
    """Translate a region label such as ``knee left`` or ``tendon right Achilles``."""
    parts = label.split(" ", 2)
    if parts and parts[0] in _REGIONS:
        if len(parts) > 1 and parts[1] in _SIDES:
            return " ".join([choices.site_label(parts[0], parts[1]), *parts[2:]])
        parts[0] = str(_REGIONS[parts[0]])
    return " ".join(parts)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _param(name: str, value: Any, calendar: Calendar, language: str) -> str:
    day = _as_date(value)
    if day is not None:
        return format_date(day, calendar, language)
    if name == "region":
        return region_text(str(value))
    if name in {"procedure", "scope"} and value:
        return protocol_title(str(value), language)
    lookup = {
        "diagnosis": _DIAGNOSES,
        "study": _STUDIES,
        "drug_class": _DRUGS,
        "treatment": _CONSERVATIVE,
    }.get(name)
    if lookup is not None:
        return str(lookup.get(value, value))
    if name in {"accepted", "reasons"}:
        return ", ".join(str(REASONS.get(v, v)) for v in value)
    if name == "comorbidities":
        return ", ".join(str(_COMORBIDITIES.get(v, v)) for v in value)
    if name == "treatments":
        return ", ".join(str(_CONSERVATIVE.get(v, v)) for v in value)
    if name == "classes":
        return ", ".join(str(_DRUGS.get(v, v)) for v in value)
    return "" if value is None else str(value)


def finding_text(item: Any, calendar: Calendar = Calendar.GREGORIAN) -> str:
    """A finding or action (dataclass or stored dict) as a sentence in the active language."""
    data = asdict(item) if is_dataclass(item) and not isinstance(item, type) else dict(item)
    template = TEXTS.get(data.get("code", ""))
    if template is None:
        return str(data.get("message", ""))
    language = (get_language() or "en")[:2]
    params = {
        name: _param(name, value, calendar, language)
        for name, value in (data.get("params") or {}).items()
    }
    try:
        return str(template) % params
    except (KeyError, ValueError, TypeError):
        return str(data.get("message", ""))
