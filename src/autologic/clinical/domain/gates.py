"""The gate before collection: what must hold on the day a harvest or blood draw is taken.

``collection_gate`` is the one function that decides.  The collection page lists its checks (with
what is missing and where to fix it) and ``record_collection`` refuses while any is blocked, so a
page can never say "ready" when the action would refuse.  The checks, each on the collection day:

- **eligibility**: the course's signed decision is final (*eligible*), not conditional;
- **authorisation**: the authorisation the protocol requires is granted and not expired;
- **studies**: every pre-operative study the protocol lists is resulted, normal (or reviewed by
  the physician who signed the final decision) and not older than its limit;
- **medication hold**: every flagged drug the patient takes has been stopped for the protocol's
  days, and a clinician confirmed the hold with the patient on the day itself;
- **consent**: a signed treatment consent covers this procedure (the protocol) on that day;
- **deposit** (where the clinic asks for one, a billing choice): the signed estimate's deposit is
  paid in full.

Where the protocol's preparation lists a gate under ``exceptions``, a physician's signed exception
turns its blocked checks into *excepted* ones; the clinic's deposit can always be excepted by a
physician (it is the clinic's own rule, not a clinical one); no other gate can be excepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from autologic.clinical.domain.eligibility import (
    AuthorisationFacts,
    MedicationFacts,
    StudyFacts,
)
from autologic.protocols.domain.schema import MedicationHold, Protocol

Status = Literal["ok", "blocked", "excepted"]
GATES = ("eligibility", "authorisation", "studies", "medication_hold", "consent", "deposit")
# Gates of the clinic's own rules, which a physician may except whatever the protocol lists.
CLINIC_GATES = frozenset({"deposit"})


@dataclass(frozen=True)
class DepositFacts:
    """The clinic's deposit before collection: whether the estimate is signed and its deposit
    paid in full (None in the gate's facts when the clinic asks for no deposit)."""

    estimate_signed: bool
    has_deposit: bool
    paid: bool


@dataclass(frozen=True)
class ConsentFacts:
    """A signed consent: its kind, the procedure (protocol code) it covers and its date."""

    kind: str
    procedure: str
    given_on: date


@dataclass(frozen=True)
class HoldConfirmationFacts:
    """A clinician's confirmation of the medication hold, and the day it was made."""

    confirmed_on: date
    classes: frozenset[str]


@dataclass(frozen=True)
class GateFacts:
    """What the gate looks at, as plain values; ``day`` is the collection's day at the clinic."""

    day: date
    today: date
    decision_verdict: str
    decided_on: date
    medications: tuple[MedicationFacts, ...] = ()
    studies: tuple[StudyFacts, ...] = ()
    authorisations: tuple[AuthorisationFacts, ...] = ()
    hold_confirmations: tuple[HoldConfirmationFacts, ...] = ()
    consents: tuple[ConsentFacts, ...] = ()
    exceptions: frozenset[str] = frozenset()
    deposit: DepositFacts | None = None


@dataclass(frozen=True)
class Check:
    """One condition of the gate: ok, blocked, or blocked but excepted by a physician."""

    gate: str
    status: Status
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    exceptable: bool = False


@dataclass(frozen=True)
class Gate:
    """Every check for one collection day; ``ready`` only when none is blocked."""

    day: date
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        """True when nothing is blocked (excepted checks do not block)."""
        return not self.blocked

    @property
    def blocked(self) -> tuple[Check, ...]:
        """The checks that stop the collection."""
        return tuple(c for c in self.checks if c.status == "blocked")

    @property
    def exceptable(self) -> tuple[str, ...]:
        """Gates with a blocked check that a physician may except."""
        return tuple(dict.fromkeys(c.gate for c in self.blocked if c.exceptable))


@dataclass(frozen=True)
class HoldEnd:
    """When the medication hold allows collection, and which drugs have no hold yet."""

    earliest: date | None
    not_started: tuple[MedicationFacts, ...]


def hold_start(medication: MedicationFacts) -> date | None:
    """The day the drug was last taken: its hold, else the day it was stopped for good."""
    return medication.held_since or medication.stopped_on


def held(hold: MedicationHold, medications: tuple[MedicationFacts, ...]) -> list[MedicationFacts]:
    """The patient's drugs of the classes the hold names."""
    classes = {c.value for c in hold.classes}
    return [m for m in medications if m.drug_class in classes]


def hold_end(hold: MedicationHold | None, medications: tuple[MedicationFacts, ...]) -> HoldEnd:
    """The first day collection may take place after every held drug's stop (the scheduler's
    earliest collection), and the drugs that have not been stopped at all."""
    if hold is None:
        return HoldEnd(None, ())
    days = timedelta(days=hold.days_before_collection)
    ends = [start + days for m in held(hold, medications) if (start := hold_start(m)) is not None]
    missing = tuple(m for m in held(hold, medications) if hold_start(m) is None)
    return HoldEnd(max(ends, default=None), missing)


def _eligibility(protocol: Protocol, facts: GateFacts) -> list[Check]:
    if facts.decision_verdict == "eligible":
        return [Check("eligibility", "ok", "decision_final", "The eligibility decision is final.")]
    return [
        Check(
            "eligibility",
            "blocked",
            "decision_not_final",
            "The eligibility decision is conditional; a physician must sign a final decision.",
            {"verdict": facts.decision_verdict},
        )
    ]


def _authorisation(protocol: Protocol, facts: GateFacts) -> list[Check]:
    need = protocol.preparation.authorisation
    if need is None:
        return []
    params: dict[str, Any] = {"agency": need.agency, "scope": need.scope}
    matching = [
        a
        for a in facts.authorisations
        if a.agency.casefold() == need.agency.casefold() and a.scope == need.scope
    ]
    granted = [
        a
        for a in matching
        if a.granted_on is not None
        and a.granted_on <= min(facts.day, facts.today)
        and (a.expires_on is None or a.expires_on >= facts.day)
    ]
    if granted:
        best = max(granted, key=lambda a: a.granted_on or date.min)
        params |= {"reference": best.reference, "granted_on": best.granted_on}
        message = f"{need.agency} authorisation {best.reference} granted on {best.granted_on}."
        return [Check("authorisation", "ok", "authorised", message, params)]
    if any(a.granted_on is None for a in matching):
        code, message = "authorisation_pending", f"{need.agency} has not decided yet."
    elif matching:
        code, message = "authorisation_expired", f"The {need.agency} authorisation has expired."
    else:
        code, message = "authorisation_missing", f"No {need.agency} authorisation is on file."
    return [Check("authorisation", "blocked", code, message, params)]


def _studies(protocol: Protocol, facts: GateFacts) -> list[Check]:
    checks = []
    for requirement in protocol.preparation.studies:
        kind = requirement.kind.value
        on_file = [s for s in facts.studies if s.kind == kind and s.performed_on <= facts.day]
        latest = max(on_file, key=lambda s: s.performed_on, default=None)
        params: dict[str, Any] = {"study": kind, "max_age_days": requirement.max_age_days}
        if latest is None:
            checks.append(Check("studies", "blocked", "study_missing", f"No {kind}.", params))
            continue
        valid_until = latest.performed_on + timedelta(days=requirement.max_age_days)
        params |= {"performed_on": latest.performed_on, "valid_until": valid_until}
        if valid_until < facts.day:
            message = f"{kind} of {latest.performed_on} is out of date on {facts.day}."
            checks.append(Check("studies", "blocked", "study_outdated", message, params))
        elif latest.result == "pending":
            message = f"{kind} of {latest.performed_on} has no result yet."
            checks.append(Check("studies", "blocked", "study_pending", message, params))
        elif latest.result == "abnormal" and facts.decided_on < latest.performed_on:
            message = f"{kind} of {latest.performed_on} is abnormal and not reviewed."
            checks.append(Check("studies", "blocked", "study_abnormal", message, params))
        elif latest.result == "abnormal":
            message = f"{kind} of {latest.performed_on} is abnormal; the decision reviewed it."
            checks.append(Check("studies", "ok", "study_reviewed", message, params))
        else:
            message = f"{kind} of {latest.performed_on} is normal and valid until {valid_until}."
            checks.append(Check("studies", "ok", "study_ok", message, params))
    return checks


def _medication_hold(protocol: Protocol, facts: GateFacts) -> list[Check]:
    hold = protocol.preparation.medication_hold
    if hold is None:
        return []
    days = hold.days_before_collection
    checks = []
    for medication in held(hold, facts.medications):
        params: dict[str, Any] = {
            "medication": medication.name,
            "drug_class": medication.drug_class,
            "days": days,
        }
        start = hold_start(medication)
        if start is None:
            message = f"{medication.name} is not on hold; it must stop {days} days before."
            checks.append(Check("medication_hold", "blocked", "hold_not_started", message, params))
            continue
        earliest = start + timedelta(days=days)
        params |= {"held_since": start, "earliest_collection": earliest}
        if facts.day < earliest:
            message = (
                f"{medication.name} stopped on {start}: collection no earlier than {earliest}."
            )
            checks.append(Check("medication_hold", "blocked", "hold_too_short", message, params))
        else:
            message = f"{medication.name} on hold since {start}; collection from {earliest}."
            checks.append(Check("medication_hold", "ok", "hold_ok", message, params))
    classes = frozenset(c.value for c in hold.classes)
    params = {"classes": sorted(classes), "day": facts.day}
    confirmed = any(
        c.confirmed_on == facts.day and classes <= c.classes for c in facts.hold_confirmations
    )
    if confirmed:
        message = f"The hold was confirmed with the patient on {facts.day}."
        checks.append(Check("medication_hold", "ok", "hold_confirmed", message, params))
    else:
        message = f"Nobody confirmed the medication hold with the patient on {facts.day}."
        checks.append(Check("medication_hold", "blocked", "hold_unconfirmed", message, params))
    return checks


def _consent(protocol: Protocol, facts: GateFacts) -> list[Check]:
    covering = [c for c in facts.consents if c.kind == "treatment" and c.procedure == protocol.code]
    params: dict[str, Any] = {"procedure": protocol.code}
    signed = [c for c in covering if c.given_on <= facts.day]
    if signed:
        first = min(c.given_on for c in signed)
        message = f"Treatment consent for {protocol.code} signed on {first}."
        return [Check("consent", "ok", "consent_signed", message, params | {"given_on": first})]
    if covering:
        first = min(c.given_on for c in covering)
        message = f"The consent for {protocol.code} was signed on {first}, after {facts.day}."
        params |= {"given_on": first, "day": facts.day}
        return [Check("consent", "blocked", "consent_signed_later", message, params)]
    message = f"No signed treatment consent covers {protocol.code}."
    return [Check("consent", "blocked", "consent_missing", message, params)]


def _deposit(protocol: Protocol, facts: GateFacts) -> list[Check]:
    deposit = facts.deposit
    if deposit is None:
        return []
    if not deposit.estimate_signed:
        message = "The clinic asks for a deposit: the estimate is not signed yet."
        return [Check("deposit", "blocked", "deposit_estimate_unsigned", message)]
    if not deposit.has_deposit:
        return [Check("deposit", "ok", "deposit_none", "The signed plan asks for no deposit.")]
    if deposit.paid:
        return [Check("deposit", "ok", "deposit_paid", "The deposit is paid.")]
    return [Check("deposit", "blocked", "deposit_unpaid", "The deposit is not paid in full.")]


CHECKS = (_eligibility, _authorisation, _studies, _medication_hold, _consent, _deposit)


def collection_gate(protocol: Protocol, facts: GateFacts) -> Gate:
    """Every check of the gate before collection on ``facts.day``, with physicians' exceptions."""
    allowed = set(protocol.preparation.exceptions)
    checks: list[Check] = []
    for evaluate in CHECKS:
        for check in evaluate(protocol, facts):
            exceptable = check.gate in allowed or check.gate in CLINIC_GATES
            status: Status = check.status
            if status == "blocked" and exceptable and check.gate in facts.exceptions:
                status = "excepted"
            checks.append(
                Check(
                    check.gate,
                    status,
                    check.code,
                    check.message,
                    check.params,
                    exceptable,
                )
            )
    return Gate(facts.day, tuple(checks))
