"""Read side of outcomes: what is due at a timepoint, the coordinators' follow-up lists, and the
score series of one patient with their thresholds and responder status."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from autologic.accounts.models import Site
from autologic.care.choices import OPEN_APPOINTMENT_STATUSES
from autologic.care.models import Appointment, Course
from autologic.clinical.models import AffectedRegion
from autologic.injections.models import Administration
from autologic.outcomes.domain import follow_up, registry, rehab, thresholds
from autologic.outcomes.domain.responders import (
    SOURCES,
    Change,
    Result,
    omeract_oarsi,
    worse_0_100,
)
from autologic.outcomes.domain.schedule import State, state
from autologic.outcomes.models import (
    LaterTreatment,
    RehabProgress,
    Response,
    Score,
    SurgeryReportCheck,
    ThresholdChoice,
)
from autologic.patients.models import Patient
from autologic.protocols.domain.schema import RehabPhase, Timepoint

FOLLOW_UP = "fu-"
# The home page counts the follow-ups owed up to this many, then says "more than".
OWED_COUNTED = 999
MISSED_LOOKBACK_DAYS = 180
KINDS = ("prom", "visit", "imaging")


def timepoint_key(appointment: Appointment | None) -> str:
    """The protocol's key of a follow-up appointment ("w6"), or "" for none."""
    if appointment is None:
        return ""
    return appointment.key.removeprefix(FOLLOW_UP)


def timepoint_of(appointment: Appointment) -> Timepoint | None:
    """The protocol timepoint behind a follow-up appointment."""
    if not appointment.key.startswith(FOLLOW_UP):
        return None
    key = timepoint_key(appointment)
    points = appointment.course.plan.follow_up.timepoints
    return next((p for p in points if p.key == key), None)


def due_at(
    appointment: Appointment, regions: list[AffectedRegion] | None = None
) -> dict[int, list[str]]:
    """Region id -> the instruments due for it at this follow-up ({} if not a follow-up)."""
    point = timepoint_of(appointment)
    if point is None:
        return {}
    regions = regions if regions is not None else list(appointment.course.regions.all())
    return {
        r.pk: registry.for_timepoint(point.instruments, r.region, point.offset_days)
        for r in regions
    }


def outstanding(appointment: Appointment) -> list[tuple[int, str]]:
    """(region id, instrument) pairs due at this follow-up and not yet submitted."""
    done = set(
        Response.objects.filter(appointment=appointment, status="submitted").values_list(
            "region_id", "instrument"
        )
    )
    return [
        (region_id, instrument)
        for region_id, instruments in due_at(appointment).items()
        for instrument in instruments
        if (region_id, instrument) not in done
    ]


@dataclass
class FollowUpRow:
    """One follow-up timepoint of one course on the coordinators' list."""

    appointment: Appointment
    state: State
    answered: int
    total: int
    missing: list[str]
    owed: list[tuple[AffectedRegion, str]] = field(default_factory=list)

    @property
    def patient(self) -> Patient:
        """The course's patient."""
        return self.appointment.course.patient


def _timepoints(site: Site, only: dict[str, Any]) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        **only, course__site=site, key__startswith=FOLLOW_UP, kind__in=KINDS
    ).exclude(status__in=("cancelled", "done"))


def follow_ups(
    site: Site, today: date, *, patient: Patient | None = None
) -> dict[State, list[FollowUpRow]]:
    """Due, overdue and recently missed follow-ups of the site (or one patient), oldest first."""
    only = {"course__patient": patient} if patient is not None else {}
    rows = _timepoints(site, only).filter(
        due_from__lte=today, due_to__gte=today - timedelta(days=MISSED_LOOKBACK_DAYS)
    )
    lists: dict[State, list[FollowUpRow]] = {State.DUE: [], State.OVERDUE: [], State.MISSED: []}
    for row in _judged(rows, today):
        if row.state in lists:
            lists[row.state].append(row)
    return lists


def owed_follow_ups(
    site: Site, today: date, *, first: int, count_to: int = OWED_COUNTED
) -> tuple[list[FollowUpRow], int]:
    """The oldest ``first`` follow-ups owed today (due or overdue, as ``follow_ups`` lists them)
    and how many are owed, in four queries whatever the size of the clinic (the home page).

    The count stops past ``count_to``: a total of ``count_to + 1`` means "more than
    ``count_to``" (a large clinic owes tens of thousands at once, and counting them all would
    cost the home page more than everything else on it).

    Owed is open and in its window today: a questionnaire timepoint closes as its last answer
    comes in (``actions._close_timepoint``). The rare open one that is nonetheless complete is
    skipped here and left out of the count when it falls among the rows read.
    """
    owed = (
        _timepoints(site, {})
        .filter(status__in=OPEN_APPOINTMENT_STATUSES)  # not missed: the index's condition
        .filter(due_from__lte=today, due_to__gte=today)
    )
    total = owed.order_by()[: count_to + 1].count()  # no sort: only how many
    rows = [r for r in _judged(owed, today, limit=2 * first) if r.state in OWED]
    if total > count_to:  # "more than": a skipped complete one does not make it fewer
        return rows[:first], total
    read = min(total, 2 * first)
    return rows[:first], total - (read - len(rows))


OWED = (State.OVERDUE, State.DUE)


def _judged(
    timepoints: QuerySet[Appointment], today: date, *, limit: int | None = None
) -> list[FollowUpRow]:
    """Each timepoint with its state today and what it still owes, oldest first."""
    ordered = (
        timepoints.select_related("course__patient")
        # One row per protocol version, shared by its courses: a join would load the version's
        # content (a large JSON) once per follow-up.
        .prefetch_related("course__regions", "course__protocol")
        .order_by("due_on", "pk")
    )
    rows = list(ordered[:limit] if limit is not None else ordered)
    answered: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for appointment_id, region_id, instrument in Response.objects.filter(
        appointment_id__in=[a.pk for a in rows], status="submitted"
    ).values_list("appointment_id", "region_id", "instrument"):
        answered[appointment_id].add((region_id, instrument))
    judged = []
    for a in rows:
        due = due_at(a, list(a.course.regions.all()))
        wanted: list[tuple[int, str]] = [(r, i) for r, ins in due.items() for i in ins]
        got = [pair for pair in wanted if pair in answered[a.pk]]
        complete = a.kind == "prom" and len(got) == len(wanted)
        assert a.due_from is not None and a.due_on is not None and a.due_to is not None
        at = state(opens=a.due_from, due=a.due_on, closes=a.due_to, today=today, done=complete)
        if a.status == "missed":
            at = State.MISSED
        regions = {r.pk: r for r in a.course.regions.all()}
        owed = [(regions[r], i) for r, i in wanted if (r, i) not in got]
        missing = sorted({i for _region, i in owed})
        judged.append(FollowUpRow(a, at, len(got), len(wanted), missing, owed))
    return judged


# Patient outcome series ---------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One score at one date."""

    measured_on: date
    timepoint: str
    value: float | None
    reason: str
    staff_entered: bool = False


@dataclass
class Series:
    """One score of one instrument for one region over time, with its thresholds."""

    instrument: str
    score: str
    higher_is_better: bool
    low: float
    high: float
    derived_from: str
    points: list[Point] = field(default_factory=list)
    change: thresholds.Threshold | None = None
    acceptable: thresholds.Threshold | None = None

    @property
    def baseline(self) -> Point | None:
        """The baseline timepoint's score, else the first calculable one."""
        scored = [p for p in self.points if p.value is not None]
        return next((p for p in scored if p.timepoint == "baseline"), scored[0] if scored else None)

    def flags(self, point: Point) -> list[thresholds.Flag]:
        """The change and state thresholds judged at this point."""
        base = self.baseline
        out = []
        for threshold in (self.change, self.acceptable):
            if threshold is None:
                continue
            out.append(
                thresholds.judge(
                    threshold,
                    baseline=base.value if base and base is not point else None,
                    follow_up=point.value,
                    higher_is_better=self.higher_is_better,
                    scale_max=self.high,
                )
            )
        return out


@dataclass
class RegionOutcomes:
    """Everything measured for one treated region (or none, for generic questionnaires)."""

    region: AffectedRegion | None
    series: list[Series]
    responders: dict[str, Result]
    missing: list[FollowUpRow]


def site_thresholds(site: Site) -> dict[tuple[str, str, str], thresholds.Threshold]:
    """(instrument, score, use) -> the threshold this clinic applies (its choice or the default)."""
    chosen: dict[tuple[str, str, str], thresholds.Threshold] = {
        key: thresholds.BY_ID[ref] for key, ref in thresholds.DEFAULTS.items()
    }
    for row in ThresholdChoice.objects.filter(site=site):
        key = (row.instrument, row.score, row.use)
        if row.reference:
            chosen[key] = thresholds.BY_ID[row.reference]
        elif row.value is not None:
            chosen[key] = thresholds.Threshold(
                id=f"site-{row.pk}",
                instrument=row.instrument,
                score=row.score,
                kind=thresholds.Kind.MCID if row.use == "change" else thresholds.Kind.PASS,
                value=row.value,
                relative=row.relative,
                normalised=False,
                population="clinic's own choice",
                source=row.source,
            )
    return chosen


def patient_outcomes(
    patient: Patient, lists: dict[State, list[FollowUpRow]]
) -> list[RegionOutcomes]:
    """The patient's score series per region, with thresholds, responders and the gaps among
    ``lists`` (the patient's ``follow_ups``)."""
    chosen = site_thresholds(patient.site)
    scores = (
        Score.objects.filter(patient=patient)
        .select_related("response")
        .order_by("measured_on", "id")
    )
    by_region: dict[int | None, dict[tuple[str, str, str], Series]] = defaultdict(dict)
    for s in scores:
        if not registry.get(s.instrument).charted:
            continue  # yes/no follow-up questions: see ``reported_surgeries``
        key = (s.instrument, s.derived_from, s.name)
        series = by_region[s.region_id].get(key)
        if series is None:
            subscale = registry.get(s.instrument).subscale(s.name)
            series = Series(
                instrument=s.instrument,
                score=s.name,
                higher_is_better=s.higher_is_better,
                low=subscale.low,
                high=subscale.high,
                derived_from=s.derived_from,
                change=chosen.get((s.instrument, s.name, "change")),
                acceptable=chosen.get((s.instrument, s.name, "pass")),
            )
            by_region[s.region_id][key] = series
        series.points.append(
            Point(s.measured_on, s.timepoint, s.value, s.reason, s.response.staff_entered)
        )
    regions = {r.pk: r for r in AffectedRegion.objects.filter(pk__in=[k for k in by_region if k])}
    gaps = _gaps(lists)
    out = []
    for region_id, series in by_region.items():
        ordered = sorted(series.values(), key=_series_order)
        out.append(
            RegionOutcomes(
                region=regions.get(region_id) if region_id else None,
                series=ordered,
                responders=responders(ordered),
                missing=gaps.get(region_id, []),
            )
        )
    for region_id, rows in gaps.items():
        if region_id not in by_region:
            owing = next(r for row in rows for r, _i in row.owed if r.pk == region_id)
            out.append(RegionOutcomes(owing, [], {}, rows))
    return out


def _series_order(series: Series) -> tuple[int, str, int]:
    """Instruments in registry order, each with its subscales in the form's order."""
    instrument = registry.get(series.instrument)
    names = [s.name for s in instrument.subscales]
    return (
        list(registry.INSTRUMENTS).index(instrument.id),
        series.derived_from,
        names.index(series.score),
    )


def _gaps(lists: dict[State, list[FollowUpRow]]) -> dict[int | None, list[FollowUpRow]]:
    """Overdue and missed follow-ups that still owe answers, by the region that owes them."""
    out: dict[int | None, list[FollowUpRow]] = defaultdict(list)
    for row in lists[State.OVERDUE] + lists[State.MISSED]:
        for region_id in dict.fromkeys(region.pk for region, _instrument in row.owed):
            out[region_id].append(row)
    return out


def responders(series: list[Series]) -> dict[str, Result]:
    """OMERACT-OARSI status at each follow-up timepoint of one region."""
    by_key: dict[tuple[str, str], Series] = {}
    # A directly administered score wins over the same score derived from another form.
    for s in sorted(series, key=lambda s: bool(s.derived_from)):
        by_key.setdefault((s.instrument, s.score), s)
    timepoints = sorted(
        {
            p.timepoint
            for s in series
            for p in s.points
            if p.timepoint and p.timepoint != "baseline"
        },
        key=lambda key: min(p.measured_on for s in series for p in s.points if p.timepoint == key),
    )
    out = {}
    for key in timepoints:
        changes = {domain: _change(domain, by_key, key) for domain in SOURCES}
        if all(c.baseline is None and c.follow_up is None for c in changes.values()):
            continue
        out[key] = omeract_oarsi(changes["pain"], changes["function"], changes["global"])
    return out


def _change(domain: str, by_key: dict[tuple[str, str], Series], timepoint: str) -> Change:
    """The first source of this domain that has a baseline, with its value at the timepoint."""
    for instrument, score in SOURCES[domain]:
        series = by_key.get((instrument, score))
        base = series.baseline if series else None
        if series is None or base is None:
            continue
        at = next((p for p in series.points if p.timepoint == timepoint), None)
        return Change(
            domain,
            worse_0_100(instrument, score, base.value),
            worse_0_100(instrument, score, at.value if at else None),
            source=f"{instrument} {score}",
        )
    return Change(domain, None, None)


def rehab_anchor(course: Course) -> date | None:
    """The day rehabilitation counts from: the course's last injection (done or planned), in the
    clinic's time zone; None while no injection has a time."""
    last = (
        Appointment.objects.filter(course=course, kind="injection", starts_at__isnull=False)
        .exclude(status__in=("cancelled", "missed"))
        .order_by("-sequence")
        .first()
    )
    if last is None or last.starts_at is None:
        return None
    return last.starts_at.astimezone(ZoneInfo(course.site.time_zone)).date()


@dataclass
class RehabItem:
    """One tracked phase of a course: its dates, where it stands today, and what was recorded."""

    phase: RehabPhase
    window: rehab.Window | None
    state: str  # upcoming | current | past | unplanned
    progress: RehabProgress | None


@dataclass
class RehabCourse:
    """A course with tracked rehabilitation phases."""

    course: Course
    anchor: date | None
    items: list[RehabItem]


def rehab_courses(patient: Patient, today: date) -> list[RehabCourse]:
    """The patient's courses whose protocol has tracked rehabilitation phases, with each phase."""
    found = []
    courses = (
        Course.objects.filter(patient=patient)
        .exclude(status="cancelled")
        .select_related("protocol", "site")
        .prefetch_related("rehab_progress__recorded_by")
    )
    for course in courses:
        phases = rehab.trackable(course.plan.rehabilitation)
        if not phases:
            continue
        anchor = rehab_anchor(course)
        recorded = {row.phase: row for row in course.rehab_progress.all()}
        items = []
        for phase in phases:
            assert phase.key is not None  # trackable phases have keys
            when = rehab.window(phase, anchor) if anchor is not None else None
            items.append(
                RehabItem(
                    phase=phase,
                    window=when,
                    state=when.state(today) if when is not None else "unplanned",
                    progress=recorded.get(phase.key),
                )
            )
        found.append(RehabCourse(course=course, anchor=anchor, items=items))
    return found


@dataclass(frozen=True)
class TreatedJoint:
    """A region of the patient's that has had an injection here, and the day of the first."""

    region: AffectedRegion
    treated_on: date


def treated_joints(patient: Patient) -> list[TreatedJoint]:
    """The patient's treated regions, first treated first (days in the clinic's time zone)."""
    zone = ZoneInfo(patient.site.time_zone)
    first: dict[int, date] = {}
    for region_id, given_at in Administration.objects.filter(patient=patient).values_list(
        "planned_region_id", "given_at"
    ):
        day = given_at.astimezone(zone).date()
        if region_id not in first or day < first[region_id]:
            first[region_id] = day
    regions = AffectedRegion.objects.in_bulk(list(first))
    return sorted(
        (TreatedJoint(regions[pk], day) for pk, day in first.items()),
        key=lambda t: (t.treated_on, t.region.pk),
    )


def later_treatments(patient: Patient) -> list[LaterTreatment]:
    """What has been done to the patient's treated joints since, oldest first."""
    return list(
        LaterTreatment.objects.filter(patient=patient).select_related("region", "recorded_by")
    )


@dataclass(frozen=True)
class ReportedSurgery:
    """A follow-up at which the patient answered yes to "surgery on this joint since your
    treatment?", and whether staff have recorded an operation of that joint by then."""

    response: int
    region: AffectedRegion
    timepoint: str
    answered_on: date
    recorded: bool
    check: SurgeryReportCheck | None = None  # staff found no operation

    @property
    def open(self) -> bool:
        """Neither recorded as an operation nor checked as none: staff must act."""
        return not self.recorded and self.check is None


def reported_surgeries(patient: Patient) -> list[ReportedSurgery]:
    """The patient's yes answers to the surgery question, oldest first; ``recorded`` once a
    later treatment of the joint on or before the answer is on file."""
    answers = list(
        Score.objects.filter(
            patient=patient,
            instrument=follow_up.FOLLOWUP.id,
            name=follow_up.SURGERY,
            value=follow_up.YES,
        )
        .select_related("region", "response__surgery_check__checked_by")
        .order_by("measured_on", "id")
    )
    done: dict[int, list[date]] = defaultdict(list)
    for region_id, on in LaterTreatment.objects.filter(patient=patient).values_list(
        "region_id", "performed_on"
    ):
        done[region_id].append(on)
    return [
        ReportedSurgery(
            s.response_id,
            s.region,
            s.timepoint,
            s.measured_on,
            any(on <= s.measured_on for on in done[s.region.pk]),
            getattr(s.response, "surgery_check", None),
        )
        for s in answers
        if s.region is not None
    ]
