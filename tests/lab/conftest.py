"""Lab fixtures: the care fixtures (clinic, clock, courses), a freezer and lab staff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from autologic.audit.actions import SignerProof
from autologic.care import actions as care
from autologic.common.domain.errors import DomainError
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels
from autologic.lab.actions import release as qa
from autologic.lab.actions.storage import add_freezer, check_in
from autologic.lab.domain.collection import Harvest
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Box, Collection, Freezer, Unit
from tests.care.conftest import NOW, fixed_clock, knee, resources, start_course  # noqa: F401


@pytest.fixture
def tech(make_staff):
    return make_staff("lab_technician")


@pytest.fixture
def manager(make_staff):
    return make_staff("manager")


def a_freezer(
    site,
    resources,
    manager,
    *,
    boxes: int,
    code: str = "fz-1",
    name: str = "Freezer 1",
    now: datetime = NOW,
) -> Freezer:
    """A −20 °C freezer (alarm below −30 °C and above −18 °C) of one rack of ``boxes`` 3×3
    boxes, on the clinic's freezer resource, added by the manager."""
    return add_freezer(
        site=site,
        code=code,
        name=name,
        low_c=Decimal("-30"),
        high_c=Decimal("-18"),
        racks=1,
        boxes_per_rack=boxes,
        rows=3,
        cols=3,
        resource=resources["freezer-1"],
        by=manager,
        now=now,
    )


@pytest.fixture
def freezer(site, resources, manager) -> Freezer:
    return a_freezer(site, resources, manager, boxes=2)


def harvest_for(course, collected_at) -> Harvest:
    """A harvest record that meets the course's protocol: fasted 8 h, its anaesthesia (with the
    sedation agent where sedated), discharged after the recovery time."""
    needs = lab.harvest_needs(course.plan)
    return Harvest(
        last_intake_at=collected_at - timedelta(hours=8) if needs.fasting_h else None,
        anaesthesia="" if needs.anaesthesia == "none" else needs.anaesthesia,
        sedation_agent="Propofol 60 mg" if needs.anaesthesia == "local_sedation" else "",
    )


def proof(user) -> SignerProof:
    return SignerProof(user=user, second_factor=True)


ACS_STEPS = [
    ("incubation", {"hours": 12, "temperature_c": 37.0}),
    ("centrifugation", {"hours": 0.3, "g_force": 2000, "spin_min": 10}),
    ("aliquoting", {"hours": 0.5}),
]


@pytest.fixture
def make_lot(
    start_course, resources, tech, physician, fixed_clock, freezer
) -> Callable[..., Collection]:
    """Collect, process, divide, label and (when frozen) store an ACS (or other) course's
    product, ready for QC: the release gate needs every frozen unit in a freezer box."""

    def make(
        code: str = "acs-large-joint",
        *,
        steps: list[tuple[str, dict[str, Any]]] | None = None,
        count: int | None = None,
        regions=None,
        who=None,
        injections: int | None = None,
        store: bool = False,
        variant: str = "",
    ) -> Collection:
        course = start_course(
            code, regions=regions, who=who, injections=injections, variant=variant
        )
        outcome = care.schedule_course(course=course, by=physician, expected_version=course.version)
        assert outcome.ok, outcome.explanation
        course.refresh_from_db()
        now = fixed_clock.now()
        collection = lab.record_collection(
            course=course,
            collected_at=now,
            collected_by=physician,
            volume_ml=Decimal("60"),
            containers=6,
            container_type="10 mL glass-bead syringe",
            notes="",
            by=tech,
            now=now,
            harvest=harvest_for(course, now),
        )
        run = lab.start_run(collection, by=tech, now=now)
        start = now
        protocol = course.plan
        plan = (
            steps
            if steps is not None
            else (
                ACS_STEPS
                if protocol.therapy == "acs"
                else [
                    (
                        s.key,
                        {
                            "hours": s.hours.target or s.hours.min,
                            "temperature_c": 37.0,
                            "cell_count_million": 40.0,
                            "viability_pct": 92.0,
                            "g_force": s.g_force,
                            "spin_min": s.spin_min,
                        },
                    )
                    for s in protocol.processing
                ]
            )
        )
        for key, spec in plan:
            end = start + timedelta(hours=spec["hours"])
            fixed_clock.current = end
            values = StepValues(
                started_at=start,
                ended_at=end,
                **{k: v for k, v in spec.items() if k != "hours"},
            )
            lab.record_step(run, key=key, values=values, by=tech, now=end)
            start = end
        units = lab.divide(
            run,
            count=count or lab.planned_units(course),
            volume_ml=Decimal("2") if protocol.product.storage.condition == "frozen" else None,
            cells_million=None if protocol.therapy == "acs" else Decimal("40"),
            by=tech,
            now=fixed_clock.now(),
        )
        if protocol.therapy == "acs":
            end = fixed_clock.now() + timedelta(hours=1)
            fixed_clock.current = end
            lab.record_step(
                run,
                key="freezing",
                values=StepValues(end - timedelta(hours=1), end, temperature_c=-20.0),
                by=tech,
                now=end,
            )
        labels.print_labels(units, by=tech, now=fixed_clock.now())
        for label in [u.labels.get() for u in Unit.objects.filter(pk__in=[u.pk for u in units])]:
            labels.set_label_state(label, state="applied", by=tech, now=fixed_clock.now())
        if store and units[0].frozen:
            store_units(collection, tech, fixed_clock.now())
        return collection

    return make


def store_units(collection: Collection, by, now) -> None:
    """Check the lot's frozen units into the first box that takes them (storing apart refuses
    a reactive donation in an ordinary box, and a full box refuses them all)."""
    units = list(Unit.objects.filter(collection=collection, parent__isnull=False, box=None))
    for box in Box.objects.order_by("pk"):
        try:
            check_in(units, box, by=by, now=now)
        except DomainError:
            continue
        return
    raise AssertionError("no box can take the lot")


def pass_qc(collection: Collection, by) -> None:
    """Enter passing results for every row of the lot's release specification."""
    spec = collection.course.plan.release
    values = {
        ">=": lambda r: str(r.limit),
        "<=": lambda r: str(r.limit),
        ">": lambda r: str(r.limit + 1),
        "<": lambda r: str(r.limit / 2),
        "=": lambda r: str(r.limit),
        "between": lambda r: str(r.limit),
        "not_detected": lambda r: "not detected",
        "conforms": lambda r: "conforms",
        "report": lambda r: "100",
    }
    for row in spec.specification:
        qa.record_result(
            collection,
            attribute=row.attribute,
            value=values[row.operator](row),
            by=by,
            now=NOW + timedelta(days=1),
        )
