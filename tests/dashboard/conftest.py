"""Home-page fixtures: the care fixtures (clinic, clock, resources, courses)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from autologic.care import actions as care
from autologic.lab.actions import collection as lab
from autologic.lab.domain.processing import StepValues
from tests.care.conftest import fixed_clock, knee, resources, start_course  # noqa: F401


@pytest.fixture
def scheduled(start_course, resources, physician, fixed_clock):
    course = start_course("acs-large-joint", regions=[knee()])
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    return course


@pytest.fixture
def nurse_user(make_staff):
    return make_staff("nurse")


@pytest.fixture
def running_lot(scheduled, make_staff, physician, fixed_clock):
    """A collected lot whose incubation has been running for two hours; returns the technician."""
    tech = make_staff("lab_technician")
    now = fixed_clock.now()
    lot = lab.record_collection(
        course=scheduled,
        collected_at=now,
        collected_by=physician,
        volume_ml=Decimal("60"),
        containers=6,
        container_type="10 mL glass-bead syringe",
        notes="",
        by=tech,
        now=now,
    )
    run = lab.start_run(lot, by=tech, now=now)
    lab.record_step(
        run, key="incubation", values=StepValues(now, None, temperature_c=37.0), by=tech, now=now
    )
    fixed_clock.current = now + timedelta(hours=2)
    return tech


@pytest.fixture
def world_for_manager(scheduled, make_staff, physician, fixed_clock):
    from autologic.lab.actions import storage
    from autologic.recalls import actions as recalls
    from autologic.recalls.domain import Origin
    from autologic.recalls.queries import Source

    tech = make_staff("lab_technician")
    manager = make_staff("manager")
    now = fixed_clock.now()
    lot = lab.record_collection(
        course=scheduled,
        collected_at=now,
        collected_by=physician,
        volume_ml=Decimal("60"),
        containers=6,
        container_type="syringe",
        notes="",
        by=tech,
        now=now,
    )
    run = lab.start_run(lot, by=tech, now=now)
    t = now
    for key, hours, extra in [
        ("incubation", 12, {"temperature_c": 37.0}),
        ("centrifugation", 0.3, {"g_force": 2000, "spin_min": 10}),
        ("aliquoting", 0.5, {}),
    ]:
        end = t + timedelta(hours=hours)
        lab.record_step(run, key=key, values=StepValues(t, end, **extra), by=tech, now=end)
        t = end
    lab.divide(run, count=2, volume_ml=Decimal(2), cells_million=None, by=tech, now=t)
    freezer = storage.add_freezer(
        site=scheduled.site,
        code="fz",
        name="Freezer A",
        low_c=Decimal(-30),
        high_c=Decimal(-18),
        racks=1,
        boxes_per_rack=1,
        by=tech,
        now=t,
    )
    storage.record_readings(freezer, [(t, -5.0)], source="manual", by=tech, now=t)
    recalls.open_recall(
        Source(Origin.LOT, lot.site, collection=lot), reason="Supplier notice.", by=tech, now=t
    )
    fixed_clock.current = t
    return manager, lot
