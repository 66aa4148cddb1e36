"""Read side of the lab: the work queue, a lot's page, box maps and freezer history.

Each function runs a fixed number of queries whatever the data size (tests assert the counts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from autologic.accounts.models import Site
from autologic.audit.models import AuditEvent
from autologic.care.models import Appointment, Course
from autologic.lab.choices import QC_UNITS
from autologic.lab.domain.labels import Reconciliation, reconcile
from autologic.lab.domain.processing import Recorded, unfinished
from autologic.lab.domain.release import (
    Blocker,
    LotFacts,
    ResultFact,
    Verdict,
    accepted,
    describe,
    plausible,
    release_blockers,
)
from autologic.lab.domain.storage import position_name
from autologic.lab.models import (
    Box,
    Collection,
    Deviation,
    Disposal,
    Excursion,
    Freezer,
    HeldUnit,
    Hold,
    Label,
    QCResult,
    Reading,
    ReagentUse,
    StepRecord,
    Unit,
    UnitEvent,
)
from autologic.protocols.domain.schema import Protocol, Step

RECENT_DAYS = 45


@dataclass
class QueueItem:
    """A lot in the work queue with what it waits for."""

    collection: Collection
    protocol: Protocol
    next_step: Step | None
    running: StepRecord | None = None
    running_step: Step | None = None  # the protocol step the running record belongs to
    due_at: datetime | None = None  # when the running step's minimum time is reached
    late_at: datetime | None = None  # when it leaves its window
    waiting_units: int = 0
    open_deviations: int = 0
    results: int = 0
    spec_rows: int = 0
    stage: str = ""


@dataclass
class WorkQueue:
    """What the lab has to do now, grouped the way a technician reads it."""

    to_collect: list[Appointment] = field(default_factory=list)
    running: list[QueueItem] = field(default_factory=list)  # incubation, spin, culture...
    next_steps: list[QueueItem] = field(default_factory=list)
    qc: list[QueueItem] = field(default_factory=list)
    release: list[QueueItem] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    excursions: list[Excursion] = field(default_factory=list)


def work_queue(site: Site, now: datetime) -> WorkQueue:
    """The lab's queue: collections due, steps running (with countdowns), QC and releases."""
    queue = WorkQueue()
    since = now - timedelta(days=RECENT_DAYS)
    queue.to_collect = list(
        Appointment.objects.filter(
            course__site=site,
            kind="collection",
            status__in=("planned", "due"),
            starts_at__lte=now + timedelta(days=1),
            starts_at__gte=now - timedelta(days=3),
        )
        .select_related("course__patient")
        .prefetch_related("course__protocol")
        .order_by("starts_at")
    )
    lots = list(
        Collection.objects.filter(site=site, recorded_at__gte=since, release__isnull=True)
        .select_related("patient", "chain", "run")
        .prefetch_related("protocol", "course__protocol")
        .annotate(results_count=Count("results__attribute", distinct=True))
        .order_by("collected_at")
    )
    # Counted apart: joining units into the lots query would read every unit of the site.
    waiting = dict(
        Unit.objects.filter(
            site=site, status="quarantined", collection_id__in=[lot.pk for lot in lots]
        )
        .values_list("collection_id")
        .annotate(n=Count("id"))
    )
    for lot in lots:
        lot.waiting = waiting.get(lot.pk, 0)
    steps = defaultdict(list)
    for record in StepRecord.objects.filter(run__collection__in=lots).order_by("started_at"):
        steps[record.run_id].append(record)
    open_devs = dict(
        Deviation.objects.filter(run__collection__in=lots, disposition="open")
        .values_list("run__collection_id")
        .annotate(n=Count("id"))
    )
    for lot in lots:
        item = _queue_item(lot, steps, open_devs.get(lot.pk, 0))
        {
            "running": queue.running,
            "step": queue.next_steps,
            "qc": queue.qc,
            "release": queue.release,
        }.get(item.stage, queue.next_steps).append(item)
    queue.deviations = list(
        Deviation.objects.filter(run__collection__site=site, disposition="open")
        .select_related("run__collection__patient", "step")
        .order_by("created_at")
    )
    queue.excursions = open_excursions(site)
    return queue


def open_excursions(site: Site) -> list[Excursion]:
    """Freezer temperature excursions nobody has acknowledged yet, newest first."""
    return list(
        Excursion.objects.filter(freezer__site=site, acknowledged_at__isnull=True)
        .select_related("freezer")
        .order_by("-first_bad_at")
    )


@dataclass
class QuarantinedLot:
    """A lot with units in quarantine (awaiting QC and release, or held after an excursion)."""

    collection: Collection
    units: int


def quarantine(site: Site) -> list[QuarantinedLot]:
    """The site's lots that have units in quarantine, oldest first (two queries)."""
    counts = dict(
        Unit.objects.filter(site=site, status="quarantined")
        .values_list("collection_id")
        .annotate(n=Count("id"))
    )
    lots = Collection.objects.filter(pk__in=list(counts)).select_related("patient", "chain")
    return [
        QuarantinedLot(lot, counts[lot.pk]) for lot in sorted(lots, key=lambda c: c.collected_at)
    ]


def _queue_item(lot: Any, steps: dict[int, list[StepRecord]], open_deviations: int) -> QueueItem:
    protocol = lot.course.plan
    run = getattr(lot, "run", None)
    records = steps.get(run.pk, []) if run else []
    done = {r.key for r in records if r.ended_at is not None and r.passage == 0}
    item = QueueItem(lot, protocol, None, open_deviations=open_deviations)
    item.waiting_units = lot.waiting
    item.results = lot.results_count
    item.spec_rows = len(protocol.release.specification) if protocol.release else 0
    running = [r for r in records if r.ended_at is None]
    item.next_step = next((s for s in protocol.processing if s.key not in done), None)
    if running:
        record = running[-1]
        step = next(s for s in protocol.processing if s.key == record.key)
        window = step.hours
        item.running = record
        item.running_step = step
        item.due_at = record.started_at + timedelta(hours=window.min)
        item.late_at = record.started_at + timedelta(hours=window.max)
        item.stage = "running"
    elif item.next_step is not None or not lot.waiting:
        item.stage = "step"
    elif item.results < item.spec_rows:
        item.stage = "qc"
    else:
        item.stage = "release"
    return item


@dataclass
class UnitRow:
    """A unit on the lot page with its labels."""

    unit: Unit
    labels: list[Label]
    position: str


@dataclass
class ResultRow:
    """A release-specification row with every result entered for it (none is overwritten)."""

    attribute: str
    name: Any
    method: str
    criterion: str
    accepted: str  # what may be entered: the answers, or a number with unit and bounds
    qualitative: bool
    blocking: bool
    history: list[QCResult]
    operator: str = ""
    unit: str = ""
    low: str = ""  # the plausible range of a number, as entered
    high: str = ""  # "" when unbounded above

    @property
    def standing_failures(self) -> list[QCResult]:
        """Failed results that still stand (no QA disposition has invalidated them)."""
        return [r for r in self.history if r.verdict == "fail" and r.disposition == ""]


@dataclass
class LotView:
    """Everything on a lot's page."""

    collection: Collection
    protocol: Protocol
    root: Unit
    steps: list[StepRecord]
    deviations: list[Deviation]
    units: list[UnitRow]
    results: list[ResultRow]
    reconciliation: Reconciliation
    blockers: list[Blocker]
    next_step: Step | None
    running: StepRecord | None
    unstored: int  # frozen units waiting for use that have no box position yet

    @property
    def waivable(self) -> bool:
        """Only a non-conforming product stops the release: a physician may approve release
        with exception."""
        return bool(self.blockers) and all(b.waivable for b in self.blockers)


def lot_facts(collection: Collection) -> LotFacts:
    """Everything the release gate looks at for a lot, read from the database (seven queries).

    The lot page and the release action both judge a lot from this, through ``release_gate``.
    """
    protocol = collection.course.plan
    results: dict[str, list[ResultFact]] = defaultdict(list)
    for attribute, verdict, disposition in (
        QCResult.objects.filter(collection=collection)
        .order_by("at", "id")
        .values_list("attribute", "verdict", "disposition")
    ):
        results[attribute].append(ResultFact(Verdict(verdict), disposition == "invalidated"))
    deviations = list(
        Deviation.objects.filter(run__collection=collection).values_list("disposition", flat=True)
    )
    units = list(
        Unit.objects.filter(collection=collection, parent__isnull=False).values_list(
            "pk", "identifier", "status", "frozen", "box_id", "chain_id"
        )
    )
    live = [name for _pk, name, status, *_rest in units if status not in ("discarded", "expired")]
    labels = list(
        Label.objects.filter(unit__collection=collection, unit__parent__isnull=False).values_list(
            "unit__identifier", "state"
        )
    )
    reconciliation = reconcile(live, labels)
    waiting = [u for u in units if u[2] == "quarantined"]
    recorded: dict[str, list[Recorded]] = defaultdict(list)
    for key, passage, ended_at in StepRecord.objects.filter(run__collection=collection).values_list(
        "key", "passage", "ended_at"
    ):
        recorded[key].append(Recorded(passage, ended_at is not None))
    steps = [unfinished(step, recorded[step.key]) for step in protocol.processing]
    return LotFacts(
        results=dict(results),
        open_deviations=deviations.count("open"),
        rejected_deviations=deviations.count("rejected"),
        labels_balanced=reconciliation.balanced,
        label_problem=reconciliation.problem,
        units_waiting=len(waiting),
        unfinished_steps=[why for why in steps if why is not None],
        unstored=sum(1 for _pk, _n, _s, frozen, box, _c in waiting if frozen and box is None),
        on_hold=len(held_unit_ids([(pk, collection.pk, chain) for pk, *_r, chain in waiting])),
    )


def _in_words(text: str, unit: str | None) -> str:
    """A criterion or unit with a worded unit ("million") in the user's language."""
    if unit and unit in QC_UNITS:
        return text.replace(unit, gettext(unit))
    return text


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def release_gate(collection: Collection) -> list[Blocker]:
    """What stops this lot's release, in words; empty when it may be released. The one source
    for the lot page, the work queue and the release action."""
    return release_blockers(collection.course.plan.release, lot_facts(collection))


def lot(collection_id: int, site: Site) -> LotView | None:
    """Load one lot (a collection) with its steps, units, labels, results and blockers."""
    collection = (
        Collection.objects.select_related(
            "patient", "protocol", "chain", "collected_by", "course__protocol", "release"
        )
        .filter(pk=collection_id, site=site)
        .first()
    )
    if collection is None:
        return None
    protocol = collection.course.plan
    units = list(
        Unit.objects.filter(collection=collection)
        .select_related("box__rack__freezer")
        .order_by("parent_id", "index", "pk")
    )
    root = next(u for u in units if u.parent_id is None)
    labels: dict[int, list[Label]] = defaultdict(list)
    for label in Label.objects.filter(unit__collection=collection).order_by("printed_at", "pk"):
        labels[label.unit_id].append(label)
    children = [u for u in units if u.parent_id is not None]
    steps = list(StepRecord.objects.filter(run__collection=collection).select_related("by"))
    deviations = list(
        Deviation.objects.filter(run__collection=collection).select_related("step", "decided_by")
    )
    results: dict[str, list[QCResult]] = defaultdict(list)
    for result in (
        QCResult.objects.filter(collection=collection)
        .select_related("by", "disposed_by")
        .order_by("at", "id")
    ):
        results[result.attribute].append(result)
    rows: list[ResultRow] = []
    for r in protocol.release.specification if protocol.release else []:
        low, high = plausible(r)
        rows.append(
            ResultRow(
                attribute=r.attribute,
                name=r.name,
                method=r.method,
                criterion=_in_words(describe(r), r.unit),
                accepted=_in_words(accepted(r), r.unit),
                qualitative=r.operator in ("not_detected", "conforms"),
                blocking=r.blocking,
                history=results[r.attribute],
                operator=r.operator,
                unit=_in_words(r.unit or "", r.unit),
                low=_plain(low),
                high="" if high.is_infinite() else _plain(high),
            )
        )
    live = [u.identifier for u in children if u.status not in ("discarded", "expired")]
    pairs = [(u.identifier, label.state) for u in children for label in labels[u.pk]]
    done = {s.key for s in steps if s.ended_at is not None and s.passage == 0}
    return LotView(
        collection=collection,
        protocol=protocol,
        root=root,
        steps=steps,
        deviations=deviations,
        units=[UnitRow(u, labels[u.pk], _position(u)) for u in children],
        results=rows,
        reconciliation=reconcile(live, pairs),
        blockers=release_gate(collection),
        next_step=next((s for s in protocol.processing if s.key not in done), None),
        running=next((s for s in steps if s.ended_at is None), None),
        unstored=sum(
            1
            for u in children
            if u.frozen and u.box_id is None and u.status in ("quarantined", "released", "reserved")
        ),
    )


def _position(unit: Unit) -> str:
    if unit.box is None or unit.row is None or unit.col is None:
        return ""
    return f"{unit.box} {position_name(unit.row, unit.col)}"


def course_lots(course: Course) -> list[Collection]:
    """The collections of a course, newest first."""
    return list(Collection.objects.filter(course=course).select_related("chain", "release"))


@dataclass
class BoxMap:
    """A box drawn as a grid: each cell empty or holding a unit."""

    box: Box
    rows: list[tuple[str, list[Unit | None]]]  # row letter, cells
    columns: list[int]
    free: int


def box_map(box_id: int, site: Site) -> BoxMap | None:
    """One box with its units placed on the grid (two queries)."""
    box = (
        Box.objects.select_related("rack__freezer")
        .filter(pk=box_id, rack__freezer__site=site)
        .first()
    )
    if box is None:
        return None
    grid: list[list[Unit | None]] = [[None] * box.cols for _ in range(box.rows)]
    occupied = 0
    for unit in Unit.objects.filter(box=box).select_related("patient"):
        if unit.row is not None and unit.col is not None:
            grid[unit.row][unit.col] = unit
            occupied += 1
    named = [(chr(65 + r), cells) for r, cells in enumerate(grid)]
    return BoxMap(box, named, list(range(1, box.cols + 1)), box.rows * box.cols - occupied)


@dataclass
class FreezerRow:
    """A freezer on the storage page with its boxes' use and its latest reading."""

    freezer: Freezer
    boxes: list[tuple[Box, int]]  # box, units in it
    open_excursions: int


def freezers(site: Site) -> list[FreezerRow]:
    """Every freezer of the site with box occupancy and the latest reading (three queries)."""
    last = Reading.objects.filter(freezer=OuterRef("pk")).order_by("-at")
    rows = list(
        Freezer.objects.filter(site=site)
        .annotate(
            last_c=Subquery(last.values("celsius")[:1]), last_at=Subquery(last.values("at")[:1])
        )
        .order_by("code")
    )
    boxes = list(
        Box.objects.filter(rack__freezer__in=rows)
        .select_related("rack")
        .annotate(used=Count("units"))
        .order_by("rack__code", "code")
    )
    excursions = dict(
        Excursion.objects.filter(freezer__in=rows, acknowledged_at__isnull=True)
        .values_list("freezer_id")
        .annotate(n=Count("id"))
    )
    by_freezer: dict[int, list[tuple[Box, int]]] = defaultdict(list)
    for box in boxes:
        by_freezer[box.rack.freezer_id].append((box, box.used))
    return [FreezerRow(f, by_freezer[f.pk], excursions.get(f.pk, 0)) for f in rows]


# ----------------------------------------------------------------------------- QA holds


def holds_covering(unit: Unit) -> QuerySet[Hold]:
    """The active QA holds that cover a unit: by name, by its lot or by its chain."""
    return (
        Hold.objects.filter(lifted_at__isnull=True)
        .filter(
            Q(held_units__unit_id=unit.pk)
            | Q(scope="lot", collection_id=unit.collection_id)
            | Q(scope="chain", chain_id=unit.chain_id)
        )
        .distinct()
    )


def held_unit_ids(rows: list[tuple[int, int, int]], *, besides: int | None = None) -> set[int]:
    """Which of these units (id, lot id, chain id) an active hold covers, in two queries;
    ``besides`` leaves one hold out (the one being lifted)."""
    if not rows:
        return set()
    active = Hold.objects.filter(lifted_at__isnull=True)
    if besides is not None:
        active = active.exclude(pk=besides)
    named = set(
        HeldUnit.objects.filter(
            hold__in=active, unit_id__in=[unit_id for unit_id, _lot, _chain in rows]
        ).values_list("unit_id", flat=True)
    )
    lots: set[int] = set()
    chains: set[int] = set()
    for scope, lot, chain in active.filter(
        Q(scope="lot", collection_id__in={lot for _unit, lot, _chain in rows})
        | Q(scope="chain", chain_id__in={chain for _unit, _lot, chain in rows})
    ).values_list("scope", "collection_id", "chain_id"):
        if scope == "lot":
            lots.add(lot)
        else:
            chains.add(chain)
    return {
        unit_id
        for unit_id, lot, chain in rows
        if unit_id in named or lot in lots or chain in chains
    }


def holds_on_lot(collection: Collection) -> list[Hold]:
    """The active QA holds on a lot, its chain, or any of its units."""
    return list(
        Hold.objects.filter(lifted_at__isnull=True)
        .filter(
            Q(scope="lot", collection=collection)
            | Q(scope="chain", chain_id=collection.chain_id)
            | Q(held_units__unit__collection=collection)
        )
        .select_related("placed_by", "unit", "collection__chain", "chain")
        .distinct()
        .order_by("placed_at", "pk")
    )


def unit_disposal(unit: Unit) -> Disposal | None:
    """How a discarded unit was disposed of, with who did it and who witnessed it."""
    return Disposal.objects.filter(unit=unit).select_related("by", "witness").first()


def reagent_uses(collection: Collection) -> list[ReagentUse]:
    """The reagent and kit lots a collection and its steps used, in the order recorded."""
    return list(
        ReagentUse.objects.filter(collection=collection).select_related(
            "reagent_lot", "step", "recorded_by"
        )
    )


IN_HAND = ("issued", "thawed", "administered")  # out of the freezer: no box slot is theirs


def custody_faults(site_id: int | None = None) -> list[str]:
    """Every unit whose custody does not add up, in words; empty when the record is whole.

    Run after a crash or a restore (docs/operations.md). A unit is whole when its custody steps
    form one unbroken chain (each step starts from the status the one before it left), its
    status is where the last step leads, each step has its audit event, and a unit in hand or
    given holds no freezer slot. Five queries, whatever the number of units.
    """
    units = Unit.objects.all() if site_id is None else Unit.objects.filter(site_id=site_id)
    events = UnitEvent.objects.filter(unit__in=units)
    faults = [
        f"{identifier}: no custody step at all"
        for identifier in units.filter(~Exists(UnitEvent.objects.filter(unit=OuterRef("pk"))))
        .order_by("pk")
        .values_list("identifier", flat=True)
    ]
    last = UnitEvent.objects.filter(unit=OuterRef("pk")).order_by("-id").values("to_status")[:1]
    faults += [
        f"{identifier}: status {status}, but its last custody step leads to {led_to}"
        for identifier, status, led_to in units.annotate(led_to=Subquery(last))
        .filter(led_to__isnull=False)
        .exclude(led_to=F("status"))
        .order_by("pk")
        .values_list("identifier", "status", "led_to")
    ]
    before = (
        UnitEvent.objects.filter(unit=OuterRef("unit"), id__lt=OuterRef("id"))
        .order_by("-id")
        .values("to_status")[:1]
    )
    faults += [
        f"{identifier}: step {move} starts from {start or 'nothing'}, but the step before it "
        f"left {left or 'nothing'}"
        for identifier, move, start, left in events.annotate(
            left=Coalesce(Subquery(before), Value(""))
        )
        .exclude(from_status=F("left"))
        .order_by("id")
        .values_list("unit__identifier", "move", "from_status", "left")
    ]
    audited = AuditEvent.objects.filter(
        seq=OuterRef("audit_seq"), object_type="unit", object_id=OuterRef("unit__identifier")
    )
    faults += [
        f"{identifier}: step {move} has no audit event"
        for identifier, move in events.filter(~Exists(audited))
        .order_by("id")
        .values_list("unit__identifier", "move")
    ]
    faults += [
        f"{identifier}: {status}, yet it still holds a freezer slot"
        for identifier, status in units.filter(status__in=IN_HAND, box__isnull=False)
        .order_by("pk")
        .values_list("identifier", "status")
    ]
    return faults
