"""Culture steps and their passages: passage 0 is the culture itself, from seeding to harvest;
passages 1, 2 ... are counts taken during it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from autologic.care import actions as care
from autologic.common.domain.errors import ValidationFailed
from autologic.lab.actions import collection as lab
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Run, StepRecord
from tests.lab.conftest import harvest_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def culture_run(start_course, resources, physician, tech, fixed_clock) -> Run:
    """A marrow harvest for cultured MSC, its processing started."""
    course = start_course("bm-msc-knee")
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    now = fixed_clock.now()
    collection = lab.record_collection(
        course=course,
        collected_at=now,
        collected_by=physician,
        volume_ml=Decimal("100"),
        containers=1,
        container_type="marrow bag",
        notes="",
        by=tech,
        now=now,
        harvest=harvest_for(course, now),
    )
    return lab.start_run(collection, by=tech, now=now)


def counted(start, days: float) -> StepValues:
    return StepValues(
        started_at=start,
        ended_at=start + timedelta(days=days),
        temperature_c=37.0,
        cell_count_million=12.0,
        viability_pct=93.0,
    )


def test_culture_passage_recorded_alone_explains_what_is_missing(culture_run, tech, fixed_clock):
    start = fixed_clock.now()
    fixed_clock.current = start + timedelta(days=21)
    with pytest.raises(ValidationFailed) as refused:
        lab.record_step(
            culture_run,
            key="culture",
            values=counted(start + timedelta(days=14), 1),
            passage=2,
            by=tech,
            now=fixed_clock.now(),
        )
    assert refused.value.field == "passage"
    assert refused.value.code == "culture_not_started"
    assert "passage 0" in refused.value.message and "harvest" in refused.value.message
    assert not StepRecord.objects.filter(run=culture_run).exists()

    # The culture started (passage 0, running), passages follow in order.
    lab.record_step(
        culture_run,
        key="culture",
        values=StepValues(started_at=start),
        by=tech,
        now=fixed_clock.now(),
    )
    with pytest.raises(ValidationFailed) as refused:
        lab.record_step(
            culture_run,
            key="culture",
            values=counted(start + timedelta(days=14), 1),
            passage=2,
            by=tech,
            now=fixed_clock.now(),
        )
    assert refused.value.code == "passage_order" and "passage 1" in refused.value.message
    for passage, day in ((1, 7), (2, 14)):
        lab.record_step(
            culture_run,
            key="culture",
            values=counted(start + timedelta(days=day), 1),
            passage=passage,
            by=tech,
            now=fixed_clock.now(),
        )
    # Dividing says what is still missing: the end of the culture itself.
    with pytest.raises(ValidationFailed) as refused:
        lab.divide(
            culture_run,
            count=1,
            volume_ml=None,
            cells_million=Decimal("40"),
            by=tech,
            now=fixed_clock.now(),
        )
    assert "passage 0" in refused.value.message and "running" in refused.value.message
    running = StepRecord.objects.get(run=culture_run, key="culture", passage=0)
    lab.finish_step(running, values=counted(start, 21), by=tech, now=fixed_clock.now())
    units = lab.divide(
        culture_run,
        count=1,
        volume_ml=None,
        cells_million=Decimal("40"),
        by=tech,
        now=fixed_clock.now(),
    )
    assert len(units) == 1
    culture_run.refresh_from_db()
    assert culture_run.finished_at is not None
