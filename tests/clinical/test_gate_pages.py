"""Pages of the gate before collection (issue 15): confirming the medication hold on the day,
a physician's signed exception, infectious-disease markers on the clinical record."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.audit.models import AuditEvent, Signature
from autologic.clinical.models import GateException, HoldConfirmation, MarkerTest
from tests.conftest import PASSWORD, signed_in, totp_now

pytestmark = pytest.mark.django_db


def hip() -> dict:
    return {
        "region": "hip",
        "side": "left",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": 2,
        "grade_reader": "Dr. Read",
    }


def test_medication_hold_confirmed_on_the_day_from_the_page(
    start_course, make_staff, patient, fixed_clock
):
    course = start_course("cells-hip", regions=[hip()], skip=("hold",))
    nurse = signed_in(make_staff("nurse"))
    back = f"/lab/courses/{course.pk}/collect/"
    url = f"/clinical/{patient.pk}/medication-hold/confirm/"
    assert nurse.get(url, {"next": back}).status_code == 200
    response = nurse.post(
        url, {"classes": ["nsaid", "anticoagulant", "antiplatelet"], "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    (row,) = HoldConfirmation.objects.filter(patient=patient)
    assert row.confirmed_on == date(2026, 11, 21)
    assert AuditEvent.objects.filter(action="medication_hold.confirm").exists()
    page = signed_in(make_staff("physician", username="doc-2")).get(back).content.decode()
    assert 'data-gate-check="hold_confirmed"' in page
    # Nowhere else to go than this site; the lab cannot confirm what a clinician asks.
    response = nurse.post(url, {"classes": ["nsaid"], "next": "https://evil.example/"})
    assert response["Location"] == f"/clinical/{patient.pk}/"
    assert signed_in(make_staff("lab_technician")).get(url).status_code == 403


def test_collection_exception_page_is_for_physicians_and_signs_with_a_reason(
    start_course, make_staff, physician, patient
):
    from autologic.clinical import actions

    course = start_course("cells-hip", regions=[hip()])
    actions.add_record(
        kind="medication",
        patient=patient,
        data={"name": "Aspirin 100 mg", "drug_class": "antiplatelet"},
        by=physician,
    )
    url = f"/clinical/courses/{course.pk}/gate-exception/"
    assert signed_in(make_staff("nurse")).get(url).status_code == 403
    doctor = signed_in(physician)
    page = doctor.get(url, {"gate": "medication_hold"}).content.decode()
    assert 'data-gate-check="hold_not_started"' in page
    reason = "Aspirin after a coronary stent; the cardiologist advises against a pause."
    refused = doctor.post(url, {"gate": "medication_hold", "reason": reason, "password": "x"})
    assert refused.status_code == 400 and not GateException.objects.exists()
    short = doctor.post(url, {"gate": "medication_hold", "reason": "ok", "password": PASSWORD})
    assert "reason" in short.context["form"].errors
    response = doctor.post(
        url,
        {
            "gate": "medication_hold",
            "reason": reason,
            "password": PASSWORD,
            "otp_token": totp_now(physician),
        },
    )
    assert response.status_code == 302
    row = GateException.objects.get(course=course)
    assert (row.gate, row.reason, row.signed_by) == ("medication_hold", reason, physician)
    assert Signature.objects.filter(object_type="gate_exception", object_id=str(row.pk)).exists()
    page = doctor.get(f"/lab/courses/{course.pk}/collect/").content.decode()
    assert 'data-gate="ready"' in page and "excepted by a physician" in page


def test_collection_exception_page_offers_nothing_where_the_protocol_allows_none(
    start_course, physician
):
    course = start_course("bm-msc-knee")
    doctor = signed_in(physician)
    url = f"/clinical/courses/{course.pk}/gate-exception/"
    assert "allows no exception" in doctor.get(url).content.decode()
    response = doctor.post(
        url,
        {
            "gate": "studies",
            "reason": "The serology is a few days late; repeated today.",
            "password": PASSWORD,
            "otp_token": totp_now(physician),
        },
    )
    assert response.status_code == 400
    assert not GateException.objects.exists()


def test_infectious_markers_recorded_per_marker_from_the_record_page(
    physician, patient, django_assert_max_num_queries
):
    doctor = signed_in(physician)
    url = f"/clinical/{patient.pk}/marker_test/new/"
    response = doctor.post(
        url, {"marker": "hbsag", "sampled_on": "2026-11-20", "result": "pending", "method": ""}
    )
    assert response.status_code == 302
    row = MarkerTest.objects.get(patient=patient)
    bad = doctor.post(url, {"marker": "hbsag", "sampled_on": "2099-01-01", "result": "maybe"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"sampled_on", "result"}
    edit = f"/clinical/{patient.pk}/marker_test/{row.pk}/"
    assert (
        doctor.post(
            edit, {"marker": "hbsag", "sampled_on": "2026-11-20", "result": "reactive"}
        ).status_code
        == 302
    )
    again = doctor.post(edit, {"marker": "hbsag", "sampled_on": "2026-11-20", "result": "negative"})
    assert again.status_code == 400
    row.refresh_from_db()
    assert row.result == "reactive"
    with django_assert_max_num_queries(30):  # the record page's ceiling
        page = doctor.get(f"/clinical/{patient.pk}/").content.decode()
    assert "Hepatitis B surface antigen" in page and "Reactive" in page


def test_collection_page_runs_a_fixed_number_of_queries(
    start_course, physician, django_assert_max_num_queries
):
    course = start_course("cells-hip", regions=[hip()])
    client = signed_in(physician)
    with django_assert_max_num_queries(40):
        response = client.get(f"/lab/courses/{course.pk}/collect/")
    assert response.status_code == 200
    assert 'data-gate="ready"' in response.content.decode()
    assert 'data-markers="negative"' in response.content.decode()
