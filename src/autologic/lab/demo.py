"""Demo lab data: freezers for every freezer resource, and two ACS lots in Düsseldorf.

Everything goes through the real actions, so the demo's custody and audit trail are genuine.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof
from autologic.care.models import Course, Resource
from autologic.common import clock
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels, release, storage
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Box, Collection, Freezer


def seed_lab(site: Site, staff: dict[str, User]) -> None:
    """Create the site's freezers and, where a lab technician works, two demo lots."""
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
        .select_related("patient")
        .order_by("pk")[:2]
    )
    if len(courses) >= 1:
        _released_lot(courses[0], tech, now)
    if len(courses) >= 2:
        _incubating_lot(courses[1], tech, now)


def _released_lot(course: Course, tech: User, now: datetime) -> None:
    start = now - timedelta(days=1, hours=4)
    lot = lab.record_collection(
        course=course,
        collected_at=start,
        collected_by=tech,
        volume_ml=Decimal("60"),
        containers=lab.planned_units(course),
        container_type="10 mL glass-bead syringe",
        notes="",
        by=tech,
        now=start,
    )
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
    for attribute, value in (("appearance", "conforms"), ("volume", "2.0"), ("il1ra", "2150")):
        release.record_result(lot, attribute=attribute, value=value, by=tech, now=end)
    # Frozen units are stored before the release (the gate refuses unstored ones).
    box = Box.objects.filter(rack__freezer__site=course.site).order_by("pk").first()
    if box is None:
        return  # a clinic without a freezer keeps its lot in quarantine
    storage.check_in(units, box, by=tech, now=end)
    # The demo technician's signature, given when the demo is seeded.
    release.release_lot(
        lot,
        decision="released",
        proofs=[SignerProof(user=tech, second_factor=True)],
        notes="",
        now=end,
    )


def _incubating_lot(course: Course, tech: User, now: datetime) -> None:
    start = now - timedelta(hours=3)
    lot = lab.record_collection(
        course=course,
        collected_at=start,
        collected_by=tech,
        volume_ml=Decimal("60"),
        containers=lab.planned_units(course),
        container_type="10 mL glass-bead syringe",
        notes="",
        by=tech,
        now=start,
    )
    run = lab.start_run(lot, by=tech, now=start)
    lab.record_step(run, key="incubation", values=StepValues(start), by=tech, now=start)
