"""Recall and look-back: what a suspect product reached, what is left to hold, whom to inform.

A recall starts from a unit, a lot, a donation, a reagent or kit lot, a freezer excursion or an
adverse event.  Every unit it reaches falls in one group: given (an administration was already
made: its patient's physician follows it up), to hold (still usable: held at once), held (in
quarantine already), in process (not made yet; the lot's hold covers it) or closed (discarded,
expired or divided: nothing to do).  Whom to inform follows from the groups: each affected
patient with their contact, their physicians, the clinic's managers, and for every
administration already made the physician who follows the patient up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

PHYSICIAN = "physician"
MANAGER = "manager"


class Origin(StrEnum):
    """Where a recall starts."""

    UNIT = "unit"
    LOT = "lot"
    DONATION = "donation"
    REAGENT_LOT = "reagent_lot"
    EXCURSION = "excursion"
    ADVERSE_EVENT = "adverse_event"


class Finding(StrEnum):
    """What the recall found a unit to be."""

    GIVEN = "given"
    TO_HOLD = "to_hold"
    HELD = "held"
    IN_PROCESS = "in_process"
    CLOSED = "closed"


USABLE = frozenset({"released", "reserved", "issued", "thawed"})
IN_PROCESS = frozenset({"collected", "processing"})
CLOSED = frozenset({"discarded", "expired", "divided"})


def classify(state: str, given: bool) -> Finding:
    """The group of one unit, from its state and whether an administration was made."""
    if given or state == "administered":
        return Finding.GIVEN
    if state in USABLE:
        return Finding.TO_HOLD
    if state == "quarantined":
        return Finding.HELD
    if state in IN_PROCESS:
        return Finding.IN_PROCESS
    if state in CLOSED:
        return Finding.CLOSED
    raise ValueError(f"unknown unit state {state!r}")


@dataclass(frozen=True)
class Reached:
    """One unit a recall reaches, as plain values."""

    unit_id: int
    state: str
    course_id: int
    patient_id: int
    lot_id: int
    given: bool = False


@dataclass
class LookBack:
    """The units of a recall in their groups, and the courses and patients they touch."""

    groups: dict[Finding, list[int]] = field(default_factory=dict)
    findings: dict[int, Finding] = field(default_factory=dict)
    courses: list[int] = field(default_factory=list)
    patients: list[int] = field(default_factory=list)
    given_courses: list[int] = field(default_factory=list)
    open_lots: list[int] = field(default_factory=list)  # lots with a unit not yet final

    def of(self, finding: Finding) -> list[int]:
        """The unit ids in one group."""
        return self.groups.get(finding, [])

    @property
    def open_units(self) -> list[int]:
        """Units a hold must cover: to hold, already held, or still in process."""
        return sorted(
            self.of(Finding.TO_HOLD) + self.of(Finding.HELD) + self.of(Finding.IN_PROCESS)
        )


def look_back(units: Iterable[Reached]) -> LookBack:
    """Group the units a recall reaches, and list the courses, patients and lots concerned."""
    result = LookBack()
    courses: set[int] = set()
    patients: set[int] = set()
    given_courses: set[int] = set()
    open_lots: set[int] = set()
    for unit in sorted(units, key=lambda u: u.unit_id):
        finding = classify(unit.state, unit.given)
        result.findings[unit.unit_id] = finding
        result.groups.setdefault(finding, []).append(unit.unit_id)
        courses.add(unit.course_id)
        patients.add(unit.patient_id)
        if finding is Finding.GIVEN:
            given_courses.add(unit.course_id)
        elif finding is not Finding.CLOSED:
            open_lots.add(unit.lot_id)
    result.courses = sorted(courses)
    result.patients = sorted(patients)
    result.given_courses = sorted(given_courses)
    result.open_lots = sorted(open_lots)
    return result


# ----------------------------------------------------------------------------- whom to inform


class Reason(StrEnum):
    """Why someone is informed."""

    PATIENT = "patient"  # their product is affected
    PHYSICIAN = "physician"  # the physician of an affected patient's course
    FOLLOW_UP = "follow_up"  # an affected unit was already given: follow the patient up
    MANAGER = "manager"  # the clinic's managers


@dataclass(frozen=True)
class Staff:
    """A staff member as the rule sees them."""

    id: int
    role: str
    active: bool
    email: str = ""


@dataclass(frozen=True)
class Contact:
    """An affected patient's contact on file."""

    patient_id: int
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Recipient:
    """One person to inform, why, and how (channel "" when there is no way to reach them)."""

    reasons: tuple[Reason, ...]
    channel: str
    to: str
    staff_id: int | None = None
    patient_id: int | None = None
    # For staff: the patients concerned; for a physician, those to follow up.
    patients: tuple[int, ...] = ()
    follow_up: tuple[int, ...] = ()


def _physicians(people: Sequence[Staff]) -> list[Staff]:
    return [p for p in people if p.active and p.role == PHYSICIAN]


def whom_to_inform(
    look: LookBack,
    *,
    contacts: Sequence[Contact],
    course_patient: dict[int, int],
    course_physicians: dict[int, Sequence[Staff]],
    site_physicians: Sequence[Staff],
    managers: Sequence[Staff],
) -> list[Recipient]:
    """Every affected patient (e-mail, else SMS, else nobody can be written to), the physicians
    of their courses (every physician of the clinic when a course names none), each physician
    who must follow up an administration already made, and the clinic's managers."""
    found: list[Recipient] = []
    for contact in sorted(contacts, key=lambda c: c.patient_id):
        if contact.patient_id not in look.patients:
            continue
        channel, to = (
            ("email", contact.email.strip())
            if contact.email.strip()
            else ("sms", contact.phone.strip())
            if contact.phone.strip()
            else ("", "")
        )
        found.append(Recipient((Reason.PATIENT,), channel, to, patient_id=contact.patient_id))
    reasons: dict[int, set[Reason]] = {}
    people: dict[int, Staff] = {}
    patients: dict[int, set[int]] = {}
    follow: dict[int, set[int]] = {}
    for course_id in look.courses:
        doctors = _physicians(course_physicians.get(course_id, ())) or _physicians(site_physicians)
        patient = course_patient[course_id]
        for doctor in doctors:
            people[doctor.id] = doctor
            reasons.setdefault(doctor.id, set()).add(Reason.PHYSICIAN)
            patients.setdefault(doctor.id, set()).add(patient)
            if course_id in look.given_courses:
                reasons[doctor.id].add(Reason.FOLLOW_UP)
                follow.setdefault(doctor.id, set()).add(patient)
    for manager in managers:
        if manager.active and manager.role == MANAGER:
            people[manager.id] = manager
            reasons.setdefault(manager.id, set()).add(Reason.MANAGER)
            patients.setdefault(manager.id, set()).update(look.patients)
    order = list(Reason)
    for staff_id in sorted(people):
        person = people[staff_id]
        email = person.email.strip()
        found.append(
            Recipient(
                tuple(sorted(reasons[staff_id], key=order.index)),
                "email" if email else "",
                email,
                staff_id=staff_id,
                patients=tuple(sorted(patients.get(staff_id, ()))),
                follow_up=tuple(sorted(follow.get(staff_id, ()))),
            )
        )
    return found
