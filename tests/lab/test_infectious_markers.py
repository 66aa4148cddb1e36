"""Infectious-disease markers in the lab (issue 15): the donation's status is set when the
collection is recorded, the protocol blocks processing or only marks the product, and an untested
or reactive product is stored apart from tested-negative ones."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from autologic.audit.models import AuditEvent
from autologic.clinical import actions as clinical
from autologic.clinical.models import MarkerTest
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.lab.actions import collection as lab
from autologic.lab.actions import storage
from autologic.lab.models import Box, Collection, Unit
from tests.conftest import signed_in

from .conftest import NOW, harvest_for


def record_marker(patient, by, marker: str, result: str, on: date = date(2026, 11, 20)):
    return clinical.add_record(
        kind="marker_test",
        patient=patient,
        data={"marker": marker, "sampled_on": on, "result": result, "method": "CMIA"},
        by=by,
    )


def collect(course, by):
    return lab.record_collection(
        course=course,
        collected_at=NOW,
        collected_by=by,
        volume_ml=Decimal("60"),
        containers=6,
        container_type="10 mL glass-bead syringe",
        notes="",
        by=by,
        now=NOW,
        harvest=harvest_for(course, NOW),
    )


BASE = ("hiv_1_2", "hbsag", "anti_hbc", "hcv", "syphilis")


def test_infectious_markers_set_the_collection_status_when_recorded(
    start_course, tech, physician, patient, make_staff
):
    course = start_course()  # every marker negative
    assert collect(course, tech).infectious == "negative"
    event = AuditEvent.objects.filter(action="collection.record").last()
    assert event.changes["infectious"] == "negative"


def test_infectious_markers_missing_mark_an_acs_product_not_evaluated(
    start_course, tech, physician, patient
):
    course = start_course(skip=("markers",))
    for marker in BASE[:4]:
        record_marker(patient, physician, marker, "negative")
    lot = collect(course, tech)
    assert lot.infectious == "not_evaluated"
    assert AuditEvent.objects.filter(action="collection.record").last().changes[
        "markers_missing"
    ] == ["syphilis"]
    lab.start_run(lot, by=tech, now=NOW)  # ACS: a gap only marks the product


def test_infectious_markers_reactive_marks_an_acs_product_biohazard(
    start_course, tech, physician, patient
):
    course = start_course(skip=("markers",))
    for marker in BASE:
        record_marker(patient, physician, marker, "reactive" if marker == "hcv" else "negative")
    lot = collect(course, tech)
    assert lot.infectious == "reactive"
    lab.start_run(lot, by=tech, now=NOW)


def test_infectious_markers_block_processing_where_the_protocol_says_so(
    start_course, tech, physician, patient
):
    """Cultured MSC: a missing marker stops processing until its result is recorded, and a
    result that arrives for the sample taken at the collection moves the lot's status on."""
    course = start_course("bm-msc-knee", skip=("markers",))
    for marker in (*BASE, "htlv_1_2"):
        record_marker(
            patient,
            physician,
            marker,
            "pending" if marker == "hbsag" else "negative",
            on=date(2026, 11, 21),
        )
    lot = collect(course, tech)
    assert lot.infectious == "not_evaluated"
    with pytest.raises(ValidationFailed) as refused:
        lab.start_run(lot, by=tech, now=NOW)
    assert (refused.value.code, refused.value.data["markers"]) == ("markers_missing", "hbsag")
    pending = MarkerTest.objects.get(patient=patient, marker="hbsag")
    clinical.update_record(
        kind="marker_test",
        patient=patient,
        record_id=pending.pk,
        data={"result": "negative"},
        by=physician,
    )
    lab.start_run(lot, by=tech, now=NOW + timedelta(hours=1))
    lot.refresh_from_db()
    assert lot.infectious == "negative"
    assert AuditEvent.objects.filter(action="collection.infectious").last().changes == {
        "infectious": ["not_evaluated", "negative"]
    }


def test_infectious_markers_reactive_blocks_cultured_cells(start_course, tech, physician, patient):
    course = start_course("bm-msc-knee", skip=("markers",))
    for marker in (*BASE, "htlv_1_2"):
        record_marker(patient, physician, marker, "reactive" if marker == "hiv_1_2" else "negative")
    lot = collect(course, tech)
    assert lot.infectious == "reactive"
    with pytest.raises(ValidationFailed) as refused:
        lab.start_run(lot, by=tech, now=NOW)
    assert refused.value.code == "markers_reactive"


def test_infectious_markers_result_is_never_overwritten(physician, patient):
    row = record_marker(patient, physician, "hcv", "reactive")
    with pytest.raises(ConflictError):
        clinical.update_record(
            kind="marker_test",
            patient=patient,
            record_id=row.pk,
            data={"result": "negative"},
            by=physician,
        )
    row.refresh_from_db()
    assert row.result == "reactive"


def test_infectious_markers_product_stored_apart_check_in_refuses_to_mix(
    make_lot, tech, physician, patient, freezer, make_staff
):
    """An untested lot's units never share a box with tested-negative ones."""
    from autologic.patients import actions as patients
    from tests.conftest import patient_data

    other = patients.create_patient(
        site=patient.site, data=patient_data(family_name="Weber"), by=physician
    )
    untested = make_lot(who=other)
    Collection.objects.filter(pk=untested.pk).update(infectious="not_evaluated")
    tested = make_lot()
    assert tested.infectious == "negative"
    b1, b2 = Box.objects.get(code="B1"), Box.objects.get(code="B2")
    units = list(Unit.objects.filter(collection=untested, parent__isnull=False))
    with pytest.raises(ValidationFailed) as refused:
        storage.check_in(units, b1, by=tech, now=NOW)
    assert refused.value.code == "box_infectious_mismatch"
    assert not Unit.objects.filter(box=b1).exists()

    storage.set_box_infectious(b2, "not_evaluated", by=tech, now=NOW)
    storage.check_in(units, b2, by=tech, now=NOW)
    clean = list(Unit.objects.filter(collection=tested, parent__isnull=False))
    with pytest.raises(ValidationFailed):
        storage.check_in(clean, b2, by=tech, now=NOW)
    storage.check_in(clean, b1, by=tech, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        storage.set_box_infectious(b2, "negative", by=tech, now=NOW)
    assert refused.value.code == "box_not_empty"


def test_infectious_markers_box_page_keeps_a_box_for_untested_products(tech, freezer):
    box = Box.objects.get(code="B2")
    client = signed_in(tech)
    response = client.post(f"/lab/storage/boxes/{box.pk}/keep/", {"infectious": "reactive"})
    assert response.status_code == 302
    box.refresh_from_db()
    assert box.infectious == "reactive"
    page = client.get(f"/lab/storage/boxes/{box.pk}/").content.decode()
    assert 'data-box-infectious="reactive"' in page
    assert client.post(f"/lab/storage/boxes/{box.pk}/keep/", {"infectious": "x"}).status_code == 302
    box.refresh_from_db()
    assert box.infectious == "reactive"
