"""Expand a protocol version into a course's planned events and its scheduling request.

Pure: the protocol (validated data) and the course's choices in, events and a
``CourseRequest`` for the scheduler out.  The rules, in the order a course runs:

- **Collection** (blood draw, marrow aspirate, lipoaspirate): the procedure and the recovery
  that follows it, on one clinician; a harvest also needs a procedure room and a clinician
  able to harvest.  Fasting before collection keeps it to the morning (07:00-12:00).
- **Processing**, each protocol step in turn, in the lab (nights and closing days allowed,
  inside the equipment's own hours):
  an *incubator* step holds tubes (one per kit: regions x injections x kits per region) from
  the end of the previous step for the step's 6-24 h window; a *centrifuge* step is a run of
  its target (else minimum) length; a *culture* step holds one culture slot until the
  injection, for its window in days; other steps (aliquoting, freezing) are lab work with no
  bookable equipment and follow the previous step within an hour.
- **Storage**: a frozen product holds one freezer position per syringe, from freezing until
  the session that uses it.
- **Injections** 1..n: a room with the chosen guidance and a clinician able to use it; the
  first one ``first_after_collection_days`` after collection, the next ones
  ``interval_days`` apart (calendar days).  A session for several regions takes half a
  session longer per extra region.  Fasting before injection keeps it to the morning.
- **Follow-up**: a visit due within ``VISIT_HORIZON_DAYS`` of its anchor is booked with the
  course (a clinician for ``VISIT_MIN`` minutes, inside its window); later visits, imaging and
  questionnaires are due windows booked nearer the time.  A week-0 timepoint is the
  baseline and falls before collection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from autologic.care.domain.scheduling import (
    DAY,
    CourseRequest,
    Demand,
    Hold,
    HoldAssignment,
    Link,
    Placement,
    Step,
)
from autologic.protocols.domain.schema import Protocol

HARVEST = "harvest"  # clinician capability for marrow or fat harvests
MORNING = (7 * 60, 12 * 60)  # fasting procedures happen in the morning
FOLLOW_ON_MAX_MIN = 60  # lab work with no equipment starts within an hour of the last step
VISIT_MIN = 20
VISIT_HORIZON_DAYS = 98  # visits due within 14 weeks are booked with the course
LATEST_START_DAYS = 42  # a course is started within six weeks of its earliest date


class PathwayError(ValueError):
    """The course's choices do not fit the protocol (a field and a reason)."""

    def __init__(self, field_name: str, reason: str) -> None:
        """Name the field and say why."""
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Event:
    """One planned event of a course, scheduled on resources or due within a window."""

    key: str
    kind: str  # collection | processing | injection | visit | imaging | prom
    sequence: int
    duration_min: int = 0
    booked: bool = True  # False: a due window only (see anchor / offset / window)
    number: int | None = None  # injection number
    kits: int = 0
    step: str = ""  # protocol processing step key or follow-up timepoint key
    anchor: str = ""  # scheduling key the window counts from
    offset_days: int = 0
    window_before: int = 0
    window_after: int = 0
    instruments: tuple[str, ...] = ()
    modality: str = ""
    holds: str = ""  # a lab window that is a hold on this kind of equipment (incubator, culture)


@dataclass(frozen=True)
class Pathway:
    """A course expanded: its events, and the steps, links and holds the scheduler needs."""

    events: tuple[Event, ...]
    steps: tuple[Step, ...]
    links: tuple[Link, ...]
    holds: tuple[Hold, ...]
    kits_per_session: int
    consumables: tuple[tuple[str, int], ...] = field(default=())

    @property
    def kits(self) -> int:
        """Kits for the whole course: regions x injections x kits per region."""
        return sum(e.kits for e in self.events)

    def event(self, key: str) -> Event:
        """The event with this key."""
        for event in self.events:
            if event.key == key:
                return event
        raise KeyError(key)

    def request(
        self,
        course_id: str,
        *,
        earliest: int,
        latest: int | None,
        fixed: tuple[Placement, ...] = (),
        fixed_holds: tuple[HoldAssignment, ...] = (),
        priority: int = 0,
    ) -> CourseRequest:
        """The scheduling request for this course (minutes from the horizon start)."""
        return CourseRequest(
            course_id,
            self.steps,
            self.links,
            self.holds,
            earliest=earliest,
            latest=latest,
            priority=priority,
            fixed=fixed,
            fixed_holds=fixed_holds,
        )


def _slots(minutes: float, slot: int) -> int:
    """Round a duration up to whole slots (at least one)."""
    return max(slot, math.ceil(minutes / slot) * slot)


def expand(
    protocol: Protocol, *, regions: int, injections: int, guidance: str, slot: int = 15
) -> Pathway:
    """Expand a protocol for ``regions`` treated regions and ``injections`` sessions."""
    count = protocol.injections.count
    if regions < 1:
        raise PathwayError("regions", "a course treats at least one region")
    if not count.min <= injections <= count.max:
        raise PathwayError(
            "injections", f"this protocol gives {count.min} to {count.max} injections"
        )
    if guidance not in protocol.injections.guidance:
        allowed = ", ".join(protocol.injections.guidance)
        raise PathwayError("guidance", f"this protocol is guided by {allowed}")

    fasting = protocol.preparation.fasting
    fast_collect = fasting is not None and "collection" in fasting.before
    fast_inject = fasting is not None and "injection" in fasting.before
    per_session = regions * protocol.injections.kits_per_region
    tubes = per_session * injections

    events: list[Event] = []
    steps: list[Step] = []
    links: list[Link] = []
    holds: list[Hold] = []

    # Collection.
    collection = protocol.collection
    harvest = collection.kind != "blood_draw"
    demands = (
        (Demand("room"), Demand("clinician", 1, HARVEST)) if harvest else (Demand("clinician"),)
    )
    collect_min = _slots(collection.duration_min + collection.recovery_min, slot)
    steps.append(
        Step("collection", collect_min, demands, time_of_day=MORNING if fast_collect else None)
    )
    events.append(Event("collection", "collection", 0, collect_min))

    # Processing: ``previous`` is the last step placed; ``pending`` a window still to apply
    # to the next step (incubation), ``open_holds`` holds that end at the next step.
    previous, previous_min = "collection", collect_min
    pending: tuple[int, int] | None = None
    open_holds: list[tuple[str, int]] = []
    culture_days: tuple[int, int] | None = None
    frozen_from: str | None = None
    for step in protocol.processing:
        hours = step.hours
        if step.equipment == "incubator":
            pending = (round(hours.min * 60), round(hours.max * 60))
            open_holds.append(("incubator", tubes))
            events.append(
                Event(
                    step.key,
                    "processing",
                    len(events),
                    round(hours.min * 60),
                    False,
                    step=step.key,
                    holds="incubator",
                )
            )
            continue
        if step.equipment == "culture":
            if step.duration_days is not None:
                culture_days = (
                    math.ceil(step.duration_days.min),
                    math.floor(step.duration_days.max),
                )
            else:
                culture_days = (math.ceil(hours.min / 24), math.floor(hours.max / 24))
            events.append(
                Event(
                    step.key,
                    "processing",
                    len(events),
                    culture_days[0] * DAY,
                    False,
                    step=step.key,
                    holds="culture",
                )
            )
            holds.append(Hold("culture", 1, previous, "inj1"))
            continue
        target = hours.target if hours.target is not None else hours.min
        minutes = _slots(target * 60, slot)
        demand = (Demand("centrifuge"),) if step.equipment == "centrifuge" else ()
        steps.append(Step(step.key, minutes, demand, in_clinic_hours=False))
        gap_min, gap_max = pending if pending is not None else (0, FOLLOW_ON_MAX_MIN)
        links.append(
            Link.minutes(previous, step.key, previous_min + gap_min, previous_min + gap_max)
        )
        for kind, amount in open_holds:
            holds.append(Hold(kind, amount, previous, step.key))
        pending, open_holds = None, []
        events.append(Event(step.key, "processing", len(events), minutes, step=step.key))
        if step.equipment == "freezer":
            frozen_from = step.key
        previous, previous_min = step.key, minutes
    if protocol.product.storage.condition == "frozen" and frozen_from is None:
        frozen_from = previous  # frozen right after the last processing step

    # Injections.
    inj = protocol.injections
    session = _slots(inj.session_min * (1 + 0.5 * (regions - 1)), slot)
    for number in range(1, injections + 1):
        key = f"inj{number}"
        steps.append(
            Step(
                key,
                session,
                (Demand("room", 1, guidance), Demand("clinician", 1, guidance)),
                time_of_day=MORNING if fast_inject else None,
            )
        )
        events.append(
            Event(key, "injection", len(events), session, number=number, kits=per_session)
        )
        window = session_window(protocol, number)
        if window.min_days > window.max_days:
            raise PathwayError(
                "injections.first_after_collection_days", "does not overlap the culture window"
            )
        links.append(
            Link.days(
                window.anchor,
                key,
                window.min_days,
                window.max_days,
                "first injection" if number == 1 else "interval between injections",
            )
        )
        if number == 1 and previous != "collection":
            links.append(Link.minutes(previous, key, previous_min, None, "after processing"))
        if frozen_from is not None:
            holds.append(Hold("freezer", per_session, frozen_from, key))

    # Follow-up.
    last = f"inj{injections}"
    for point in protocol.follow_up.timepoints:
        offset = point.offset_days
        anchor = (
            "collection"
            if offset == 0
            else ("inj1" if protocol.follow_up.anchor == "first_injection" else last)
        )
        key = f"fu-{point.key}"
        booked = point.kind == "visit" and 0 < offset <= VISIT_HORIZON_DAYS
        common = dict(
            step=point.key,
            anchor=anchor,
            offset_days=offset,
            window_before=point.window_days_before,
            window_after=point.window_days_after,
            instruments=tuple(point.instruments),
            modality=point.modality.value if point.modality else "",
        )
        if booked:
            steps.append(Step(key, VISIT_MIN, (Demand("clinician"),)))
            links.append(
                Link.days(
                    anchor,
                    key,
                    max(0, offset - point.window_days_before),
                    offset + point.window_days_after,
                    f"follow-up {point.key}",
                )
            )
            events.append(Event(key, "visit", len(events), VISIT_MIN, True, **common))  # type: ignore[arg-type]
        else:
            events.append(Event(key, point.kind, len(events), 0, False, **common))  # type: ignore[arg-type]

    consumables = []
    for item in protocol.consumables:
        factor = {"region_injection": regions * injections, "collection": 1, "course": 1}[item.per]
        consumables.append((item.item, item.quantity * factor))
    return Pathway(
        tuple(events), tuple(steps), tuple(links), tuple(holds), per_session, tuple(consumables)
    )


@dataclass(frozen=True)
class SessionWindow:
    """The calendar days after its anchor within which an injection session is given."""

    anchor: str  # the scheduling key it counts from: "collection" or the previous injection
    min_days: int
    max_days: int

    def dates(self, anchor_day: date) -> tuple[date, date]:
        """The first and last day of the window, given the anchor's day."""
        return (
            anchor_day + timedelta(days=self.min_days),
            anchor_day + timedelta(days=self.max_days),
        )


def _culture_days(protocol: Protocol) -> tuple[int, int] | None:
    """The culture step's window in whole days, if the protocol cultures the product."""
    for step in protocol.processing:
        if step.equipment == "culture":
            if step.duration_days is not None:
                return math.ceil(step.duration_days.min), math.floor(step.duration_days.max)
            return math.ceil(step.hours.min / 24), math.floor(step.hours.max / 24)
    return None


def session_window(protocol: Protocol, number: int) -> SessionWindow:
    """When injection ``number`` (1 = the first) is given, in days after its anchor: the first
    after the collection (inside the culture window, if any), the others after the previous
    injection.  ``min_days > max_days`` when the protocol's windows do not overlap."""
    injections = protocol.injections
    if number == 1:
        first = injections.first_after_collection_days
        low, high = math.ceil(first.min), math.floor(first.max)
        culture = _culture_days(protocol)
        if culture is not None:
            low, high = max(low, culture[0]), min(high, culture[1])
        return SessionWindow("collection", low, high)
    interval = injections.interval_days
    assert interval is not None  # the schema requires it when count.max > 1
    return SessionWindow(f"inj{number - 1}", math.ceil(interval.min), math.floor(interval.max))


def due_window(event: Event, anchor_day: date) -> tuple[date, date, date]:
    """(due, from, to) of a due-window event, given the date of its anchor event."""
    due = anchor_day + timedelta(days=event.offset_days)
    return due, due - timedelta(days=event.window_before), due + timedelta(days=event.window_after)
