"""Demo lab data: freezers for every freezer resource, and at every clinic with a lab technician
one ACS lot at each stage, so a new user sees every lab page at once without back-dating:

- released and stored (its course's first injection is today),
- a failed QC result awaiting QA's disposition,
- processed and stored, awaiting QC results,
- incubating,
- just collected.

Everything goes through the real actions, so the demo's custody and audit trail are genuine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof
from autologic.care.models import Course, Resource
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels, release, storage
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Box, Collection, Freezer, Unit


def seed_lab(site: Site, staff: dict[str, User]) -> None:
    """Create the site's freezers and, where a lab technician works, the demo lots."""
    now = clock.now()
    people = [u for u in staff.values() if u.site_id == site.pk]
    admin = people[0]
    for resource in Resource.objects.filter(site=site, kind="freezer"):
        if not Freezer.objects.filter(resource=resource).exists():
            storage.add_freezer(
                site=site,
                code=resource.code,
                name=resource.name,
                low_c=Decimal("-30"),
                high_c=Decimal("-18"),
                racks=2,
                boxes_per_rack=3,
                resource=resource,
                by=admin,
                now=now,
            )
    tech = next((u for u in people if u.role == "lab_technician"), None)
    if tech is None or Collection.objects.filter(site=site).exists():
        return
    courses = list(
        Course.objects.filter(site=site, status="scheduled", protocol__therapy="acs")
        .select_related("patient", "protocol", "site")
        .order_by("pk")[: len(STAGES)]
    )
    for course, (_name, make) in zip(courses, STAGES, strict=False):
        make(course, tech, now)


def _collect(course: Course, tech: User, at: datetime) -> Collection:
    return lab.record_collection(
        course=course,
        collected_at=at,
        collected_by=tech,
        volume_ml=Decimal("60"),
        containers=lab.planned_units(course),
        container_type="10 mL glass-bead syringe",
        notes="",
        by=tech,
        now=at,
    )


def _processed(course: Course, tech: User, start: datetime) -> tuple[Collection, datetime]:
    """Collect at ``start``, run every processing step, divide, freeze, label and store."""
    lot = _collect(course, tech, start)
    run = lab.start_run(lot, by=tech, now=start)
    t = start
    for key, hours, extra in (
        ("incubation", 9, {"temperature_c": 37.1}),
        ("centrifugation", 0.25, {"g_force": 2000, "spin_min": 10}),
        ("aliquoting", 0.5, {}),
    ):
        end = t + timedelta(hours=hours)
        lab.record_step(run, key=key, values=StepValues(t, end, **extra), by=tech, now=end)
        t = end
    units = lab.divide(
        run,
        count=lab.planned_units(course),
        volume_ml=Decimal("2"),
        cells_million=None,
        by=tech,
        now=t,
    )
    end = t + timedelta(minutes=40)
    lab.record_step(
        run, key="freezing", values=StepValues(t, end, temperature_c=-20.0), by=tech, now=end
    )
    labels.print_labels(units, by=tech, now=end)
    for unit in units:
        labels.set_label_state(unit.labels.get(), state="applied", by=tech, now=end)
    # Frozen units are stored before the release (the gate refuses unstored ones).
    _store(list(Unit.objects.filter(pk__in=[u.pk for u in units])), course.site, tech, end)
    return lot, end


def _store(units: list[Unit], site: Site, tech: User, now: datetime) -> None:
    """Check the units into the first box with room for all of them."""
    for box in Box.objects.filter(rack__freezer__site=site).order_by("pk"):
        try:
            storage.check_in(units, box, by=tech, now=now)
        except DomainError:
            continue
        return


def _results(lot: Collection, tech: User, now: datetime, volume: str) -> None:
    for attribute, value in (("appearance", "conforms"), ("volume", volume), ("il1ra", "2150")):
        release.record_result(lot, attribute=attribute, value=value, by=tech, now=now)


def _released(course: Course, tech: User, now: datetime) -> None:
    """Collected at its booked collection (yesterday), released and stored: today's injection."""
    booked = course.appointments.filter(kind="collection").values_list("starts_at", flat=True)
    start = booked[0] if booked and booked[0] and booked[0] < now - timedelta(hours=12) else None
    lot, end = _processed(course, tech, start or now - timedelta(days=1, hours=4))
    _results(lot, tech, end, volume="2.0")
    if Unit.objects.filter(collection=lot, parent__isnull=False, box=None).exists():
        return  # a clinic without room in its freezer keeps its lot in quarantine
    # The demo technician's signature, given when the demo is seeded.
    release.release_lot(
        lot,
        decision="released",
        proofs=[SignerProof(user=tech, second_factor=True)],
        notes="",
        now=end,
    )


def _failed_qc(course: Course, tech: User, now: datetime) -> None:
    """Processed and stored; a syringe holds too little, and QA decides what the result means."""
    lot, end = _processed(course, tech, now - timedelta(days=1, hours=2))
    _results(lot, tech, end, volume="1.6")


def _awaiting_qc(course: Course, tech: User, now: datetime) -> None:
    """Processed and stored; the QC results are still to be entered."""
    _processed(course, tech, now - timedelta(days=1))


def _incubating(course: Course, tech: User, now: datetime) -> None:
    """Blood collected three hours ago, incubating in its glass-bead syringes."""
    start = now - timedelta(hours=3)
    lot = _collect(course, tech, start)
    run = lab.start_run(lot, by=tech, now=start)
    lab.record_step(run, key="incubation", values=StepValues(start), by=tech, now=start)


def _collected(course: Course, tech: User, now: datetime) -> None:
    """Blood just collected; its processing is not started yet."""
    _collect(course, tech, now - timedelta(minutes=40))


# The stages in the order the lots are made, each with its name in the demo's printed tour.
STAGES: tuple[tuple[str, Callable[[Course, User, datetime], None]], ...] = (
    ("released and stored", _released),
    ("failed QC, awaiting QA", _failed_qc),
    ("processed and stored, awaiting QC", _awaiting_qc),
    ("incubating", _incubating),
    ("collected", _collected),
)
