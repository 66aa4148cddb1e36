"""A Jalali clinic types every clinical-record date in Jalali (Persian digits too) and the right
day is stored; the inputs are text fields with a Jalali example, not the browser's Gregorian
picker. Days checked against a Jalali calendar: 1404/06/15 is 2025-09-06, 1404/07/01 is
2025-09-23 (1 Mehr), 1405/07/20 is 2026-10-12."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.accounts.roles import Role
from autologic.clinical.models import (
    Assessment,
    Authorisation,
    ImagingStudy,
    MarkerTest,
    Medication,
    PreopStudy,
)
from autologic.patients import actions as patients
from tests.conftest import patient_data, signed_in

RECORDS = [
    (
        "imaging",
        {"modality": "mri", "region": "knee", "side": "left", "findings": "Grade 2 changes."},
        ImagingStudy,
        {"performed_on": ("۱۴۰۴/۰۶/۱۵", date(2025, 9, 6))},
    ),
    (
        "medication",
        {"name": "Warfarin", "drug_class": "anticoagulant", "dose": "5 mg"},
        Medication,
        {
            "held_since": ("1404/06/15", date(2025, 9, 6)),
            "stopped_on": ("۱۴۰۴/۰۷/۰۱", date(2025, 9, 23)),
        },
    ),
    (
        "study",
        {"kind": "ecg", "result": "normal"},
        PreopStudy,
        {"performed_on": ("۱۴۰۴/۰۷/۰۱", date(2025, 9, 23))},
    ),
    (
        "authorisation",
        {"agency": "IFDA", "reference": "X-1", "scope": "bm-msc-knee"},
        Authorisation,
        {
            "requested_on": ("۱۴۰۴/۰۶/۱۵", date(2025, 9, 6)),
            "granted_on": ("۱۴۰۴/۰۷/۰۱", date(2025, 9, 23)),
            "expires_on": ("۱۴۰۵/۰۷/۲۰", date(2026, 10, 12)),
        },
    ),
    (
        "marker_test",
        {"marker": "hbsag", "result": "negative", "method": "CMIA"},
        MarkerTest,
        {"sampled_on": ("۱۴۰۴/۰۷/۰۱", date(2025, 9, 23))},
    ),
]


@pytest.fixture
def tehran_patient(jalali_site, make_staff):
    doctor = make_staff(Role.PHYSICIAN, at=jalali_site)
    patient = patients.create_patient(
        site=jalali_site,
        data=patient_data(family_name="رضایی", given_name="مریم", preferred_language="fa"),
        by=doctor,
    )
    return patient, signed_in(doctor)


@pytest.mark.parametrize(("kind", "fields", "model", "dates"), RECORDS)
def test_a_jalali_clinic_types_record_dates_in_jalali(tehran_patient, kind, fields, model, dates):
    patient, client = tehran_patient
    url = f"/clinical/{patient.pk}/{kind}/new/"
    page = client.get(url).content.decode()
    assert 'type="date"' not in page and 'placeholder="1360/05/12"' in page
    typed = {name: text for name, (text, _day) in dates.items()}
    response = client.post(url, {**fields, **typed})
    assert response.status_code == 302, response.context["form"].errors
    stored = model.objects.get(patient=patient)
    assert {name: getattr(stored, name) for name in dates} == {
        name: day for name, (_text, day) in dates.items()
    }


def test_a_jalali_assessment_date_and_its_refusal_name_the_field(tehran_patient):
    patient, client = tehran_patient
    url = f"/clinical/{patient.pk}/assessments/new/"
    refused = client.post(url, {"assessed_on": "1404/02/32"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["assessed_on"] == [
        "Assessed on: 1404/02/32 is not a real date."
    ]
    assert client.post(url, {"assessed_on": "۱۴۰۴/۰۶/۱۵"}).status_code == 302
    assert Assessment.objects.get(patient=patient).assessed_on == date(2025, 9, 6)
