"""Height and weight at an assessment, and the body-mass index the registry filters by."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autologic.audit.models import AuditEvent
from autologic.clinical.domain.body import bmi, check_body
from autologic.clinical.models import Assessment
from autologic.common.domain.errors import ValidationFailed
from tests.conftest import signed_in

HEADER = {"assessed_on": "2026-11-02", "complaint": "Knee pain", "anaesthesia_risk": "ASA2"}


def test_bmi_is_weight_over_height_squared() -> None:
    # WHO: 70 kg at 1.75 m = 22.857...; 100 kg at 2.00 m = 25 exactly.
    assert bmi(175, Decimal("70")) == pytest.approx(70 / 1.75**2)
    assert bmi(200, 100.0) == 25.0
    assert bmi(None, Decimal("70")) is None and bmi(175, None) is None


@pytest.mark.parametrize(
    "height,weight,field",
    [(17, None, "height_cm"), (240, None, "height_cm"), (170, Decimal("7.2"), "weight_kg")],
)
def test_an_implausible_measurement_is_refused_by_field(height, weight, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_body(height, weight)
    assert caught.value.field == field


@pytest.mark.django_db
def test_recorded_at_the_assessment_and_shown_with_the_bmi(physician, patient) -> None:
    client = signed_in(physician)
    url = f"/clinical/{patient.pk}/assessments/new/"
    refused = client.post(url, {**HEADER, "height_cm": "17", "weight_kg": "72.3"})
    assert refused.status_code == 400
    assert list(refused.context["form"].errors) == ["height_cm"]
    assert not Assessment.objects.exists()
    assert client.post(url, {**HEADER, "height_cm": "170", "weight_kg": "72.3"}).status_code == 302
    row = Assessment.objects.get()
    assert (row.height_cm, row.weight_kg) == (170, Decimal("72.3"))
    assert row.bmi == pytest.approx(72.3 / 1.7**2)
    event = AuditEvent.objects.get(action="assessment.create")
    assert event.changes["height_cm"] == [None, 170]
    page = client.get(f"/clinical/{patient.pk}/").content.decode()
    assert 'data-testid="bmi"' in page and "25.0" in page
