"""A protocol's eligibility rules as sentences a clinician reads (never the rule's raw data)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from autologic.clinical import choices

OUTCOMES = {
    "eligible": gettext_lazy("eligible"),
    "conditional": gettext_lazy("eligible with conditions"),
    "not_eligible": gettext_lazy("not eligible"),
}
RULE_KINDS = {
    "region": gettext_lazy("Regions and diagnoses"),
    "grade": gettext_lazy("Radiographic grade"),
    "exclusion": gettext_lazy("Excluding conditions"),
    "age": gettext_lazy("Age"),
    "anaesthesia": gettext_lazy("Anaesthesia risk"),
    "studies": gettext_lazy("Pre-operative studies"),
    "medication_hold": gettext_lazy("Medication hold"),
    "authorisation": gettext_lazy("Regulatory authorisation"),
    "conservative_first": gettext_lazy("Conservative treatment first"),
}
REQUIREMENTS = {
    "high_anaesthesia_risk": gettext_lazy("a high anaesthesia risk"),
    "comorbidity": gettext_lazy("a comorbidity"),
    "young": gettext_lazy("a young patient"),
    "avoids_surgery": gettext_lazy("a patient who wants to avoid surgery"),
}
# The protocol file's coded values, as the protocol page names them.
WORDS: dict[str, dict[str, Any]] = {
    "condition": {
        "frozen": gettext_lazy("Frozen"),
        "refrigerated": gettext_lazy("Refrigerated"),
        "ambient": gettext_lazy("Room temperature"),
        "fresh": gettext_lazy("Fresh"),
    },
    "source_tissue": {
        "venous_blood": gettext_lazy("Venous blood"),
        "bone_marrow": gettext_lazy("Bone marrow"),
        "adipose": gettext_lazy("Adipose tissue"),
    },
    "manipulation": {
        "minimal": gettext_lazy("Minimal manipulation"),
        "enzymatic": gettext_lazy("Enzymatic digestion"),
        "culture_expanded": gettext_lazy("Multiplied in culture"),
    },
    "cell_type": {"none": gettext_lazy("no cells (serum)")},
    "collection": {
        "blood_draw": gettext_lazy("Blood draw"),
        "marrow_aspirate": gettext_lazy("Bone-marrow aspirate"),
        "lipoaspirate": gettext_lazy("Lipoaspirate"),
    },
    "route": {
        "intra_articular": gettext_lazy("Intra-articular"),
        "peritendinous": gettext_lazy("Peritendinous"),
        "intramuscular": gettext_lazy("Intramuscular"),
        "epidural_perineural": gettext_lazy("Epidural perineural"),
    },
    "guidance": {
        "ultrasound": gettext_lazy("Ultrasound"),
        "fluoroscopy": gettext_lazy("Fluoroscopy"),
    },
    "equipment": {
        "incubator": gettext_lazy("Incubator"),
        "centrifuge": gettext_lazy("Centrifuge"),
        "culture": gettext_lazy("Culture laboratory"),
        "biosafety_cabinet": gettext_lazy("Biosafety cabinet"),
        "freezer": gettext_lazy("Freezer"),
    },
    "timepoint": {
        "visit": gettext_lazy("Visit"),
        "imaging": gettext_lazy("Imaging"),
        "prom": gettext_lazy("Questionnaires"),
    },
    "modality": dict(choices.MODALITIES),
    "per": {
        "course": gettext_lazy("per course"),
        "collection": gettext_lazy("per collection"),
        "region_injection": gettext_lazy("per region and injection"),
    },
}
FLAGS = {"lower_expected_success": gettext_lazy("lower expected success")}
VOCABULARIES: dict[str, dict[str, Any]] = {
    "regions": dict(choices.REGIONS),
    "diagnoses": dict(choices.DIAGNOSES),
    "comorbidities": dict(choices.COMORBIDITIES),
    "refuse": dict(choices.ANAESTHESIA_RISKS),
    "system": dict(choices.GRADE_SYSTEMS),
    "treatments": dict(choices.CONSERVATIVE_TREATMENTS),
}


def _names(kind: str, codes: Any) -> str:
    vocabulary = VOCABULARIES.get(kind, {})
    items = codes if isinstance(codes, list | tuple) else [codes]
    return ", ".join(str(vocabulary.get(str(_code(c)), _code(c))) for c in items)


def _code(value: Any) -> str:
    return str(getattr(value, "value", value))


def _outcome(value: Any) -> str:
    return str(OUTCOMES.get(_code(value), _code(value)))


def rule_kind(rule: Any) -> str:
    """The translated name of a rule's kind."""
    return str(RULE_KINDS[rule.kind])


def rule_sentences(rule: Any) -> list[str]:
    """What an eligibility rule checks, as sentences in the UI language."""
    kind = rule.kind
    if kind == "region":
        return [
            _("Treats %(regions)s.") % {"regions": _names("regions", rule.regions)},
            _("Diagnoses: %(diagnoses)s.") % {"diagnoses": _names("diagnoses", rule.diagnoses)},
        ]
    if kind == "grade":
        return _grade(rule)
    if kind == "exclusion":
        return [
            _("%(conditions)s: %(outcome)s.")
            % {
                "conditions": _names("comorbidities", rule.comorbidities),
                "outcome": _outcome(rule.outcome),
            }
        ]
    if kind == "age":
        return [_age(rule)]
    if kind == "anaesthesia":
        return [
            _("Anaesthesia risk %(risks)s: %(outcome)s.")
            % {"risks": _names("refuse", rule.refuse), "outcome": _outcome(rule.outcome)}
        ]
    if kind == "studies":
        return [
            _("The preparation's studies are on file, recent and normal."),
            _("An abnormal study: %(outcome)s.") % {"outcome": _outcome(rule.abnormal)},
        ]
    if kind == "medication_hold":
        return [_("Flagged medications are on hold long enough before collection.")]
    if kind == "authorisation":
        return [_("The preparation's authorisation is granted and covers the treatment.")]
    if kind == "conservative_first":
        return [
            _("At least %(weeks)s weeks of conservative treatment first: %(treatments)s.")
            % {"weeks": rule.min_weeks, "treatments": _names("treatments", rule.treatments)},
            _("None recorded: %(outcome)s.") % {"outcome": _outcome(rule.missing)},
            _("It helped: %(outcome)s.") % {"outcome": _outcome(rule.helped)},
        ]
    return [_generic(rule)]


def _grade(rule: Any) -> list[str]:
    lines = [
        _("%(system)s grade, for %(diagnoses)s.")
        % {
            "system": _names("system", rule.system),
            "diagnoses": _names("diagnoses", rule.diagnoses),
        }
    ]
    for band in rule.bands:
        grades = ", ".join(str(g) for g in band.grades)
        line = _("Grade %(grades)s: %(outcome)s") % {
            "grades": grades,
            "outcome": _outcome(band.outcome),
        }
        if band.requires_any:
            needs = ", ".join(str(REQUIREMENTS.get(r, r)) for r in band.requires_any)
            line += " " + _("with %(needs)s; otherwise %(otherwise)s") % {
                "needs": needs,
                "otherwise": _outcome(band.otherwise),
            }
        if band.flag:
            line += f" ({FLAGS.get(band.flag, band.flag)})"
        lines.append(line + ".")
        if band.note is not None:
            lines.append(band.note.get(get_language() or "en"))
    if rule.young_below_age is not None:
        lines.append(_("Young: below %(age)s years.") % {"age": rule.young_below_age})
    lines.append(_("No grade recorded: %(outcome)s.") % {"outcome": _outcome(rule.missing)})
    return lines


def _age(rule: Any) -> str:
    outcome = _outcome(rule.outcome)
    if rule.min is not None and rule.max is not None:
        return _("Aged %(min)s to %(max)s years; otherwise %(outcome)s.") % {
            "min": rule.min,
            "max": rule.max,
            "outcome": outcome,
        }
    if rule.min is not None:
        return _("Aged %(min)s years or more; otherwise %(outcome)s.") % {
            "min": rule.min,
            "outcome": outcome,
        }
    return _("Aged %(max)s years or less; otherwise %(outcome)s.") % {
        "max": rule.max,
        "outcome": outcome,
    }


def _generic(rule: Any) -> str:
    """A rule of a kind this module does not know yet: its settings, with readable names."""
    values = rule.model_dump(exclude={"id", "kind"})
    parts = []
    for key, value in values.items():
        if value in (None, [], ""):
            continue
        shown = _names(key, value) if isinstance(value, list) else _outcome(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts) + "." if parts else ""


# Names of protocol settings, for the parameters a medical director has yet to confirm.
SETTINGS = {
    "collection": gettext_lazy("Collection"),
    "processing": gettext_lazy("Processing"),
    "injections": gettext_lazy("Injections"),
    "product": gettext_lazy("Product"),
    "preparation": gettext_lazy("Preparation"),
    "eligibility": gettext_lazy("Eligibility"),
    "variants": gettext_lazy("Variants"),
    "follow_up": gettext_lazy("Follow-up"),
    "volume_ml": gettext_lazy("volume (mL)"),
    "bands": gettext_lazy("grade bands"),
    "comorbidities": gettext_lazy("conditions"),
    "young_below_age": gettext_lazy("age counted as young"),
    "refuse": gettext_lazy("refused anaesthesia risks"),
    "count": gettext_lazy("number of injections"),
    "default": gettext_lazy("usual number"),
    "studies": gettext_lazy("studies"),
    "max_age_days": gettext_lazy("maximum age (days)"),
    "duration_h": gettext_lazy("duration (h)"),
    "duration_days": gettext_lazy("duration (days)"),
    "hours": gettext_lazy("time window (h)"),
    "g_force": gettext_lazy("g-force"),
    "spin_min": gettext_lazy("spin time (min)"),
    "temperature_c": gettext_lazy("temperature (°C)"),
    "dose": gettext_lazy("dose"),
    "cells_million": gettext_lazy("cells (million)"),
    "issue_to_thaw_max_min": gettext_lazy("issue to thaw (max. min)"),
    "out_of_freezer_max_min": gettext_lazy("out of the freezer (max. min)"),
    "thaw_to_injection_max_min": gettext_lazy("thaw to injection (max. min)"),
    "interval_days": gettext_lazy("days between sessions"),
    "first_after_collection_days": gettext_lazy("first injection after collection (days)"),
    "release": gettext_lazy("release specification"),
    "target": gettext_lazy("usual value"),
    "min": gettext_lazy("minimum"),
    "max": gettext_lazy("maximum"),
    "min_weeks": gettext_lazy("minimum duration (weeks)"),
}
_PART = re.compile(r"^(?P<name>\w+)(?:\[(?P<index>\d+|\*)\])?$")


def _setting(name: str) -> str:
    return str(SETTINGS.get(name, name.replace("_", " ")))


def _named(item: Any, name: str, index: int) -> str:
    """An item of a list setting by its own name (a step, a rule), else by its number."""
    if hasattr(item, "kind") and hasattr(item, "id") and name == "eligibility":
        return rule_kind(item)
    text = getattr(item, "name", None)
    if text is not None and hasattr(text, "get"):
        return str(text.get(get_language() or "en"))
    return f"{_setting(name)} {index + 1}"


def parameter_name(entry: str, protocol: Any) -> str:
    """A parameter path from a protocol's ``unconfirmed`` list (``processing[1].g_force``,
    with an optional note in brackets) as words: "Centrifugation › g-force"."""
    path, _space, note = entry.partition(" (")
    words: list[str] = []
    current: Any = protocol
    for part in path.split("."):
        match = _PART.match(part)
        if match is None:
            words.append(part)
            current = None
            continue
        name, index = match["name"], match["index"]
        value = getattr(current, name, None) if current is not None else None
        if (
            index is not None
            and index != "*"
            and isinstance(value, list)
            and int(index) < len(value)
        ):
            current = value[int(index)]
            words.append(_named(current, name, int(index)))
        else:
            current = value
            words.append(_setting(name))
    text = " › ".join(words)
    # The note is the protocol author's English remark; other languages show the name alone.
    return f"{text} ({note}" if note and (get_language() or "en").startswith("en") else text


def word(value: Any, vocabulary: str) -> str:
    """A coded value of a protocol file in words ("frozen" → "Frozen"); lists joined."""
    if isinstance(value, (list, tuple)):
        return ", ".join(word(item, vocabulary) for item in value)
    return str(WORDS[vocabulary].get(value, value))
