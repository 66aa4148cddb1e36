"""Conservative treatment first (seed 002, Dubai): "Before we suggest Orthokine Therapy, we will
usually recommend alternative treatment methods – should these prove ineffective, we will devise
an individualised treatment".  The rule says which treatments, for how long, and whether they
failed; eligibility checks it; the clinical record holds what was tried."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.clinical import actions, queries
from autologic.clinical.domain.eligibility import ConservativeFacts, Facts, RegionFacts, evaluate
from autologic.clinical.models import ConservativeTreatment
from autologic.common.domain.errors import ValidationFailed
from autologic.protocols.files import LIBRARY, read_protocol
from tests.conftest import signed_in

TODAY = date(2026, 11, 21)
ACS = read_protocol(LIBRARY / "acs-large-joint.v3.yaml")
RULE = "acs-conservative-first"


def facts(*tried: ConservativeFacts) -> Facts:
    knee = RegionFacts("knee", "left", "", "osteoarthritis", "KL", 2)
    return Facts(today=TODAY, age=62, regions=(knee,), conservative=tried)


def rule_findings(report):
    return [f for f in report.findings if f.rule_id == RULE]


def test_nothing_tried_is_conditional_with_an_action():
    report = evaluate(ACS, facts())
    assert report.verdict == "eligible_with_conditions"
    (finding,) = rule_findings(report)
    assert (finding.outcome, finding.code) == ("conditional", "conservative_missing")
    assert finding.params["min_weeks"] == 6
    assert [a.code for a in report.actions] == ["record_conservative"]


def test_physiotherapy_that_failed_after_eight_weeks_makes_the_patient_eligible():
    tried = ConservativeFacts("physiotherapy", date(2026, 8, 1), date(2026, 9, 26), "failed")
    report = evaluate(ACS, facts(tried))
    assert report.verdict == "eligible"
    (finding,) = rule_findings(report)
    assert (finding.code, finding.params["weeks"]) == ("conservative_failed", 8)


def test_a_treatment_that_helped_means_acs_is_not_indicated_yet():
    failed = ConservativeFacts("nsaid", date(2026, 5, 1), date(2026, 7, 1), "failed")
    helped = ConservativeFacts("physiotherapy", date(2026, 8, 1), date(2026, 10, 1), "helped")
    report = evaluate(ACS, facts(failed, helped))
    assert report.verdict == "not_eligible"
    (finding,) = rule_findings(report)
    assert (finding.code, finding.params["treatment"]) == ("conservative_helped", "physiotherapy")


def test_a_treatment_under_way_is_judged_when_its_weeks_are_over():
    tried = ConservativeFacts("physiotherapy", date(2026, 11, 1))
    report = evaluate(ACS, facts(tried))
    assert report.verdict == "eligible_with_conditions"
    (action,) = report.actions
    assert action.code == "record_conservative_result"
    assert action.due == date(2026, 12, 13)  # six weeks after 1 November


def test_a_failure_after_too_few_weeks_needs_a_physician():
    tried = ConservativeFacts("brace", date(2026, 10, 1), date(2026, 10, 29), "failed")
    report = evaluate(ACS, facts(tried))
    (finding,) = rule_findings(report)
    assert (finding.outcome, finding.code, finding.params["weeks"]) == (
        "conditional",
        "conservative_too_short",
        4,
    )
    assert [a.code for a in report.actions] == ["review_conservative"]


def test_treatments_the_rule_does_not_list_do_not_count():
    data = ACS.model_dump(mode="json", exclude_none=True)
    for rule in data["eligibility"]:
        if rule["kind"] == "conservative_first":
            rule["treatments"] = ["physiotherapy"]
    narrow = type(ACS).model_validate(data)
    tried = ConservativeFacts("weight_loss", date(2026, 1, 1), date(2026, 6, 1), "failed")
    assert rule_findings(evaluate(narrow, facts(tried)))[0].code == "conservative_missing"


def test_version_2_has_no_such_rule():
    v2 = read_protocol(LIBRARY / "acs-large-joint.v2.yaml")
    assert evaluate(v2, facts()).verdict == "eligible"


@pytest.mark.django_db
def test_a_nurse_records_a_conservative_treatment_and_eligibility_sees_it(
    make_staff, patient, physician
):
    nurse = make_staff(Role.NURSE)
    client = signed_in(nurse)
    url = f"/clinical/{patient.pk}/conservative/new/"
    assert client.get(url).status_code == 200
    bad = {"treatment": "physiotherapy", "started_on": "2026-08-01", "ended_on": "2026-07-01"}
    response = client.post(url, {**bad, "result": "failed"})
    assert response.status_code == 400
    assert "ended_on" in response.context["form"].errors
    assert response.context["form"].data["treatment"] == "physiotherapy"
    good = {**bad, "ended_on": "2026-09-26", "result": "failed", "notes": "Twice a week"}
    assert client.post(url, good).status_code == 302
    row = ConservativeTreatment.objects.get()
    assert (row.treatment, row.result, row.recorded_by) == ("physiotherapy", "failed", nurse)
    event = AuditEvent.objects.get(action="conservative.create")
    assert event.changes["treatment"] == [None, "physiotherapy"]
    page = client.get(f"/clinical/{patient.pk}/").content.decode()
    assert "Conservative treatment tried" in page and "Physiotherapy" in page

    assessment = actions.create_assessment(
        patient=patient,
        data={"assessed_on": date(2026, 11, 2), "comorbidities": [], "avoids_surgery": False},
        by=physician,
    )
    region = actions.add_region(
        assessment=assessment,
        data={
            "region": "knee",
            "side": "left",
            "diagnosis": "osteoarthritis",
            "grade_system": "KL",
            "grade": 2,
        },
        by=physician,
    )
    found = queries.facts_for(assessment, [region], today=TODAY)
    assert found.conservative == (
        ConservativeFacts("physiotherapy", date(2026, 8, 1), date(2026, 9, 26), "failed"),
    )
    assert evaluate(ACS, found).verdict == "eligible"


@pytest.mark.django_db
def test_the_action_refuses_an_end_before_the_start(patient, physician):
    with pytest.raises(ValidationFailed) as caught:
        actions.add_record(
            kind="conservative",
            patient=patient,
            data={
                "treatment": "nsaid",
                "started_on": date(2026, 8, 1),
                "ended_on": date(2026, 7, 1),
                "result": "failed",
            },
            by=physician,
        )
    assert caught.value.field == "ended_on"
    assert not ConservativeTreatment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.BILLING, Role.LAB_TECHNICIAN, Role.MANAGER])
def test_roles_without_clinical_recording_cannot_add_one(client_for, patient, role):
    response = client_for(role).get(f"/clinical/{patient.pk}/conservative/new/")
    assert response.status_code == 403


def test_findings_read_as_sentences_with_treatment_names():
    from autologic.clinical.messages import finding_text

    (missing,) = rule_findings(evaluate(ACS, facts()))
    text = finding_text(missing)
    assert text.startswith("No conservative treatment is recorded; the protocol asks for one of ")
    assert "Physiotherapy, Exercise programme" in text and "6 weeks first." in text
    tried = ConservativeFacts("brace", date(2026, 10, 1), date(2026, 10, 29), "failed")
    (short,) = rule_findings(evaluate(ACS, facts(tried)))
    assert finding_text(short) == (
        "Brace or orthosis failed after 4 weeks; the protocol asks for 6 weeks."
    )
