"""The structured MRI cartilage reading (claims.md C3): an MRI study may carry the radiologist's
reading of the cartilage compared with the previous MRI, how it was measured and who read it.
The form and the action refuse an incomplete reading, and the database refuses it too."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from autologic.audit.models import AuditEvent
from autologic.clinical import actions
from autologic.clinical.models import ImagingStudy
from autologic.common.domain.errors import ValidationFailed
from tests.conftest import signed_in

MRI = {
    "modality": "cartigram_mri",
    "region": "knee",
    "side": "left",
    "performed_on": "2026-10-02",
    "findings": "Medial femoral condyle: T2 relaxation times lower than in the previous study.",
}


@pytest.mark.django_db
def test_a_physician_records_an_mri_with_its_cartilage_reading(patient, physician) -> None:
    client = signed_in(physician)
    url = f"/clinical/{patient.pk}/imaging/new/"
    assert "Cartilage compared with the previous MRI" in client.get(url).content.decode()
    response = client.post(url, {**MRI, "cartilage": "improved"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"cartilage_measure", "read_by"}
    reading = {
        **MRI,
        "cartilage": "improved",
        "cartilage_measure": "t2_map",
        "read_by": "Dr. Amiri",
    }
    assert client.post(url, reading).status_code == 302
    row = ImagingStudy.objects.get()
    assert (row.cartilage, row.cartilage_measure, row.read_by) == (
        "improved",
        "t2_map",
        "Dr. Amiri",
    )
    event = AuditEvent.objects.get(action="imaging.create")
    assert event.changes["cartilage"] == [None, "improved"]
    page = client.get(f"/clinical/{patient.pk}/").content.decode()
    assert 'data-testid="cartilage-reading"' in page and "Improved" in page


@pytest.mark.django_db
def test_an_xray_carries_no_cartilage_reading(patient, physician) -> None:
    client = signed_in(physician)
    url = f"/clinical/{patient.pk}/imaging/new/"
    xray = {**MRI, "modality": "xray", "cartilage": "worse", "cartilage_measure": "volume"}
    response = client.post(url, {**xray, "read_by": "Dr. Amiri"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["cartilage"]
    assert not ImagingStudy.objects.exists()


@pytest.mark.django_db
def test_the_action_and_the_database_refuse_an_incomplete_reading(patient, physician) -> None:
    data = {**MRI, "performed_on": date(2026, 10, 2), "cartilage": "improved"}
    with pytest.raises(ValidationFailed) as caught:
        actions.add_record(kind="imaging", patient=patient, data=data, by=physician)
    assert caught.value.field == "cartilage_measure"
    with pytest.raises(ValidationFailed) as caught:
        actions.add_record(
            kind="imaging",
            patient=patient,
            data={**data, "modality": "ultrasound", "cartilage_measure": "volume", "read_by": "X"},
            by=physician,
        )
    assert caught.value.field == "cartilage"
    assert not ImagingStudy.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        ImagingStudy.objects.create(
            site=patient.site,
            patient=patient,
            recorded_by=physician,
            recorded_at="2026-10-02T10:00:00Z",
            modality="mri",
            region="knee",
            performed_on=date(2026, 10, 2),
            findings="x",
            cartilage="improved",
        )
