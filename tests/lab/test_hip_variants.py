"""The lab follows the course's variant: an adipose hip course is a lipoaspirate, processed by
washing and separating the stromal vascular fraction, never by the marrow steps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autologic.common.domain.errors import DomainError
from autologic.lab.actions import collection as lab
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import StepRecord
from autologic.lab.queries import release_gate
from tests.care.conftest import knee

pytestmark = pytest.mark.django_db

HIP = {**knee("right", 2), "region": "hip"}


def test_an_adipose_hip_course_records_a_lipoaspirate_and_its_own_steps(make_lot):
    lot = make_lot("cells-hip", regions=[HIP], variant="adipose")
    assert lot.kind == "lipoaspirate"
    assert lot.course.variant == "adipose"
    keys = list(StepRecord.objects.filter(run__collection=lot).values_list("key", flat=True))
    assert keys == ["washing", "svf-separation"]
    # Released against the base specification (the variant keeps it), not the cultured one.
    gate = " ".join(str(b) for b in release_gate(lot))
    assert "Appearance" in gate and "Mycoplasma" not in gate


def test_an_adipose_lot_refuses_the_marrow_step(
    start_course, resources, physician, tech, fixed_clock
):
    from autologic.care import actions as care
    from tests.lab.conftest import harvest_for

    course = start_course("cells-hip", regions=[HIP], variant="adipose")
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    now = fixed_clock.now()
    collection = lab.record_collection(
        course=course,
        collected_at=now,
        collected_by=physician,
        volume_ml=Decimal("60"),
        containers=1,
        container_type="Lipoaspirate canister",
        notes="",
        by=tech,
        now=now,
        harvest=harvest_for(course, now),
    )
    assert collection.kind == "lipoaspirate"
    run = lab.start_run(collection, by=tech, now=now)
    base_step = course.protocol.protocol.processing[0].key
    assert base_step not in {"washing", "svf-separation"}
    with pytest.raises(DomainError):
        lab.record_step(run, key=base_step, values=StepValues(now), by=tech, now=now)
    lab.record_step(run, key="washing", values=StepValues(now), by=tech, now=now)
    assert StepRecord.objects.get(run=run).key == "washing"
