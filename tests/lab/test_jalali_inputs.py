"""A Jalali clinic types the lab's times and dates in Jalali (Persian digits too): collection,
processing steps, reagent lot expiry and freezer readings are stored as the right UTC instant or
day. A Gregorian clinic types as before.

The clinic of these fixtures keeps Europe/Berlin time (UTC+1 in November); the Jalali days were
checked against a Jalali calendar: 2026-11-21 is 1405/08/30 (30 Aban 1405), 2026-11-22 is
1405/09/01, 2027-05-31 is 1406/03/10."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from autologic.lab.actions import collection as lab
from autologic.lab.models import Collection, Reading, ReagentUse, StepRecord
from tests.conftest import signed_in

from .conftest import NOW


def jalali(site) -> None:
    site.calendar = "jalali"
    site.save(update_fields=["calendar"])


def collection_form(at: str, tech) -> dict[str, str]:
    return {
        "collected_at": at,
        "collected_by": str(tech.pk),
        "volume_ml": "60",
        "containers": "1",
        "container_type": "Syringe",
    }


def test_a_jalali_clinic_types_the_collection_time_in_jalali(start_course, tech, fixed_clock):
    course = start_course()
    jalali(course.site)
    fixed_clock.current = NOW + timedelta(days=1)  # 2026-11-22 09:00 UTC, 10:00 in Berlin
    client = signed_in(tech)
    url = f"/lab/courses/{course.pk}/collect/"
    page = client.get(url).content.decode()
    assert "datetime-local" not in page
    assert 'value="1405/09/01 10:00"' in page and 'placeholder="1405/01/01 14:30"' in page
    response = client.post(url, collection_form("۱۴۰۵/۰۸/۳۰ ۱۱:۱۵", tech))
    assert response.status_code == 302, response.context["form"].errors
    stored = Collection.objects.get(course=course).collected_at
    assert stored == datetime(2026, 11, 21, 10, 15, tzinfo=UTC)


def test_a_refused_collection_time_names_the_field_and_keeps_what_was_typed(
    start_course, tech, fixed_clock
):
    course = start_course()
    jalali(course.site)
    client = signed_in(tech)
    response = client.post(
        f"/lab/courses/{course.pk}/collect/", collection_form("۱۴۰۵/۱۲/۳۰ ۱۱:۱۵", tech)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["collected_at"] == [
        "Collected at: 1405/12/30 is not a real date."  # Esfand 1405 has 29 days
    ]
    assert 'value="۱۴۰۵/۱۲/۳۰ ۱۱:۱۵"' in response.content.decode()
    assert not Collection.objects.filter(course=course).exists()


def test_a_gregorian_clinic_types_the_collection_time_as_before(start_course, tech, fixed_clock):
    course = start_course()
    fixed_clock.current = NOW + timedelta(days=1)
    client = signed_in(tech)
    page = client.get(f"/lab/courses/{course.pk}/collect/").content.decode()
    assert 'value="2026-11-22 10:00"' in page
    response = client.post(
        f"/lab/courses/{course.pk}/collect/", collection_form("2026-11-21T11:15", tech)
    )
    assert response.status_code == 302
    stored = Collection.objects.get(course=course).collected_at
    assert stored == datetime(2026, 11, 21, 10, 15, tzinfo=UTC)


@pytest.fixture
def running_lot(start_course, resources, tech, physician, fixed_clock):
    from autologic.care import actions as care

    course = start_course()
    care.schedule_course(course=course, by=physician, expected_version=course.version)
    lot = lab.record_collection(
        course=course,
        collected_at=NOW,
        collected_by=physician,
        volume_ml=Decimal(60),
        containers=6,
        container_type="s",
        notes="",
        by=tech,
        now=NOW,
    )
    lab.start_run(lot, by=tech, now=NOW)
    fixed_clock.current = NOW + timedelta(hours=3)
    return lot


def test_a_jalali_clinic_types_processing_step_times_in_jalali(running_lot, tech):
    jalali(running_lot.site)
    client = signed_in(tech)
    page = client.get(f"/lab/lots/{running_lot.pk}/").content.decode()
    assert 'data-calendar="jalali"' in page and "datetime-local" not in page
    response = client.post(
        f"/lab/lots/{running_lot.pk}/step/",
        {
            "key": "incubation",
            "passage": "0",
            "started_at": "۱۴۰۵/۰۸/۳۰ ۱۰:۰۵",
            "ended_at": "1405/08/30 11:10",
            "temperature_c": "37",
        },
    )
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    step = StepRecord.objects.get(run__collection=running_lot, key="incubation")
    assert step.started_at == datetime(2026, 11, 21, 9, 5, tzinfo=UTC)
    assert step.ended_at == datetime(2026, 11, 21, 10, 10, tzinfo=UTC)


def test_a_jalali_clinic_types_a_reagent_lots_expiry_in_jalali(running_lot, tech):
    jalali(running_lot.site)
    response = signed_in(tech).post(
        f"/lab/lots/{running_lot.pk}/reagents/",
        {
            "reagent-kind": "kit",
            "reagent-name": "Ficoll-Paque",
            "reagent-lot_number": "L-77",
            "reagent-manufacturer": "",
            "reagent-expires_on": "۱۴۰۶/۰۳/۱۰",
            "reagent-step": "",
        },
    )
    assert response.status_code in (200, 302)
    used = ReagentUse.objects.get(collection=running_lot)
    assert used.reagent_lot.expires_on == date(2027, 5, 31)


def test_a_jalali_clinic_types_a_freezer_reading_time_in_jalali(freezer, tech, fixed_clock):
    jalali(freezer.site)
    client = signed_in(tech)
    response = client.post(
        f"/lab/storage/freezers/{freezer.pk}/readings/",
        {"at": "۱۴۰۵/۰۸/۳۰ ۰۹:۴۵", "celsius": "-25"},
    )
    assert response.status_code == 302
    assert Reading.objects.get(freezer=freezer).at == datetime(2026, 11, 21, 8, 45, tzinfo=UTC)
