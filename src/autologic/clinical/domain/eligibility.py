"""Evaluate an assessment against a protocol's eligibility rules.

The rules are data (``protocols.domain.schema``); this module only applies them.  Every finding
cites the rule id that produced it, and every missing piece becomes an action the team can do.
The verdict is the worst outcome of any finding: one *not eligible* finding decides it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from autologic.clinical.domain.vocabulary import HIGH_ANAESTHESIA_RISK
from autologic.protocols.domain.schema import (
    AgeRule,
    AnaesthesiaRule,
    AuthorisationRule,
    ConservativeRule,
    ExclusionRule,
    GradeRule,
    HoldRule,
    Protocol,
    RegionRule,
    Rule,
    StudiesRule,
)

Outcome = Literal["eligible", "conditional", "not_eligible"]
Verdict = Literal["eligible", "eligible_with_conditions", "not_eligible"]
SEVERITY: dict[str, int] = {"eligible": 0, "conditional": 1, "not_eligible": 2}


@dataclass(frozen=True)
class RegionFacts:
    """One affected region as assessed."""

    region: str
    side: str = ""
    detail: str = ""
    diagnosis: str = ""
    grade_system: str = ""
    grade: int | None = None

    @property
    def label(self) -> str:
        """A short English label such as ``knee left`` or ``spine_lumbar L4/L5``."""
        return " ".join(part for part in (self.region, self.side, self.detail) if part)


@dataclass(frozen=True)
class MedicationFacts:
    """A current medication; ``held_since`` is the day a clinician confirmed it was stopped."""

    name: str
    drug_class: str
    held_since: date | None = None
    stopped_on: date | None = None


@dataclass(frozen=True)
class StudyFacts:
    """A pre-operative study on file."""

    kind: str
    performed_on: date
    result: str  # pending | normal | abnormal


@dataclass(frozen=True)
class AuthorisationFacts:
    """A regulatory authorisation request or grant."""

    agency: str
    scope: str
    reference: str = ""
    granted_on: date | None = None
    expires_on: date | None = None


@dataclass(frozen=True)
class ConservativeFacts:
    """A conservative treatment tried before: since when, until when, and how it went."""

    treatment: str
    started_on: date
    ended_on: date | None = None
    result: str = "ongoing"  # ongoing | helped | failed


@dataclass(frozen=True)
class Facts:
    """Everything eligibility may look at, as plain values."""

    today: date
    age: int
    regions: tuple[RegionFacts, ...]
    comorbidities: frozenset[str] = frozenset()
    anaesthesia_risk: str = ""
    avoids_surgery: bool = False
    medications: tuple[MedicationFacts, ...] = ()
    studies: tuple[StudyFacts, ...] = ()
    authorisations: tuple[AuthorisationFacts, ...] = ()
    conservative: tuple[ConservativeFacts, ...] = ()
    planned_collection: date | None = None

    @property
    def reference_day(self) -> date:
        """The day studies and holds must be valid on: planned collection, else today."""
        return self.planned_collection or self.today


@dataclass(frozen=True)
class Finding:
    """What one rule concluded, with a stable code and parameters for translation."""

    rule_id: str
    outcome: Outcome
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    region: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Action:
    """Something to do before treatment; ``due`` when the date matters."""

    rule_id: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    due: date | None = None


@dataclass(frozen=True)
class Report:
    """The eligibility verdict with every finding and required action."""

    protocol: str
    version: int
    verdict: Verdict
    findings: tuple[Finding, ...]
    actions: tuple[Action, ...]

    @property
    def flags(self) -> tuple[str, ...]:
        """Distinct flags raised by findings, e.g. ``lower_expected_success``."""
        return tuple(dict.fromkeys(f.flag for f in self.findings if f.flag))


Result = tuple[list[Finding], list[Action]]


def _region_rule(rule: RegionRule, facts: Facts, protocol: Protocol) -> Result:
    if not facts.regions:
        finding = Finding(rule.id, "not_eligible", "no_region", "No affected region is recorded.")
        action = Action(rule.id, "record_region", "Record the affected region and diagnosis.")
        return [finding], [action]
    findings = []
    for region in facts.regions:
        treated = region.region in rule.regions and region.diagnosis in rule.diagnoses
        params = {"region": region.label, "diagnosis": region.diagnosis}
        if treated:
            findings.append(
                Finding(
                    rule.id,
                    "eligible",
                    "region_treated",
                    f"{region.label} ({region.diagnosis}) is treated by this protocol.",
                    params,
                    region.label,
                )
            )
        else:
            findings.append(
                Finding(
                    rule.id,
                    "not_eligible",
                    "region_not_treated",
                    f"{region.label} ({region.diagnosis or 'no diagnosis'}) is not treated "
                    f"by {protocol.code}.",
                    params,
                    region.label,
                )
            )
    return findings, []


def _documented_reasons(rule: GradeRule, facts: Facts) -> list[str]:
    """Which of the accepted reasons for a borderline grade the record documents."""
    present = []
    if facts.anaesthesia_risk in HIGH_ANAESTHESIA_RISK:
        present.append("high_anaesthesia_risk")
    if facts.comorbidities:
        present.append("comorbidity")
    if rule.young_below_age is not None and facts.age < rule.young_below_age:
        present.append("young")
    if facts.avoids_surgery:
        present.append("avoids_surgery")
    return present


def _grade_rule(rule: GradeRule, facts: Facts, protocol: Protocol) -> Result:
    findings: list[Finding] = []
    actions: list[Action] = []
    for region in facts.regions:
        if region.diagnosis not in rule.diagnoses:
            continue
        params: dict[str, Any] = {"system": rule.system.value, "region": region.label}
        if region.grade is None or region.grade_system != rule.system.value:
            recorded = f" (only a {region.grade_system} grade is recorded)" if region.grade else ""
            findings.append(
                Finding(
                    rule.id,
                    rule.missing,
                    "grade_missing",
                    f"No {rule.system.value} grade for {region.label}{recorded}.",
                    {**params, "recorded": region.grade_system if region.grade else ""},
                    region.label,
                )
            )
            actions.append(
                Action(
                    rule.id,
                    "record_grade",
                    f"Record a {rule.system.value} grade for {region.label}.",
                    params,
                )
            )
            continue
        params["grade"] = region.grade
        band = next((b for b in rule.bands if region.grade in b.grades), None)
        if band is None:
            findings.append(
                Finding(
                    rule.id,
                    "not_eligible",
                    "grade_not_covered",
                    f"{rule.system.value} {region.grade} is not covered by {protocol.code}.",
                    params,
                    region.label,
                )
            )
            continue
        note = band.note.en if band.note else ""
        if band.note:
            params["note"] = band.note.model_dump(exclude_none=True)
        if band.requires_any:
            reasons = [r for r in _documented_reasons(rule, facts) if r in band.requires_any]
            params["accepted"] = list(band.requires_any)
            params["reasons"] = reasons
            if not reasons:
                findings.append(
                    Finding(
                        rule.id,
                        band.otherwise,
                        "grade_needs_reason",
                        f"{rule.system.value} {region.grade} at {region.label} needs a documented "
                        f"reason ({', '.join(band.requires_any)}); none is recorded.",
                        params,
                        region.label,
                    )
                )
                continue
            findings.append(
                Finding(
                    rule.id,
                    band.outcome,
                    "grade_with_reason",
                    f"{rule.system.value} {region.grade} at {region.label} accepted because: "
                    f"{', '.join(reasons)}. {note}".strip(),
                    params,
                    region.label,
                    band.flag or "",
                )
            )
            continue
        code = {"eligible": "grade_in_range", "conditional": "grade_conditional"}.get(
            band.outcome, "grade_excluded"
        )
        findings.append(
            Finding(
                rule.id,
                band.outcome,
                code,
                f"{rule.system.value} {region.grade} at {region.label}. {note}".strip(),
                params,
                region.label,
                band.flag or "",
            )
        )
    return findings, actions


def _exclusion_rule(rule: ExclusionRule, facts: Facts, protocol: Protocol) -> Result:
    hits = sorted(set(rule.comorbidities) & facts.comorbidities)
    if not hits:
        return [], []
    finding = Finding(
        rule.id,
        rule.outcome,
        "excluded_comorbidity",
        f"Excluding condition recorded: {', '.join(hits)}.",
        {"comorbidities": hits},
    )
    return [finding], []


def _age_rule(rule: AgeRule, facts: Facts, protocol: Protocol) -> Result:
    too_young = rule.min is not None and facts.age < rule.min
    too_old = rule.max is not None and facts.age > rule.max
    if not (too_young or too_old):
        return [], []
    params = {"age": facts.age, "min": rule.min, "max": rule.max}
    message = f"Age {facts.age} is outside {rule.min or 0}–{rule.max or '∞'}."
    return [Finding(rule.id, rule.outcome, "age_outside", message, params)], []


def _anaesthesia_rule(rule: AnaesthesiaRule, facts: Facts, protocol: Protocol) -> Result:
    if not facts.anaesthesia_risk:
        finding = Finding(
            rule.id, "conditional", "anaesthesia_risk_missing", "No ASA class is recorded."
        )
        return [finding], [Action(rule.id, "record_asa", "Record the ASA class.")]
    if facts.anaesthesia_risk in rule.refuse:
        params = {"risk": facts.anaesthesia_risk}
        message = f"Anaesthesia risk {facts.anaesthesia_risk} is too high for this procedure."
        return [Finding(rule.id, rule.outcome, "anaesthesia_risk_too_high", message, params)], []
    return [], []


def _studies_rule(rule: StudiesRule, facts: Facts, protocol: Protocol) -> Result:
    findings: list[Finding] = []
    actions: list[Action] = []
    day = facts.reference_day
    for requirement in protocol.preparation.studies:
        kind = requirement.kind.value
        on_file = [s for s in facts.studies if s.kind == kind]
        latest = max(on_file, key=lambda s: s.performed_on, default=None)
        params: dict[str, Any] = {"study": kind, "max_age_days": requirement.max_age_days}
        if latest is None:
            findings.append(
                Finding(rule.id, "conditional", "study_missing", f"No {kind} on file.", params)
            )
            actions.append(Action(rule.id, "obtain_study", f"Obtain {kind}.", params))
            continue
        valid_until = latest.performed_on + timedelta(days=requirement.max_age_days)
        params |= {"performed_on": latest.performed_on, "valid_until": valid_until}
        if valid_until < day:
            message = (
                f"{kind} of {latest.performed_on} is older than {requirement.max_age_days} days."
            )
            findings.append(Finding(rule.id, "conditional", "study_outdated", message, params))
            actions.append(Action(rule.id, "repeat_study", f"Repeat {kind}.", params))
        elif latest.result == "pending":
            message = f"{kind} of {latest.performed_on} has no result yet."
            findings.append(Finding(rule.id, "conditional", "study_pending", message, params))
            actions.append(Action(rule.id, "await_study", f"Record the {kind} result.", params))
        elif latest.result == "abnormal":
            message = f"{kind} of {latest.performed_on} is abnormal."
            findings.append(Finding(rule.id, rule.abnormal, "study_abnormal", message, params))
            actions.append(
                Action(rule.id, "review_study", f"Physician review of the {kind}.", params)
            )
        else:
            message = f"{kind} of {latest.performed_on} is normal and valid until {valid_until}."
            findings.append(Finding(rule.id, "eligible", "study_ok", message, params))
    return findings, actions


def _hold_rule(rule: HoldRule, facts: Facts, protocol: Protocol) -> Result:
    hold = protocol.preparation.medication_hold
    if hold is None:
        return [], []
    findings: list[Finding] = []
    actions: list[Action] = []
    days = hold.days_before_collection
    for medication in facts.medications:
        if medication.drug_class not in hold.classes:
            continue
        params: dict[str, Any] = {
            "medication": medication.name,
            "drug_class": medication.drug_class,
            "days": days,
        }
        if medication.held_since is None:
            due = (
                facts.planned_collection - timedelta(days=days)
                if facts.planned_collection
                else None
            )
            findings.append(
                Finding(
                    rule.id,
                    "conditional",
                    "hold_not_started",
                    f"{medication.name} ({medication.drug_class}) is not on hold; it must stop "
                    f"{days} days before collection.",
                    params,
                )
            )
            actions.append(
                Action(
                    rule.id,
                    "start_hold",
                    f"Confirm that {medication.name} is stopped {days} days before collection.",
                    params,
                    due,
                )
            )
            continue
        earliest = medication.held_since + timedelta(days=days)
        params |= {"held_since": medication.held_since, "earliest_collection": earliest}
        if facts.planned_collection and facts.planned_collection < earliest:
            findings.append(
                Finding(
                    rule.id,
                    "conditional",
                    "hold_too_short",
                    f"{medication.name} stopped on {medication.held_since}: collection no earlier "
                    f"than {earliest}.",
                    params,
                )
            )
            actions.append(
                Action(
                    rule.id,
                    "move_collection",
                    f"Move the collection to {earliest} or later.",
                    params,
                    earliest,
                )
            )
        else:
            findings.append(
                Finding(
                    rule.id,
                    "eligible",
                    "hold_ok",
                    f"{medication.name} on hold since {medication.held_since}; collection from "
                    f"{earliest}.",
                    params,
                )
            )
    return findings, actions


def _authorisation_rule(rule: AuthorisationRule, facts: Facts, protocol: Protocol) -> Result:
    need = protocol.preparation.authorisation
    if need is None:
        return [], []
    params: dict[str, Any] = {"agency": need.agency, "scope": need.scope}
    matching = [
        a
        for a in facts.authorisations
        if a.agency.casefold() == need.agency.casefold() and a.scope == need.scope
    ]
    day = facts.reference_day
    granted = [
        a
        for a in matching
        if a.granted_on is not None
        and a.granted_on <= facts.today
        and (a.expires_on is None or a.expires_on >= day)
    ]
    if granted:
        best = max(granted, key=lambda a: a.granted_on or date.min)
        params |= {"reference": best.reference, "granted_on": best.granted_on}
        message = f"{need.agency} authorisation {best.reference} granted on {best.granted_on}."
        return [Finding(rule.id, "eligible", "authorised", message, params)], []
    if any(a.granted_on is None for a in matching):
        code, message = "authorisation_pending", f"{need.agency} has not decided yet."
        action = Action(rule.id, "await_authorisation", f"Record {need.agency}'s decision.", params)
    elif matching:
        code, message = "authorisation_expired", f"The {need.agency} authorisation has expired."
        action = Action(rule.id, "request_authorisation", f"Renew with {need.agency}.", params)
    else:
        code, message = "authorisation_missing", f"No {need.agency} authorisation is on file."
        action = Action(
            rule.id,
            "request_authorisation",
            f"Request authorisation from {need.agency} ({need.scope}).",
            params,
        )
    return [Finding(rule.id, "conditional", code, message, params)], [action]


def _conservative_rule(rule: ConservativeRule, facts: Facts, protocol: Protocol) -> Result:
    """Conservative treatment first: a listed treatment tried for ``min_weeks`` that failed.

    One that helped means the biological treatment is not needed yet (``rule.helped``); one still
    under way or tried too briefly leaves the verdict conditional until its date.
    """
    needed = rule.min_weeks * 7
    base: dict[str, Any] = {
        "treatments": [t.value for t in rule.treatments],
        "min_weeks": rule.min_weeks,
    }
    tried = [c for c in facts.conservative if c.treatment in base["treatments"]]
    if not tried:
        message = (
            f"No conservative treatment is recorded; {protocol.code} asks for one of "
            f"{', '.join(base['treatments'])} for at least {rule.min_weeks} weeks first."
        )
        action = Action(
            rule.id,
            "record_conservative",
            "Record the conservative treatments tried, for how long and whether they failed.",
            base,
        )
        return [Finding(rule.id, rule.missing, "conservative_missing", message, base)], [action]

    def days(treatment: ConservativeFacts) -> int:
        return ((treatment.ended_on or facts.today) - treatment.started_on).days

    def params(treatment: ConservativeFacts) -> dict[str, Any]:
        return base | {
            "treatment": treatment.treatment,
            "started_on": treatment.started_on,
            "weeks": days(treatment) // 7,
        }

    helped = [c for c in tried if c.result == "helped"]
    if helped:
        latest = max(helped, key=lambda c: c.started_on)
        message = f"{latest.treatment} helped; conservative treatment has not failed."
        return [Finding(rule.id, rule.helped, "conservative_helped", message, params(latest))], []
    failed = [c for c in tried if c.result == "failed" and days(c) >= needed]
    if failed:
        longest = max(failed, key=days)
        message = f"{longest.treatment} failed after {days(longest) // 7} weeks."
        return [Finding(rule.id, "eligible", "conservative_failed", message, params(longest))], []
    ongoing = [c for c in tried if c.result == "ongoing"]
    if ongoing:
        latest = max(ongoing, key=lambda c: c.started_on)
        due = latest.started_on + timedelta(days=needed)
        message = f"{latest.treatment} since {latest.started_on} has no result yet."
        return [Finding(rule.id, "conditional", "conservative_ongoing", message, params(latest))], [
            Action(
                rule.id,
                "record_conservative_result",
                f"Record whether {latest.treatment} helped, from {due}.",
                params(latest) | {"due": due},
                due,
            )
        ]
    longest = max(tried, key=days)
    short = params(longest)
    message = (
        f"{longest.treatment} failed after {short['weeks']} weeks; the protocol asks for "
        f"{rule.min_weeks} weeks."
    )
    return [Finding(rule.id, "conditional", "conservative_too_short", message, short)], [
        Action(
            rule.id,
            "review_conservative",
            f"Physician review: {longest.treatment} was tried for less than {rule.min_weeks} "
            "weeks.",
            short,
        )
    ]


Evaluator = Callable[[Any, Facts, Protocol], Result]
EVALUATORS: dict[str, Evaluator] = {
    "region": _region_rule,
    "grade": _grade_rule,
    "exclusion": _exclusion_rule,
    "age": _age_rule,
    "anaesthesia": _anaesthesia_rule,
    "studies": _studies_rule,
    "medication_hold": _hold_rule,
    "authorisation": _authorisation_rule,
    "conservative_first": _conservative_rule,
}


def verdict_of(outcomes: Iterable[str], has_actions: bool) -> Verdict:
    """The worst outcome decides; open actions make an eligible patient conditional."""
    worst = max((SEVERITY[o] for o in outcomes), default=0)
    if worst == 2:
        return "not_eligible"
    if worst == 1 or has_actions:
        return "eligible_with_conditions"
    return "eligible"


def evaluate(protocol: Protocol, facts: Facts) -> Report:
    """Apply every eligibility rule of ``protocol`` to ``facts``."""
    findings: list[Finding] = []
    actions: list[Action] = []
    rule: Rule
    for rule in protocol.eligibility:
        found, todo = EVALUATORS[rule.kind](rule, facts, protocol)
        findings.extend(found)
        actions.extend(todo)
    return Report(
        protocol=protocol.code,
        version=protocol.version,
        verdict=verdict_of((f.outcome for f in findings), bool(actions)),
        findings=tuple(findings),
        actions=tuple(actions),
    )
