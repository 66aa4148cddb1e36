"""Read side of recalls: where a recall starts, what it reaches and whom it informs (the same
survey feeds the preview page and the action), the recall's page, the list of recalls and holds.

Each function runs a fixed number of queries whatever the number of units or patients.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from autologic.accounts.models import Site, User
from autologic.adverse_events.models import AdverseEvent
from autologic.care.models import Booking, Course
from autologic.common.domain.errors import NotFound, ValidationFailed
from autologic.common.domain.identifiers import IdentifierError, parse
from autologic.injections.models import Administration
from autologic.lab import choices as lab_choices
from autologic.lab.actions.storage import stored_during
from autologic.lab.domain.holds import is_open
from autologic.lab.models import (
    Collection,
    Excursion,
    HeldUnit,
    Hold,
    QCResult,
    ReagentLot,
    Unit,
)
from autologic.lab.queries import held_unit_ids
from autologic.outbox.models import Message
from autologic.patients.models import Patient
from autologic.recalls import choices
from autologic.recalls.domain import (
    Contact,
    Finding,
    LookBack,
    Origin,
    Reached,
    Recipient,
    Staff,
    look_back,
    whom_to_inform,
)
from autologic.recalls.models import Recall, RecallNotice, RecallStep, RecallUnit

LIST_LIMIT = 100


@dataclass(frozen=True)
class Source:
    """The suspect thing a recall starts from, loaded for one clinic."""

    origin: Origin
    site: Site
    unit: Unit | None = None
    collection: Collection | None = None
    reagent_lot: ReagentLot | None = None
    excursion: Excursion | None = None
    adverse_event: AdverseEvent | None = None
    result: QCResult | None = None

    @property
    def label(self) -> str:
        """How the page names the origin (identifiers only, never a patient's name)."""
        if self.origin is Origin.UNIT and self.unit is not None:
            return self.unit.identifier
        if self.origin is Origin.REAGENT_LOT and self.reagent_lot is not None:
            return str(self.reagent_lot)
        if self.origin is Origin.EXCURSION and self.excursion is not None:
            return f"{self.excursion.freezer.name} {self.excursion.started_at:%Y-%m-%d %H:%M} UTC"
        if self.origin is Origin.ADVERSE_EVENT and self.adverse_event is not None:
            return self.adverse_event.term_name
        if self.collection is not None:
            return self.collection.chain.identifier
        return ""


def resolve(site: Site, origin: str, *, pk: int | None = None, identifier: str = "") -> Source:
    """Find the origin of a recall at a clinic, by id (or, for a unit or donation, by the
    identifier as scanned or typed); say what is missing or unknown."""
    try:
        kind = Origin(origin)
    except ValueError:
        raise ValidationFailed(
            "origin", "Choose where the recall starts.", "origin", {"origin": origin}
        ) from None
    if kind in (Origin.UNIT, Origin.DONATION) and identifier.strip():
        unit = _unit_by_identifier(site, identifier)
        if kind is Origin.UNIT:
            return Source(kind, site, unit=unit)
        return Source(kind, site, unit=unit, collection=unit.collection)
    if pk is None:
        raise ValidationFailed("origin_id", "Say which one the recall starts from.", "id")
    return _by_id(site, kind, pk)


def _unit_by_identifier(site: Site, text: str) -> Unit:
    try:
        identifier = parse(text.strip())
    except IdentifierError as error:
        raise ValidationFailed("identifier", error.message, "identifier") from None
    unit = (
        Unit.objects.select_related("collection__chain")
        .filter(site=site, identifier=identifier.data)
        .first()
    )
    if unit is None:
        raise NotFound("identifier", f"No unit {identifier.data} at this clinic.", "identifier")
    return unit


def _by_id(site: Site, kind: Origin, pk: int) -> Source:
    missing = NotFound("origin_id", f"No {kind.value.replace('_', ' ')} {pk} at this clinic.", "id")
    if kind is Origin.UNIT:
        unit = Unit.objects.filter(pk=pk, site=site).select_related("collection__chain").first()
        if unit is None:
            raise missing
        return Source(kind, site, unit=unit)
    if kind in (Origin.LOT, Origin.DONATION):
        lot = Collection.objects.filter(pk=pk, site=site).select_related("chain").first()
        if lot is None:
            raise missing
        return Source(kind, site, collection=lot)
    if kind is Origin.REAGENT_LOT:
        reagent = ReagentLot.objects.filter(pk=pk, site=site).first()
        if reagent is None:
            raise missing
        return Source(kind, site, reagent_lot=reagent)
    if kind is Origin.EXCURSION:
        excursion = (
            Excursion.objects.filter(pk=pk, freezer__site=site).select_related("freezer").first()
        )
        if excursion is None:
            raise missing
        return Source(kind, site, excursion=excursion)
    event = (
        AdverseEvent.objects.filter(pk=pk, site=site)
        .select_related("unit__collection__chain", "administration__unit__collection__chain")
        .first()
    )
    if event is None:
        raise missing
    unit = event.unit or (event.administration.unit if event.administration else None)
    if unit is None:
        raise ValidationFailed(
            "no_unit", "This adverse event is linked to no unit or injection.", "id"
        )
    return Source(kind, site, unit=unit, collection=unit.collection, adverse_event=event)


def reached_unit_ids(source: Source) -> list[int]:
    """Every unit the recall reaches: the unit and what was divided from it; the whole lot of a
    lot, a donation or an adverse event's unit; every lot that used a reagent or kit lot; every
    unit stored in the freezer during an excursion."""
    if source.origin is Origin.UNIT and source.unit is not None:
        ids = {source.unit.pk}
        frontier = ids
        while frontier:
            frontier = (
                set(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
            )
            ids |= frontier
        return sorted(ids)
    if source.collection is not None:
        units = Unit.objects.filter(collection=source.collection)
    elif source.reagent_lot is not None:
        units = Unit.objects.filter(collection__reagent_uses__reagent_lot=source.reagent_lot)
    elif source.excursion is not None:
        episode = source.excursion
        return sorted(stored_during(episode.freezer, episode.started_at, episode.ended_at))
    else:
        return []
    return sorted(set(units.values_list("pk", flat=True)))


@dataclass
class Survey:
    """What a recall reaches and whom it informs, as the preview shows and the action does."""

    source: Source
    units: list[Unit]
    administrations: dict[int, Administration]
    look: LookBack
    recipients: list[Recipient]
    patients: dict[int, Patient]
    staff: dict[int, User]
    lots: dict[int, Collection]
    held: set[int] = field(default_factory=set)  # units an active hold covers already

    def group(self, finding: Finding) -> list[Unit]:
        """The units of one group, in id order."""
        ids = set(self.look.of(finding))
        return [u for u in self.units if u.pk in ids]


def survey(source: Source) -> Survey:
    """Find every unit the recall reaches and every administration already made, group them,
    and list whom to inform."""
    ids = reached_unit_ids(source)
    units = list(
        Unit.objects.filter(pk__in=ids)
        .select_related("chain__course", "collection", "patient")
        .order_by("pk")
    )
    given = {
        a.unit_id: a
        for a in Administration.objects.filter(unit_id__in=ids).select_related("operator")
    }
    look = look_back(
        Reached(
            unit_id=u.pk,
            state=u.status,
            course_id=u.chain.course_id,
            patient_id=u.patient_id,
            lot_id=u.collection_id,
            given=u.pk in given,
        )
        for u in units
    )
    patients = {p.pk: p for p in Patient.objects.filter(pk__in=look.patients)}
    courses = {u.chain.course_id: u.chain.course for u in units}
    physicians, people = _course_physicians(list(courses.values()))
    site_staff = list(
        User.objects.filter(site=source.site, is_active=True, role__in=("physician", "manager"))
    )
    people.update({u.pk: u for u in site_staff})
    recipients = whom_to_inform(
        look,
        contacts=[Contact(p.pk, p.email, p.phone) for p in patients.values()],
        course_patient={c.pk: c.patient_id for c in courses.values()},
        course_physicians=physicians,
        site_physicians=[_staff(u) for u in site_staff if u.role == "physician"],
        managers=[_staff(u) for u in site_staff if u.role == "manager"],
    )
    return Survey(
        source=source,
        units=units,
        administrations=given,
        look=look,
        recipients=recipients,
        patients=patients,
        staff=people,
        lots={u.collection_id: u.collection for u in units},
        held=held_unit_ids([(u.pk, u.collection_id, u.chain_id) for u in units]),
    )


def _staff(user: User) -> Staff:
    return Staff(id=user.pk, role=user.role, active=user.is_active, email=user.email or "")


def _course_physicians(courses: list[Course]) -> tuple[dict[int, list[Staff]], dict[int, User]]:
    """The physicians the care record names for each course: clinicians booked for it, else the
    physician who signed the eligibility decision it started from."""
    if not courses:
        return {}, {}
    booked: dict[int, list[User]] = defaultdict(list)
    for booking in (
        Booking.objects.filter(
            course__in=courses, resource__kind="clinician", resource__staff__isnull=False
        )
        .select_related("resource__staff")
        .order_by("resource__staff_id")
    ):
        person = booking.resource.staff
        assert person is not None
        if person not in booked[booking.course_id]:
            booked[booking.course_id].append(person)
    signers = dict(
        Course.objects.filter(pk__in=[c.pk for c in courses]).values_list(
            "pk", "decision__decided_by"
        )
    )
    deciders = {u.pk: u for u in User.objects.filter(pk__in=set(signers.values()))}
    found: dict[int, list[Staff]] = {}
    people: dict[int, User] = {}
    for course in courses:
        chosen = [u for u in booked[course.pk] if u.role == "physician" and u.is_active]
        if not chosen:
            chosen = [deciders[signers[course.pk]]]
        found[course.pk] = [_staff(u) for u in chosen]
        people.update({u.pk: u for u in chosen})
    return found, people


# ----------------------------------------------------------------------------- pages


@dataclass
class NoticeRow:
    """One person informed, with the delivery state of their message."""

    notice: RecallNotice
    delivery: str  # the outbox state's label, "" when nothing was queued
    reasons: list[str]  # why they are informed, in words


@dataclass
class HoldRow:
    """A hold that covers units of the recall."""

    hold: Hold
    units: int


@dataclass
class RecallPage:
    """Everything the look-back page shows."""

    recall: Recall
    units: list[RecallUnit]
    holds: list[HoldRow]
    notices: list[NoticeRow]
    steps: list[RecallStep]
    still_held: set[int]  # ids of units not given, discarded or expired that a hold covers now

    def group(self, finding: str) -> list[RecallUnit]:
        """The recall's units found in one group."""
        return [u for u in self.units if u.finding == finding]

    @property
    def patient_ids(self) -> set[int]:
        """Every patient the page shows."""
        return {u.unit.patient_id for u in self.units}


def recall_page(site: Site, recall_id: int) -> RecallPage | None:
    """One recall of a clinic with its units, holds, notices (and their delivery) and steps."""
    recall = (
        Recall.objects.filter(pk=recall_id, site=site)
        .select_related(
            "unit",
            "collection__chain",
            "reagent_lot",
            "excursion__freezer",
            "adverse_event",
            "result",
            "opened_by",
            "closed_by",
        )
        .first()
    )
    if recall is None:
        return None
    units = list(
        recall.units.select_related(
            "unit__patient", "unit__collection__chain", "administration__operator"
        ).order_by("unit_id")
    )
    rows = [
        (u.unit_id, u.unit.collection_id, u.unit.chain_id) for u in units if is_open(u.unit.status)
    ]
    ids = [u.unit_id for u in units]
    lots = {u.unit.collection_id for u in units}
    chains = {u.unit.chain_id for u in units}
    own = Q(pk__in=recall.holds.values("pk"))
    covering = Q(lifted_at__isnull=True) & (
        Q(held_units__unit_id__in=ids)
        | Q(scope="lot", collection_id__in=lots)
        | Q(scope="chain", chain_id__in=chains)
    )
    holds = list(
        Hold.objects.filter(pk__in=Hold.objects.filter(own | covering).values("pk"))
        .select_related("placed_by", "lifted_by", "collection__chain", "chain", "unit")
        .annotate(named=Count("held_units"))
        .order_by("placed_at", "pk")
    )
    notices = list(recall.notices.select_related("patient", "user"))
    reasons = dict(choices.REASONS)
    messages = {
        m.pk: m.get_status_display()
        for m in Message.objects.filter(
            pk__in=[n.message_id for n in notices if n.message_id is not None]
        )
    }
    return RecallPage(
        recall=recall,
        units=units,
        holds=[HoldRow(h, getattr(h, "named", 0)) for h in holds],
        notices=[
            NoticeRow(
                n,
                str(messages.get(n.message_id, "")),
                [str(reasons.get(code, code)) for code in n.reasons],
            )
            for n in notices
        ],
        steps=list(recall.steps.select_related("by")),
        still_held=held_unit_ids(rows),
    )


@dataclass
class Overview:
    """The recalls page: open recalls first, then closed ones, and the active holds."""

    recalls: list[Recall]
    holds: list[Hold]
    reagent_lots: list[ReagentLot]


def overview(site: Site) -> Overview:
    """A clinic's recalls (newest first) with their unit counts, and its active QA holds."""
    recalls = list(
        Recall.objects.filter(site=site)
        .select_related("opened_by", "collection__chain", "unit", "reagent_lot")
        .annotate(
            reached=Count("units", distinct=True),
            given=Count("units", filter=Q(units__finding="given"), distinct=True),
        )
        .order_by(F("closed_at").desc(nulls_first=True), "-opened_at", "-pk")[:LIST_LIMIT]
    )
    holds = active_holds(site)
    reagents = list(ReagentLot.objects.filter(site=site).order_by("name", "lot_number"))
    return Overview(recalls, holds, reagents)


def active_holds(site: Site) -> list[Hold]:
    """The site's QA holds not yet lifted, newest first, with how many units each names."""
    return list(
        Hold.objects.filter(site=site, lifted_at__isnull=True)
        .select_related("placed_by", "unit", "collection__chain", "chain")
        .annotate(named=Count("held_units"))
        .order_by("-placed_at", "-pk")
    )


def open_recalls(site: Site) -> list[Recall]:
    """The site's recalls still open, oldest first (the longest-running look-back on top)."""
    return list(
        Recall.objects.filter(site=site, closed_at__isnull=True)
        .select_related("opened_by")
        .order_by("opened_at", "pk")
    )


@dataclass
class HoldView:
    """A hold with the units it covers now (for its lifting page)."""

    hold: Hold
    units: list[Unit]
    before: dict[int, str]  # unit id -> its state when the hold was placed

    @property
    def rows(self) -> list[tuple[Unit, str]]:
        """Each unit with its state before the hold, in words ("" when it was not open then)."""
        states = dict(lab_choices.UNIT_STATES)
        return [(u, str(states.get(self.before.get(u.pk, ""), ""))) for u in self.units]


def hold_view(site: Site, hold_id: int) -> HoldView | None:
    """One hold of a clinic with the units it covers and their state when it was placed."""
    hold = (
        Hold.objects.filter(pk=hold_id, site=site)
        .select_related("placed_by", "lifted_by", "unit", "collection__chain", "chain")
        .first()
    )
    if hold is None:
        return None
    where = Q(holds__hold=hold)
    if hold.scope == "lot":
        where |= Q(collection_id=hold.collection_id)
    elif hold.scope == "chain":
        where |= Q(chain_id=hold.chain_id)
    units = list(Unit.objects.filter(where).select_related("patient").distinct().order_by("pk"))
    before = dict(HeldUnit.objects.filter(hold=hold).values_list("unit_id", "status_before"))
    return HoldView(hold, units, before)


@dataclass(frozen=True)
class LotOffer:
    """What an adverse event's page offers: hold the rest of the unit's lot."""

    unit: Unit
    lot: Collection
    left: int  # units of the lot not yet given, discarded or expired
    held: bool  # an active hold covers the lot already


def lot_offer(event: AdverseEvent) -> LotOffer | None:
    """The offer to hold the rest of the lot of an event's unit (None without a unit)."""
    unit = event.unit or (event.administration.unit if event.administration else None)
    if unit is None:
        return None
    lot = unit.collection
    left = (
        Unit.objects.filter(collection=lot, parent__isnull=False)
        .exclude(status__in=("administered", "discarded", "expired", "divided"))
        .count()
    )
    held = Hold.objects.filter(
        Q(scope="lot", collection=lot) | Q(scope="chain", chain_id=lot.chain_id),
        lifted_at__isnull=True,
    ).exists()
    return LotOffer(unit, lot, left, held)
