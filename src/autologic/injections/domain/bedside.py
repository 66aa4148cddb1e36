"""The bedside check: the patient's wristband, the unit's label and the planned region and side.

Outcomes, from worst to best:

- ``stop``: the wristband or the unit belongs to another patient, or the wristband is unknown.
  A hard stop: nothing may be given, and the refusal is audited.  The wristband is compared by
  its own code, never by the MRN (an MRN can be renumbered and given to someone else).
- ``fail``: the scan cannot be read, the unit is unknown, not ready (not issued or thawed,
  expired, past its thaw window) or reserved for another session.  Fix it and scan again.
- ``override``: the right patient and unit, but the region, side or (for the spine) level differs
  from the plan.  Only a signed override with a reason lets the injection go ahead, with a
  physician as one of the two signers, and only to a region assessed for the course.  The route
  is the protocol's: another route is a ``fail``, never an override.
- ``pass``: everything matches the plan.

Apart from the outcome, ``timing`` says when the session is given on another day than planned,
or outside the protocol's window (then a reason is needed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from autologic.common.domain.errors import ValidationFailed
from autologic.common.domain.identifiers import Identifier, IdentifierError, parse
from autologic.lab.domain.states import USABLE, Move, Refused, State, UnitFacts, move
from autologic.patients.domain import read_wristband

STOP, FAIL, OVERRIDE, PASS = "stop", "fail", "override", "pass"


SPINE = frozenset({"spine_cervical", "spine_thoracic", "spine_lumbar"})
_LEVEL = re.compile(r"([CTLS])(\d{1,2})(?:/([CTLS])?(\d{1,2}))?")


def spinal_level(text: str) -> str:
    """A spinal level in one spelling: "l4-5", "L4 / L5" and "L4/L5" are all "L4/L5"; text that
    is not a level is compared as typed (upper case, without spaces)."""
    compact = re.sub(r"\s+", "", text.upper()).replace("-", "/").replace("–", "/")
    match = _LEVEL.fullmatch(compact)
    if match is None:
        return compact
    first, number, second, other = match.groups()
    if other is None:
        return f"{first}{number}"
    return f"{first}{number}/{second or first}{other}"


@dataclass(frozen=True)
class Site:
    """A planned or assessed injection site: a region with its side and, on the spine, its
    level (from the region's detail)."""

    region_id: int
    region: str
    side: str
    level: str = ""

    @property
    def spine(self) -> bool:
        return self.region in SPINE

    def describe(self) -> str:
        return " ".join(p for p in (self.side, self.region, self.level) if p)


@dataclass(frozen=True)
class Session:
    """The session being given: whose it is, what it plans and what it has given already."""

    appointment_id: int
    patient_id: int
    mrn: str
    planned: tuple[tuple[str, str], ...] = ()  # (region, side) of each of the course's sites
    given: tuple[tuple[str, str], ...] = ()  # (region, side) of each injection given so far
    given_region_ids: frozenset[int] = frozenset()  # planned sites those injections served
    route: str = ""  # the protocol's route; any other is refused
    sites: tuple[Site, ...] = ()  # the course's regions, with their levels
    assessed: tuple[Site, ...] = ()  # every region assessed for the course: override targets

    def level_of(self, region_id: int) -> str:
        """The planned level of a course region (empty when none is recorded)."""
        return next((s.level for s in self.sites if s.region_id == region_id), "")

    def already_given(self, region: str, side: str) -> bool:
        """True when every planned site at this region and side has had its injection."""
        site = (region, side)
        return self.given.count(site) >= max(1, self.planned.count(site)) and site in self.given


@dataclass(frozen=True)
class Band:
    """What the database knows about a scanned wristband code."""

    code: str
    patient_id: int
    mrn: str  # the wearer's current MRN
    voided: bool


@dataclass(frozen=True)
class ScannedUnit:
    """What the database knows about a scanned identifier."""

    identifier: str
    patient_id: int
    mrn: str
    state: str
    frozen: bool
    expires_at: datetime | None
    thawed_at: datetime | None
    thaw_window_min: int | None
    appointment_id: int | None  # the session it is reserved for
    planned: Site | None  # where that reservation says it goes


@dataclass(frozen=True)
class Finding:
    """One thing that did not match, with the form field it concerns."""

    code: str
    field: str
    message: str


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class Timing:
    """The day a session is given against its plan and the protocol's window (clinic dates).

    The window counts from the session's anchor as it happened: the collection for the first
    injection (``after`` 0), the previous injection for the others (``after`` its number)."""

    today: date
    planned: date | None = None
    earliest: date | None = None
    latest: date | None = None
    min_days: int | None = None
    max_days: int | None = None
    after: int = 0

    @property
    def window(self) -> str:
        """The window in words, e.g. "3–7 days after injection 1"."""
        if self.min_days is None or self.max_days is None:
            return ""
        anchor = "the collection" if self.after == 0 else f"injection {self.after}"
        return f"{self.min_days}–{self.max_days} days after {anchor}"

    @property
    def before_window(self) -> int:
        """Days before the window opens (0 inside it or when unknown)."""
        return max(0, (self.earliest - self.today).days) if self.earliest else 0

    @property
    def after_window(self) -> int:
        """Days after the window closed (0 inside it or when unknown)."""
        return max(0, (self.today - self.latest).days) if self.latest else 0

    @property
    def early(self) -> int:
        """Days before the planned day (0 on it, late or unplanned)."""
        return max(0, (self.planned - self.today).days) if self.planned else 0

    @property
    def late(self) -> int:
        """Days after the planned day (0 on it, early or unplanned)."""
        return max(0, (self.today - self.planned).days) if self.planned else 0

    def findings(self) -> tuple[Finding, ...]:
        """Nothing on the planned day inside the window; else what differs."""
        plan = f"Planned for {self.planned.isoformat()}. " if self.planned else ""
        span = self.window
        if self.earliest and self.latest:
            span = f"{span} ({self.earliest.isoformat()} to {self.latest.isoformat()})"
        after = "Giving it today needs a reason; the rest of the course is re-planned from today."
        if self.before_window:
            return (
                Finding(
                    "too_early",
                    "timing_reason",
                    f"{plan}Too early: the protocol gives this injection {span}; today is "
                    f"{_days(self.before_window)} before the window opens. {after}",
                ),
            )
        if self.after_window:
            return (
                Finding(
                    "too_late",
                    "timing_reason",
                    f"{plan}Too late: the protocol gives this injection {span}; today is "
                    f"{_days(self.after_window)} after the window closed. {after}",
                ),
            )
        if self.early or self.late:
            which = f"{_days(self.early)} early" if self.early else f"{_days(self.late)} late"
            inside = f", inside the protocol's window: {span}" if span else ""
            return (
                Finding(
                    "off_plan",
                    "timing",
                    f"Planned for {self.planned.isoformat() if self.planned else ''}: today is "
                    f"{which}{inside}. The rest of the course is re-planned from today.",
                ),
            )
        return ()


@dataclass(frozen=True)
class Verdict:
    """The bedside check's answer."""

    outcome: str
    findings: tuple[Finding, ...]
    unit: ScannedUnit | None = None
    timing: tuple[Finding, ...] = ()  # given on another day than planned, or off the window
    when: Timing | None = None  # the day against the plan and the window, for the page

    @property
    def ok(self) -> bool:
        return self.outcome == PASS

    @property
    def may_proceed(self) -> bool:
        """True when the product may be given: a match, or a mismatch of site to override."""
        return self.outcome in (PASS, OVERRIDE)

    @property
    def message(self) -> str:
        return " ".join(f.message for f in self.findings)

    @property
    def needs_timing_reason(self) -> bool:
        """True when the session is given outside the protocol's window."""
        return any(f.field == "timing_reason" for f in self.timing)


def read_band(text: str) -> str | Finding:
    """A wristband scan's code (scanners may add spaces or a newline), or why it is unreadable."""
    try:
        return read_wristband(text)
    except ValidationFailed as error:
        return Finding(error.code, "wristband", error.message)


def read_unit(text: str) -> Identifier | Finding:
    """Parse a unit scan, or say why it cannot be read."""
    try:
        return parse(text)
    except IdentifierError as error:
        return Finding(f"scan_{error.code}", "unit", error.message)


def check(
    session: Session,
    *,
    wristband: str,
    band: Band | None,
    identifier: Identifier | Finding,
    unit: ScannedUnit | None,
    region: str,
    side: str,
    now: datetime,
    level: str = "",
    route: str = "",
    timing: Timing | None = None,
) -> Verdict:
    """Compare the scans and the confirmed site with the plan; say exactly what differs.

    ``band`` is what the database holds for the scanned wristband code (None when unknown);
    ``route`` is the route given (empty: the protocol's), ``level`` the spinal level confirmed.
    """
    wrong = _wristband(session, wristband, band)
    if wrong is not None:
        return wrong
    if isinstance(identifier, Finding):
        return Verdict(FAIL, (identifier,))
    if identifier.kind != "din":
        return Verdict(
            FAIL,
            (
                Finding(
                    "not_a_unit",
                    "unit",
                    f"{identifier.eye_readable} is a chain-of-identity label; scan the "
                    "unit's own barcode.",
                ),
            ),
        )
    if unit is None:
        return Verdict(
            FAIL,
            (
                Finding(
                    "unknown_unit",
                    "unit",
                    f"No unit {identifier.eye_readable} exists at this clinic.",
                ),
            ),
        )
    if unit.patient_id != session.patient_id:
        return Verdict(
            STOP,
            (
                Finding(
                    "wrong_patient",
                    "unit",
                    f"Wrong patient: unit {identifier.eye_readable} was made from the patient "
                    f"with MRN {unit.mrn}, but this patient is MRN {session.mrn}. Stop: do not "
                    "inject.",
                ),
            ),
            unit,
        )
    ready = _ready(unit, session, now)
    if ready is not None:
        return Verdict(FAIL, (ready,), unit)
    if unit.appointment_id != session.appointment_id or unit.planned is None:
        return Verdict(
            FAIL,
            (
                Finding(
                    "other_session",
                    "unit",
                    f"Unit {identifier.eye_readable} is not reserved for this session.",
                ),
            ),
            unit,
        )
    planned = Site(
        unit.planned.region_id,
        unit.planned.region,
        unit.planned.side,
        session.level_of(unit.planned.region_id),
    )
    missing = _unconfirmed(planned, region, side, level)
    if missing:
        return Verdict(FAIL, tuple(missing), unit)
    wrong_route = _route(session, route)
    if wrong_route is not None:
        return Verdict(FAIL, (wrong_route,), unit)
    twice = _given_twice(session, unit.planned, region, side)
    if twice is not None:
        return Verdict(FAIL, (twice,), unit)
    days = timing.findings() if timing is not None else ()
    findings = _site(planned, region, side, level)
    if findings:
        target = _assessed(session, region, side, level)
        if target is not None:
            return Verdict(FAIL, (target,), unit, days, timing)
        return Verdict(OVERRIDE, tuple(findings), unit, days, timing)
    return Verdict(PASS, (), unit, days, timing)


def _wristband(session: Session, text: str, band: Band | None) -> Verdict | None:
    if not text.strip():
        return Verdict(FAIL, (Finding("no_wristband", "wristband", "Scan the wristband."),))
    code = read_band(text)
    if isinstance(code, Finding):
        return Verdict(FAIL, (code,))
    if band is None or band.code != code:
        message = (
            f"Unknown wristband {code}: no patient of this clinic wears it. Stop: confirm the "
            "patient's identity and print their wristband."
        )
        return Verdict(STOP, (Finding("unknown_wristband", "wristband", message),))
    if band.patient_id != session.patient_id:
        message = (
            f"Wrong patient: the wristband belongs to MRN {band.mrn}, but this session is for "
            f"MRN {session.mrn}. Stop: do not inject."
        )
        return Verdict(STOP, (Finding("wrong_patient", "wristband", message),))
    if band.voided:
        message = (
            "This wristband was voided when the patient was renumbered; print the current "
            "wristband and scan it."
        )
        return Verdict(FAIL, (Finding("void_wristband", "wristband", message),))
    return None


def _ready(unit: ScannedUnit, session: Session, now: datetime) -> Finding | None:
    if unit.state in (State.RELEASED, State.RESERVED):
        verb = "issued and thawed" if unit.frozen else "issued"
        return Finding("not_issued", "unit", f"The unit is {unit.state}; it must be {verb} first.")
    if unit.expires_at is not None and now >= unit.expires_at and unit.state in USABLE:
        # Expiry holds after thawing too: the thaw window never extends a unit's life.
        return Finding(
            "expired",
            "unit",
            f"The unit expired at {unit.expires_at:%Y-%m-%d %H:%M} UTC; it cannot be given, "
            "even inside its thaw window. Discard it.",
        )
    facts = UnitFacts(
        state=State(unit.state),
        source_patient=unit.patient_id,
        frozen=unit.frozen,
        expires_at=unit.expires_at,
        thawed_at=unit.thawed_at,
        thaw_window_min=unit.thaw_window_min,
    )
    try:
        move(facts, Move.ADMINISTER, now=now, patient=session.patient_id)
    except Refused as refused:
        return Finding(
            refused.code, "unit", refused.message[:1].upper() + refused.message[1:] + "."
        )
    return None


def _unconfirmed(planned: Site, region: str, side: str, level: str) -> list[Finding]:
    found: list[Finding] = []
    if not region:
        found.append(Finding("no_region", "region", "Confirm the region you are injecting."))
    if planned.side and not side:
        found.append(Finding("no_side", "side", "Confirm the side you are injecting."))
    if (planned.spine and planned.level or region in SPINE) and not level.strip():
        found.append(
            Finding("no_level", "level", "Confirm the spinal level you are injecting (e.g. L4/L5).")
        )
    return found


def _route(session: Session, route: str) -> Finding | None:
    """The route is the protocol's; no override changes it."""
    if not route or not session.route or route == session.route:
        return None
    return Finding(
        "wrong_route",
        "route",
        f"The protocol gives this product by the {session.route.replace('_', ' ')} route; "
        f"{route.replace('_', ' ')} is not allowed, and no override can change the route.",
    )


def _assessed(session: Session, region: str, side: str, level: str) -> Finding | None:
    """An override goes only to a region assessed for the course (and, on the spine, to an
    assessed level)."""
    for site in session.assessed:
        if site.region != region or site.side != side:
            continue
        if region in SPINE and site.level and spinal_level(level) != site.level:
            continue
        return None
    where = " ".join(p for p in (side, region, spinal_level(level) if level else "") if p)
    return Finding(
        "not_assessed",
        "region",
        f"The {where} was not assessed for this course; an override may only go to an assessed "
        "region.",
    )


def _given_twice(session: Session, planned: Site, region: str, side: str) -> Finding | None:
    """One injection per site per session: a re-plan or an override never gives a site twice."""
    if planned.region_id in session.given_region_ids:
        where = " ".join(p for p in (planned.side, planned.region) if p)
        return Finding(
            "site_already_given",
            "unit",
            f"The {where} was already injected in this session; this unit cannot be given.",
        )
    if session.already_given(region, side):
        where = " ".join(p for p in (side, region) if p)
        return Finding(
            "site_already_given",
            "region",
            f"The {where} was already injected in this session; one injection per site.",
        )
    return None


def _site(planned: Site, region: str, side: str, level: str) -> list[Finding]:
    found: list[Finding] = []
    if region != planned.region:
        found.append(
            Finding(
                "wrong_region",
                "region",
                f"The plan says {planned.region}; you confirmed {region}.",
            )
        )
    if (planned.side or side) and side != planned.side:
        found.append(
            Finding(
                "wrong_side",
                "side",
                f"The plan says the {planned.side or 'no'} side; you confirmed "
                f"{side or 'no side'}.",
            )
        )
    if region == planned.region and planned.spine and planned.level:
        confirmed = spinal_level(level)
        if confirmed != planned.level:
            found.append(
                Finding(
                    "wrong_level",
                    "level",
                    f"The plan says level {planned.level}; you confirmed {confirmed}.",
                )
            )
    return found
