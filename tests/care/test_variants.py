"""A hip course chooses its harvest route when it starts (seed 004: "harvested from the pelvic
bone marrow or abdominal fat tissue ... multiplied if needed"); the course follows the variant."""

from __future__ import annotations

import pytest

from autologic.care import actions
from autologic.care.models import Course
from autologic.common.domain.errors import ValidationFailed
from tests.care.conftest import knee
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

HIP = {**knee("right", 2), "region": "hip"}


def test_a_marrow_cultured_course_gives_its_first_injection_14_to_28_days_after_harvest(
    start_course, resources, physician
):
    course = start_course("cells-hip", regions=[HIP], variant="marrow-cultured")
    assert course.plan.product.code == "CELLS-HIP-MSC"
    outcome = actions.schedule_course(course=course, by=physician, expected_version=course.version)
    assert outcome.ok, outcome.explanation
    harvest = course.appointments.get(kind="collection")
    first = course.appointments.get(key="inj1")
    assert 14 <= (first.starts_at.date() - harvest.starts_at.date()).days <= 28
    assert list(course.appointments.filter(kind="processing").values_list("key", flat=True)) == [
        "culture"
    ]


def test_the_base_hip_course_injects_on_the_harvest_day(start_course, resources, physician):
    course = start_course("cells-hip", regions=[HIP])
    assert course.variant == "" and course.plan is course.protocol.protocol
    assert actions.schedule_course(course=course, by=physician, expected_version=course.version).ok
    harvest = course.appointments.get(kind="collection")
    first = course.appointments.get(key="inj1")
    assert first.starts_at.date() == harvest.starts_at.date()


def test_an_adipose_course_plans_a_fat_harvest_and_its_kits(start_course, physician):
    course = start_course("cells-hip", regions=[HIP], variant="adipose")
    keys = list(course.appointments.filter(kind="processing").values_list("key", flat=True))
    assert keys == ["washing", "svf-separation"]
    html = signed_in(physician).get(f"/care/courses/{course.pk}/").content.decode()
    assert "Abdominal fat (lipoaspiration)" in html
    assert "Lipoaspiration kit (cannula and syringes)" in html
    assert "Fat harvest" in html


def test_an_unknown_variant_is_refused_at_its_field(start_course):
    decision = start_course("cells-hip", regions=[HIP]).decision
    with pytest.raises(ValidationFailed) as refused:
        actions.create_course(
            decision=decision,
            injections=1,
            guidance="ultrasound",
            earliest_start=decision.decided_at.date(),
            notes="",
            by=decision.decided_by,
            variant="placenta",
        )
    assert refused.value.field == "variant" and refused.value.code == "variant_not_offered"
    assert "adipose, marrow-cultured" in refused.value.message
    assert Course.objects.count() == 1


def test_the_course_form_offers_the_protocols_variants_by_name(start_course, make_staff, patient):
    decision = start_course("cells-hip", regions=[HIP]).decision
    coordinator = signed_in(make_staff("coordinator"))
    url = f"/care/patients/{patient.pk}/decisions/{decision.pk}/course/"
    page = coordinator.get(url).content.decode()
    assert "As the protocol describes: Bone-marrow harvest" in page
    assert 'value="adipose"' in page and "Abdominal fat (lipoaspiration)" in page
    assert "Pelvic marrow, cells multiplied in culture" in page
    fields = {"injections": "1", "guidance": "ultrasound", "earliest_start": "2026-11-24"}
    bad = coordinator.post(url, {**fields, "variant": "placenta"})
    assert bad.status_code == 400 and "placenta" in bad.content.decode()
    made = coordinator.post(url, {**fields, "variant": "adipose"})
    assert made.status_code == 302
    assert Course.objects.latest("id").variant == "adipose"


def test_a_knee_protocol_without_variants_asks_for_none(start_course, make_staff, patient):
    decision = start_course().decision
    coordinator = signed_in(make_staff("coordinator"))
    page = coordinator.get(f"/care/patients/{patient.pk}/decisions/{decision.pk}/course/")
    assert 'name="variant"' not in page.content.decode()
