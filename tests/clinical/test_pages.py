"""Clinical pages: assessments, recorded facts, eligibility report and signed decisions."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.accounts.roles import Role
from autologic.audit.actions import SignerProof
from autologic.audit.models import AuditEvent, Signature
from autologic.clinical import actions, queries
from autologic.clinical.domain.eligibility import evaluate
from autologic.clinical.models import AffectedRegion, Assessment, EligibilityDecision, Medication
from autologic.common.domain.errors import ConflictError, PermissionRefused
from tests.conftest import PASSWORD, signed_in, totp_now

pytestmark = pytest.mark.django_db

HEADER = {
    "assessed_on": "2026-11-02",
    "complaint": "Knee pain",
    "anaesthesia_risk": "ASA2",
    "notes": "",
}
KNEE = {
    "region": "knee",
    "side": "left",
    "diagnosis": "osteoarthritis",
    "grade_system": "KL",
    "grade": "2",
    "grade_reader": "Dr. Read",
    "grade_read_on": "2026-10-30",
}


@pytest.fixture
def assessment(patient, physician):
    made = actions.create_assessment(
        patient=patient,
        data={"assessed_on": date(2026, 11, 2), "comorbidities": [], "avoids_surgery": False},
        by=physician,
    )
    return made


def _region(assessment, physician, **overrides):
    data = {
        "region": "knee",
        "side": "left",
        "detail": "",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": 2,
        "grade_reader": "Dr. Read",
        "grade_read_on": date(2026, 10, 30),
        "grade_notes": "",
    }
    return actions.add_region(assessment=assessment, data={**data, **overrides}, by=physician)


def test_physician_records_an_assessment_and_a_region(physician, patient):
    client = signed_in(physician)
    response = client.post(f"/clinical/{patient.pk}/assessments/new/", HEADER)
    assert response.status_code == 302
    assessment = Assessment.objects.get(patient=patient)
    response = client.post(f"/clinical/{patient.pk}/assessments/{assessment.pk}/regions/new/", KNEE)
    assert response.status_code == 302
    region = AffectedRegion.objects.get(assessment=assessment)
    assert (region.grade_system, region.grade, region.grade_reader) == ("KL", 2, "Dr. Read")
    page = client.get(f"/clinical/{patient.pk}/")
    assert page.status_code == 200
    assert "KL 2" in page.content.decode()
    actions_logged = set(
        AuditEvent.objects.filter(object_id=str(patient.pk)).values_list("action", flat=True)
    )
    assert {"assessment.create", "assessment.region_add", "patient.read"} <= actions_logged


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"grade_system": ""}, "grade_system", "classification system"),
        ({"grade": "5"}, "grade", "from 0 to 4"),
        ({"grade_reader": ""}, "grade_reader", "Name who read"),
        ({"side": ""}, "side", "Choose the side"),
        ({"region": "spine_lumbar", "side": "left"}, "side", "no left or right"),
        ({"region": "tendon", "diagnosis": "tendinopathy"}, "detail", "Name the tendon"),
        ({"grade_read_on": "2099-01-01"}, "grade_read_on", "in the future"),
        ({"grade_read_on": "2026-02-30"}, "grade_read_on", "not a real date"),
    ],
)
def test_region_mistakes_name_the_field(physician, patient, assessment, change, field, text):
    client = signed_in(physician)
    url = f"/clinical/{patient.pk}/assessments/{assessment.pk}/regions/new/"
    response = client.post(url, {**KNEE, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert text in " ".join(errors[field])
    assert not AffectedRegion.objects.exists()


def test_a_nurse_records_a_medication_and_confirms_its_hold(make_staff, patient):
    nurse = make_staff(Role.NURSE)
    client = signed_in(nurse)
    data = {"name": "Ibuprofen 400 mg", "drug_class": "nsaid", "dose": "as needed"}
    assert client.post(f"/clinical/{patient.pk}/medication/new/", data).status_code == 302
    medication = Medication.objects.get(patient=patient)
    assert medication.flagged and medication.held_since is None
    response = client.post(
        f"/clinical/{patient.pk}/medication/{medication.pk}/",
        {**data, "held_since": "2026-11-20"},
    )
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.held_since == date(2026, 11, 20)
    event = AuditEvent.objects.filter(action="medication.update").get()
    assert event.changes["held_since"] == [None, "2026-11-20"]


def test_unknown_record_kind_is_not_found(physician, patient):
    response = signed_in(physician).get(f"/clinical/{patient.pk}/surgery/new/")
    assert response.status_code == 404


def test_an_authorisation_cannot_be_granted_before_it_was_requested(physician, patient):
    data = {
        "agency": "AEMPS",
        "reference": "X-1",
        "scope": "bm-msc-knee",
        "requested_on": "2026-11-10",
        "granted_on": "2026-11-01",
    }
    response = signed_in(physician).post(f"/clinical/{patient.pk}/authorisation/new/", data)
    assert response.status_code == 400
    assert "granted_on" in response.context["form"].errors


def test_eligibility_report_cites_rules_and_prints(physician, patient, assessment, protocols):
    _region(assessment, physician, grade=4)
    url = f"/clinical/{patient.pk}/assessments/{assessment.pk}/eligibility/"
    response = signed_in(physician).get(url, {"protocol": protocols["acs-large-joint"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["report"].verdict == "not_eligible"
    assert "Radiographic grade" in html  # the rule, by what it checks (not its id, acs-kl-grade)
    assert "acs-kl-grade" not in html
    assert "needs a documented reason" in html
    assert "data-print" in html


def test_physician_signs_an_override_with_a_justification(
    physician, patient, assessment, protocols
):
    _region(assessment, physician, grade=4)
    url = f"/clinical/{patient.pk}/assessments/{assessment.pk}/eligibility/"
    client = signed_in(physician)
    form = {
        "protocol": protocols["acs-large-joint"].pk,
        "verdict": "eligible_with_conditions",
        "expected_verdict": "not_eligible",
        "justification": "too short",
        "password": PASSWORD,
        "otp_token": totp_now(physician),
    }
    response = client.post(url, form)
    assert response.status_code == 400
    assert "justification" in response.context["form"].errors
    assert not EligibilityDecision.objects.exists()

    form["justification"] = "Patient declines arthroplasty after two consultations; documented."
    form["otp_token"] = totp_now(physician)
    response = client.post(url, form)
    assert response.status_code == 302, response.context["form"].errors
    decision = EligibilityDecision.objects.get()
    assert decision.overridden
    assert (decision.computed_verdict, decision.verdict) == ("not_eligible", form["verdict"])
    assert decision.report["findings"]
    event = AuditEvent.objects.get(action="eligibility.override")
    assert event.changes["justification"].startswith("Patient declines")
    signature = Signature.objects.get(object_type="eligibility", object_id=str(decision.pk))
    assert signature.meaning == "approved"
    page = client.get(f"/clinical/{patient.pk}/decisions/{decision.pk}/")
    assert page.status_code == 200
    assert 'data-testid="signature"' in page.content.decode()


def test_a_report_that_changed_under_the_reader_is_not_signed(
    physician, patient, assessment, protocols
):
    _region(assessment, physician, grade=2)
    # The active version asks for conservative treatment first (seed 002): six weeks that failed.
    actions.add_record(
        kind="conservative",
        patient=patient,
        data={"treatment": "physiotherapy", "started_on": date(2026, 8, 1), "result": "failed"},
        by=physician,
    )
    row = protocols["acs-large-joint"]
    facts = queries.facts_for(assessment, list(assessment.regions.all()), today=date(2026, 11, 21))
    report = evaluate(row.protocol, facts)
    assert report.verdict == "eligible"
    proof = SignerProof(user=physician, second_factor=True)
    with pytest.raises(ConflictError):
        actions.decide_eligibility(
            assessment=assessment,
            protocol=row,
            report=report,
            regions=["knee left"],
            verdict="eligible",
            justification="",
            proof=proof,
            expected_verdict="not_eligible",
        )
    assert not EligibilityDecision.objects.exists()


def test_only_a_physician_may_sign_a_decision(make_staff, patient, assessment, protocols):
    nurse = make_staff(Role.NURSE)
    row = protocols["acs-large-joint"]
    facts = queries.facts_for(assessment, [], today=date(2026, 11, 21))
    report = evaluate(row.protocol, facts)
    with pytest.raises(PermissionRefused):
        actions.decide_eligibility(
            assessment=assessment,
            protocol=row,
            report=report,
            regions=[],
            verdict=report.verdict,
            justification="",
            proof=SignerProof(user=nurse, second_factor=True),
            expected_verdict=report.verdict,
        )


def test_clinical_record_page_query_count_does_not_grow(
    physician, patient, assessment, django_assert_max_num_queries
):
    for grade in range(5):
        _region(assessment, physician, grade=grade)
    client = signed_in(physician)
    client.get(f"/clinical/{patient.pk}/")
    with django_assert_max_num_queries(30):
        assert client.get(f"/clinical/{patient.pk}/").status_code == 200


def test_an_impossible_planned_date_is_named_not_a_500(physician, patient, assessment, protocols):
    _region(assessment, physician, grade=2)
    url = f"/clinical/{patient.pk}/assessments/{assessment.pk}/eligibility/"
    response = signed_in(physician).get(
        url, {"protocol": protocols["cells-hip"].pk, "planned": "2026-02-30"}
    )
    assert response.status_code == 200
    assert "2026-02-30 is not a real date." in response.context["planned_error"]
    assert response.context["planned"] is None


def test_free_text_refuses_bidi_overrides_through_the_form(physician, patient):
    client = signed_in(physician)
    url = f"/clinical/{patient.pk}/medication/new/"
    data = {"name": "Ibuprofen", "drug_class": "nsaid", "dose": "400 mg\u202e3x daily"}
    response = client.post(url, data)
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["dose"])
    assert message.startswith("Dose") and "U+202E" in message
    assert not Medication.objects.exists()
    persian = {**data, "dose": "روزی سه\u200cبار"}  # a Persian ZWNJ in free text stays
    assert client.post(url, persian).status_code == 302
    assert Medication.objects.get().dose == "روزی سه\u200cبار"
