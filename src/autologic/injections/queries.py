"""Read side of the bedside: a day's sessions, one session, a scan's facts, course coverage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F

from autologic.accounts.models import Site
from autologic.care.domain.pathway import session_window
from autologic.care.models import Appointment, Course
from autologic.clinical.models import AffectedRegion
from autologic.common.domain.identifiers import Identifier
from autologic.injections.domain import bedside, cold_chain
from autologic.injections.domain.coverage import Allocation, Need, Stock, allocate
from autologic.injections.models import Administration, Reservation
from autologic.lab.domain.states import State
from autologic.lab.domain.storage import position_name
from autologic.lab.models import Collection, QCResult, Release, Unit, UnitEvent
from autologic.lab.queries import held_unit_ids
from autologic.protocols.models import ProtocolVersion

OPEN_SESSION = ("unscheduled", "planned", "due")
OPEN_COURSE = ("scheduled", "attention", "waiting")


@lru_cache(maxsize=256)
def thaw_window(protocol_version_id: int) -> int | None:
    """The protocol's thaw-to-injection window in minutes (protocol versions never change)."""
    row = ProtocolVersion.objects.get(pk=protocol_version_id)
    return row.protocol.product.thaw_to_injection_max_min


@lru_cache(maxsize=256)
def cold_chain_limits(protocol_version_id: int) -> tuple[int | None, int | None]:
    """The protocol's minutes from issue to thaw, and out of the freezer before a unit can no
    longer go back to stock (None for a product that is not frozen)."""
    product = ProtocolVersion.objects.get(pk=protocol_version_id).protocol.product
    return product.issue_to_thaw_limit_min, product.out_of_freezer_limit_min


def issued_times(unit_ids: list[int]) -> dict[int, datetime]:
    """When each unit was last issued (left its freezer for the bedside)."""
    issued: dict[int, datetime] = {}
    for unit_id, at in UnitEvent.objects.filter(unit_id__in=unit_ids, move="issue").values_list(
        "unit_id", "at"
    ):
        if unit_id not in issued or at > issued[unit_id]:
            issued[unit_id] = at
    return issued


def out_of_freezer(unit: Unit, protocol_version_id: int) -> cold_chain.OutOfFreezer | None:
    """The cold-chain view of an issued unit (None when it is not issued)."""
    if unit.status != State.ISSUED:
        return None
    issued_at = issued_times([unit.pk]).get(unit.pk)
    if issued_at is None:
        return None
    thaw, back = cold_chain_limits(protocol_version_id)
    return cold_chain.OutOfFreezer(unit.identifier, unit.frozen, issued_at, thaw, back)


def _site(region: AffectedRegion) -> bedside.Site:
    level = bedside.spinal_level(region.detail) if region.region in bedside.SPINE else ""
    return bedside.Site(region.pk, region.region, region.side, level if region.detail else "")


def session_of(appointment: Appointment) -> bedside.Session:
    """The bedside check's view of a session, with the sites it plans and has given."""
    course = appointment.course
    given = list(
        Administration.objects.filter(appointment=appointment).values_list(
            "region", "side", "planned_region_id"
        )
    )
    sites = tuple(_site(r) for r in course.regions.order_by("pk"))
    assessed = tuple(
        _site(r) for r in AffectedRegion.objects.filter(assessment__decisions=course.decision_id)
    )
    return bedside.Session(
        appointment_id=appointment.pk,
        patient_id=course.patient_id,
        mrn=course.patient.mrn,
        planned=tuple((s.region, s.side) for s in sites),
        given=tuple((region, side) for region, side, _planned in given),
        given_region_ids=frozenset(planned for _region, _side, planned in given),
        route=route_of(course.protocol_id),
        sites=sites,
        assessed=(
            *sites,
            *(a for a in assessed if a.region_id not in {s.region_id for s in sites}),
        ),
    )


@lru_cache(maxsize=256)
def route_of(protocol_version_id: int) -> str:
    """The protocol's injection route (protocol versions never change)."""
    return ProtocolVersion.objects.get(pk=protocol_version_id).protocol.injections.route


@lru_cache(maxsize=256)
def anaesthesia_of(protocol_version_id: int) -> str:
    """The protocol's anaesthesia for the injection: none, local or local with sedation."""
    return ProtocolVersion.objects.get(pk=protocol_version_id).protocol.injections.anaesthesia


def timing_of(appointment: Appointment, now: datetime) -> bedside.Timing:
    """The session's planned day and the protocol's window for it, counted from its anchor as
    it happened (the collection, or the previous injection), in the clinic's dates."""
    course = appointment.course
    zone = ZoneInfo(course.site.time_zone)
    today = now.astimezone(zone).date()
    planned = appointment.starts_at.astimezone(zone).date() if appointment.starts_at else None
    keys = list(
        Appointment.objects.filter(course=course, kind="injection")
        .order_by("sequence")
        .values_list("pk", flat=True)
    )
    number = keys.index(appointment.pk) + 1
    window = session_window(course.plan, number)
    anchor = _anchor_time(course, window.anchor, keys[number - 2] if number > 1 else None)
    if anchor is None:
        return bedside.Timing(today, planned)
    earliest, latest = window.dates(anchor.astimezone(zone).date())
    return bedside.Timing(
        today, planned, earliest, latest, window.min_days, window.max_days, number - 1
    )


def _anchor_time(course: Course, anchor: str, previous_id: int | None) -> datetime | None:
    """When the anchor happened: the collection, or the previous session's first injection."""
    if anchor == "collection":
        collected = (
            Collection.objects.filter(course=course)
            .order_by("collected_at")
            .values_list("collected_at", flat=True)
            .first()
        )
        if collected is not None:
            return collected
        done = Appointment.objects.filter(course=course, key="collection", status="done").first()
        return done.starts_at if done else None
    return (
        Administration.objects.filter(appointment_id=previous_id)
        .order_by("given_at")
        .values_list("given_at", flat=True)
        .first()
    )


# The bedside hot path skips the ORM (docs/architecture.md): one indexed lookup by identifier.
SCANNED_SQL = (
    "SELECT u.patient_id, p.mrn, u.status, u.frozen, u.expires_at, u.thawed_at, "
    "c.protocol_id, r.appointment_id, r.region_id, ar.region, ar.side "
    "FROM lab_unit u JOIN patients_patient p ON p.id = u.patient_id "
    "JOIN lab_collection c ON c.id = u.collection_id "
    "LEFT JOIN injections_reservation r ON r.unit_id = u.id AND r.ended_at IS NULL "
    "LEFT JOIN clinical_affectedregion ar ON ar.id = r.region_id "
    "WHERE u.site_id = %s AND u.identifier = %s"
)


def scanned(site_id: int, identifier: str) -> bedside.ScannedUnit | None:
    """Everything the bedside check needs about a unit, in one indexed query."""
    with connection.cursor() as cursor:
        cursor.execute(SCANNED_SQL, [site_id, identifier])
        row = cursor.fetchone()
    if row is None:
        return None
    (patient_id, mrn, status, frozen, expires_at, thawed_at, protocol_id) = row[:7]
    (appointment_id, region_id, region, side) = row[7:]
    convert = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else None
    if convert is not None:  # SQLite hands back text; make it the aware datetime Django would
        field = Unit._meta.get_field("expires_at")
        expires_at = convert(expires_at, field, connection) if expires_at else None
        thawed_at = convert(thawed_at, field, connection) if thawed_at else None
    return bedside.ScannedUnit(
        identifier=identifier,
        patient_id=patient_id,
        mrn=mrn,
        state=status,
        frozen=bool(frozen),
        expires_at=expires_at,
        thawed_at=thawed_at,
        thaw_window_min=thaw_window(protocol_id),
        appointment_id=appointment_id,
        planned=bedside.Site(region_id, region, side) if region_id is not None else None,
    )


BAND_SQL = (
    "SELECT w.code, w.patient_id, p.mrn, w.voided_at FROM patients_wristband w "
    "JOIN patients_patient p ON p.id = w.patient_id WHERE w.code = %s AND p.site_id = %s"
)


def band(site_id: int, wristband: str) -> bedside.Band | None:
    """What the clinic knows about a scanned wristband code, in one indexed query."""
    code = bedside.read_band(wristband)
    if not isinstance(code, str):
        return None
    with connection.cursor() as cursor:
        cursor.execute(BAND_SQL, [code, site_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return bedside.Band(code=row[0], patient_id=row[1], mrn=row[2], voided=row[3] is not None)


def verify(
    site_id: int,
    session: bedside.Session,
    *,
    wristband: str,
    unit_scan: str,
    region: str,
    side: str,
    now: datetime,
    level: str = "",
    route: str = "",
    timing: bedside.Timing | None = None,
) -> bedside.Verdict:
    """Run the bedside check against the database (reads only)."""
    identifier = bedside.read_unit(unit_scan)
    unit = None
    if isinstance(identifier, Identifier) and identifier.kind == "din":
        unit = scanned(site_id, identifier.data)
    return bedside.check(
        session,
        wristband=wristband,
        band=band(site_id, wristband),
        identifier=identifier,
        unit=unit,
        region=region,
        side=side,
        now=now,
        level=level,
        route=route,
        timing=timing,
    )


# ----------------------------------------------------------------------------- coverage


def _needs(
    appointments: list[Appointment], regions: list[int], given: set[tuple[int, int]]
) -> list[Need]:
    """One need per region of each open session not given yet, numbered as the sessions."""
    injections = sorted(
        (a for a in appointments if a.kind == "injection"), key=lambda a: a.sequence
    )
    return [
        Need(a.pk, number, region_id, a.starts_at)
        for number, a in enumerate(injections, start=1)
        if a.status in OPEN_SESSION
        for region_id in regions
        if (a.pk, region_id) not in given
    ]


def failed_lots(collection_ids: list[int]) -> set[int]:
    """Lots that failed a QC result or were rejected at release."""
    failed = set(
        QCResult.objects.filter(collection_id__in=collection_ids, verdict="fail").values_list(
            "collection_id", flat=True
        )
    )
    failed |= set(
        Release.objects.filter(collection_id__in=collection_ids, decision="rejected").values_list(
            "collection_id", flat=True
        )
    )
    return failed


def stock_of(
    units: list[dict[str, Any]],
    held: dict[int, tuple[int, int]],
    failed: set[int],
    on_hold: set[int],
) -> list[Stock]:
    """The allocator's view of a course's units."""
    return [
        Stock(
            unit_id=u["pk"],
            state=u["status"],
            expires_at=u["expires_at"],
            held=held.get(u["pk"]),
            failed_qc=u["collection_id"] in failed,
            on_hold=u["pk"] in on_hold,
        )
        for u in units
    ]


UNIT_FIELDS = ("pk", "status", "expires_at", "collection_id", "chain_id", "chain__course_id")


def plan_for(course: Course, now: datetime) -> Allocation:
    """What reserving now would do for a course (no writes)."""
    return coverage_for([course], now)[course.pk]


def coverage_for(courses: list[Course], now: datetime) -> dict[int, Allocation]:
    """Allocations for many courses in a fixed number of queries."""
    ids = [c.pk for c in courses]
    units = list(
        Unit.objects.filter(chain__course_id__in=ids, parent__isnull=False).values(*UNIT_FIELDS)
    )
    held = {
        r["unit_id"]: (r["appointment_id"], r["region_id"])
        for r in Reservation.objects.filter(
            unit__chain__course_id__in=ids, ended_at__isnull=True
        ).values("unit_id", "appointment_id", "region_id")
    }
    failed = failed_lots(sorted({u["collection_id"] for u in units}))
    on_hold = held_unit_ids([(u["pk"], u["collection_id"], u["chain_id"]) for u in units])
    appointments: dict[int, list[Appointment]] = defaultdict(list)
    for a in Appointment.objects.filter(course_id__in=ids, kind="injection"):
        appointments[a.course_id].append(a)
    regions: dict[int, list[int]] = defaultdict(list)
    for course_id, region_id in Course.regions.through.objects.filter(
        course_id__in=ids
    ).values_list("course_id", "affectedregion_id"):
        regions[course_id].append(region_id)
    by_course: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for u in units:
        by_course[u["chain__course_id"]].append(u)
    given = set(
        Administration.objects.filter(appointment__course_id__in=ids).values_list(
            "appointment_id", "planned_region_id"
        )
    )
    return {
        c.pk: allocate(
            _needs(appointments[c.pk], sorted(regions[c.pk]), given),
            stock_of(by_course[c.pk], held, failed, on_hold),
            now,
        )
        for c in courses
    }


@dataclass
class CourseCoverage:
    course: Course
    allocation: Allocation
    remaining: int
    usable: int


def coverage_alerts(site: Site, now: datetime) -> list[CourseCoverage]:
    """Open courses whose units (made or not) cannot cover their remaining sessions."""
    courses = list(
        Course.objects.filter(site=site, status__in=OPEN_COURSE, chain__isnull=False)
        .select_related("patient")
        .prefetch_related("protocol")
        .order_by("pk")
    )
    plans = coverage_for(courses, now)
    out = []
    for course in courses:
        plan = plans[course.pk]
        if plan.warnings:
            out.append(
                CourseCoverage(
                    course,
                    plan,
                    remaining=len(plan.covered) + len(plan.uncovered),
                    usable=len(plan.covered),
                )
            )
    return out


# ----------------------------------------------------------------------------- pages


@dataclass
class Slot:
    """One planned injection site of a session, with its unit and what happened to it."""

    region: AffectedRegion
    unit: Unit | None = None
    administration: Administration | None = None
    deadline: datetime | None = None
    where: str = ""  # freezer box and position while stored
    out_of_freezer: cold_chain.OutOfFreezer | None = None  # an issued unit out of its freezer


@dataclass
class SessionView:
    appointment: Appointment
    course: Course
    slots: list[Slot] = field(default_factory=list)
    thaw_window: int | None = None
    allocation: Allocation | None = None
    number: int = 0  # which injection of the course this is (1 = first)
    sessions: int = 0

    @property
    def done(self) -> bool:
        return bool(self.slots) and all(s.administration for s in self.slots)

    @property
    def ready(self) -> list[Slot]:
        return [s for s in self.slots if s.unit is not None and s.administration is None]


def session(appointment_id: int, site: Site, now: datetime) -> SessionView | None:
    """One injection session with its planned sites, reserved units and records."""
    appointment = (
        Appointment.objects.filter(pk=appointment_id, course__site=site, kind="injection")
        .select_related("course__patient")
        .prefetch_related("course__protocol")
        .first()
    )
    if appointment is None:
        return None
    course = appointment.course
    view = SessionView(appointment, course, thaw_window=thaw_window(course.protocol_id))
    keys = list(
        Appointment.objects.filter(course=course, kind="injection")
        .order_by("sequence")
        .values_list("pk", flat=True)
    )
    view.number, view.sessions = keys.index(appointment.pk) + 1, len(keys)
    reservations = {
        r.region_id: r.unit
        for r in Reservation.objects.filter(
            appointment=appointment, ended_at__isnull=True
        ).select_related("unit__box__rack__freezer")
    }
    given = {
        a.planned_region_id: a
        for a in Administration.objects.filter(appointment=appointment).select_related(
            "unit", "operator", "second_verifier"
        )
    }
    for region in course.regions.all().order_by("pk"):
        record = given.get(region.pk)
        unit = record.unit if record else reservations.get(region.pk)
        slot = Slot(region, unit, record)
        if unit is not None and unit.box is not None and unit.row is not None:
            slot.where = f"{unit.box} · {position_name(unit.row, unit.col or 0)}"
        if unit is not None and unit.thawed_at and view.thaw_window:
            slot.deadline = unit.thawed_at + timedelta(minutes=view.thaw_window)
        if unit is not None and record is None:
            slot.out_of_freezer = out_of_freezer(unit, course.protocol_id)
        view.slots.append(slot)
    if not view.done:
        view.allocation = plan_for(course, now)
    return view


@dataclass
class DayRow:
    appointment: Appointment
    regions: int
    given: int
    reserved: int
    issued: int


def day(site: Site, on: date) -> list[DayRow]:
    """The injection sessions of one day at a site, with how far each has got."""
    zone = ZoneInfo(site.time_zone)
    start = datetime.combine(on, datetime.min.time(), tzinfo=zone)
    appointments = list(
        Appointment.objects.filter(
            course__site=site,
            kind="injection",
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
        )
        .exclude(status__in=("cancelled", "missed"))
        .select_related("course__patient")
        .prefetch_related("course__protocol")
        .order_by("starts_at")
    )
    ids = [a.pk for a in appointments]
    regions: dict[int, int] = defaultdict(int)
    for course_id in Course.regions.through.objects.filter(
        course_id__in={a.course_id for a in appointments}
    ).values_list("course_id", flat=True):
        regions[course_id] += 1
    given: dict[int, int] = defaultdict(int)
    for appointment_id in Administration.objects.filter(appointment_id__in=ids).values_list(
        "appointment_id", flat=True
    ):
        given[appointment_id] += 1
    reserved: dict[int, int] = defaultdict(int)
    issued: dict[int, int] = defaultdict(int)
    for appointment_id, status in Reservation.objects.filter(
        appointment_id__in=ids, ended_at__isnull=True
    ).values_list("appointment_id", "unit__status"):
        reserved[appointment_id] += 1
        if status in (State.ISSUED, State.THAWED):
            issued[appointment_id] += 1
    return [
        DayRow(a, regions[a.course_id], given[a.pk], reserved[a.pk], issued[a.pk])
        for a in appointments
    ]


def administration_faults(site_id: int | None = None) -> list[str]:
    """Units and injection records that disagree, in words; empty when they match.

    A unit is administered exactly when an injection record names it, and that record's patient
    is the unit's source patient. Run with ``lab.queries.custody_faults`` after a crash or a
    restore; three queries, whatever the number of units.
    """
    units = Unit.objects.all() if site_id is None else Unit.objects.filter(site_id=site_id)
    records = Administration.objects.filter(unit__in=units)
    faults = [
        f"{identifier}: administered, but no injection record names it"
        for identifier in units.filter(status="administered", administration__isnull=True)
        .order_by("pk")
        .values_list("identifier", flat=True)
    ]
    faults += [
        f"{identifier}: an injection record names it, but its status is {status}"
        for identifier, status in records.exclude(unit__status="administered")
        .order_by("pk")
        .values_list("unit__identifier", "unit__status")
    ]
    faults += [
        f"{identifier}: given to another patient than its source"
        for identifier in records.exclude(patient_id=F("unit__patient_id"))
        .order_by("pk")
        .values_list("unit__identifier", flat=True)
    ]
    return faults
