"""An MRN changes only by a signed renumbering that voids the old wristbands (issue 14)."""

from __future__ import annotations

import pytest

from autologic.audit import queries as audit
from autologic.audit.actions import SignerProof
from autologic.audit.models import AuditEvent, Signature
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.patients import actions
from autologic.patients.models import Patient, Wristband
from tests.conftest import PASSWORD, band, patient_data, signed_in, totp_now

pytestmark = pytest.mark.django_db


def test_every_patient_gets_a_wristband_code_that_is_not_the_mrn(patient):
    code = band(patient)
    assert code.startswith("W") and len(code) == 11 and patient.mrn not in code


def test_mrn_change_through_a_plain_patch_is_refused(physician, patient):
    client = signed_in(physician)
    response = client.patch(
        f"/api/v1/patients/{patient.pk}",
        {"version": patient.version, "mrn": "NEW-1"},
        content_type="application/json",
    )
    assert response.status_code in (400, 409, 422)
    assert "renumber" in response.content.decode().lower()
    patient.refresh_from_db()
    assert patient.mrn != "NEW-1"
    with pytest.raises(ValidationFailed) as refused:
        actions.update_patient(
            patient_id=patient.pk,
            site=patient.site,
            data={"mrn": "NEW-1"},
            expected_version=patient.version,
            by=physician,
        )
    assert refused.value.code == "mrn_needs_renumbering"


def test_renumbering_is_signed_audited_and_voids_the_old_wristbands(physician, patient):
    old_mrn, old_band = patient.mrn, band(patient)
    actions.renumber_patient(
        patient_id=patient.pk,
        site=patient.site,
        new_mrn="b-77",
        reason="Number mistyped at registration.",
        proof=SignerProof(physician, second_factor=True),
        expected_version=patient.version,
    )
    patient.refresh_from_db()
    assert patient.mrn == "B-77"
    void = Wristband.objects.get(code=old_band)
    assert void.voided_at is not None and old_mrn in void.void_reason
    assert band(patient) != old_band
    event = AuditEvent.objects.get(action="patient.renumber")
    assert event.changes["mrn"] == [old_mrn, "B-77"] and event.changes["voided"] == [old_band]
    assert Signature.objects.filter(object_type="patient", object_id=str(patient.pk)).count() == 1
    assert audit.verify().ok


def test_renumbering_refuses_an_mrn_in_use_and_a_missing_reason(physician, patient, site):
    other = actions.create_patient(
        site=site,
        data={
            "mrn": "TAKEN-1",
            "family_name": "Other",
            "given_name": "Person",
            "date_of_birth": patient.date_of_birth,
            "sex": "female",
        },
        by=physician,
    )
    kwargs = {
        "patient_id": patient.pk,
        "site": site,
        "proof": SignerProof(physician, second_factor=True),
        "expected_version": patient.version,
    }
    with pytest.raises(ConflictError) as taken:
        actions.renumber_patient(new_mrn=other.mrn, reason="Merge.", **kwargs)
    assert taken.value.code == "duplicate_mrn"
    with pytest.raises(ValidationFailed) as why:
        actions.renumber_patient(new_mrn="FREE-1", reason=" ", **kwargs)
    assert why.value.field == "reason"
    assert Patient.objects.get(pk=patient.pk).mrn == patient.mrn
    assert Wristband.objects.filter(patient=patient, voided_at__isnull=True).count() == 1


def test_the_renumber_page_asks_for_a_signature(physician, patient):
    client = signed_in(physician)
    page = client.get(f"/patients/{patient.pk}/renumber/")
    assert page.status_code == 200
    data = {"new_mrn": "C-9", "reason": "Merged duplicate.", "version": patient.version}
    refused = client.post(f"/patients/{patient.pk}/renumber/", {**data, "password": "wrong"})
    assert refused.status_code == 400
    signed = {**data, "password": PASSWORD, "otp_token": totp_now(physician)}
    done = client.post(f"/patients/{patient.pk}/renumber/", signed)
    assert done.status_code == 302
    patient.refresh_from_db()
    assert patient.mrn == "C-9"


def test_the_next_mrn_skips_numbers_taken_in_one_step(
    site, physician, django_assert_max_num_queries
):
    """After an import of records numbered B0000001..B0000300 by the clinic's old system, the
    next registration takes B0000301 without trying the 300 numbers one by one; a typed-in
    number of another form (letters, another length) does not move the sequence."""
    for n in (1, 2, 3, 300):
        actions.create_patient(
            site=site, data=patient_data(mrn=f"B{n:07d}", family_name="Import"), by=physician
        )
    actions.create_patient(
        site=site, data=patient_data(mrn="B99ZZ", family_name="Typed"), by=physician
    )
    with django_assert_max_num_queries(20):
        made = actions.create_patient(site=site, data=patient_data(), by=physician)
    assert made.mrn == "B0000301"
    assert Patient.objects.filter(mrn__startswith="B").count() == 6
    site.refresh_from_db()
    assert site.mrn_sequence == 301
