"""Autologic's own follow-up questions: "back to your usual daily activities?" and "since your
treatment, have you had surgery on this joint?", asked for every treated region at every
follow-up after the treatment.  A yes to the surgery question is a report that staff must turn
into a record; the registry counts only the record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError
from autologic.outcomes import actions, queries
from autologic.outcomes.domain import registry
from autologic.outcomes.domain.follow_up import FOLLOWUP
from autologic.outcomes.models import LaterTreatment
from autologic.portal.texts import shipped
from tests.conftest import signed_in
from tests.outcomes.conftest import follow_up, region


def test_each_item_is_its_own_yes_no_score() -> None:
    scored = FOLLOWUP.score({"ACTIVITIES": 1, "SURGERY": None})
    assert scored.values() == {"activities": 1.0, "surgery": None}
    assert scored.missing == 1
    assert registry.get("followup") is FOLLOWUP and not FOLLOWUP.charted


def test_asked_after_the_anchor_only_and_where_questionnaires_are_asked() -> None:
    assert registry.for_timepoint(["NRS", "KOOS"], "knee", 42) == ["NRS", "KOOS", "FOLLOWUP"]
    assert registry.for_timepoint(["NRS", "KOOS"], "knee", 0) == ["NRS", "KOOS"]  # baseline
    assert registry.for_timepoint([], "knee", 90) == []  # an imaging visit asks nothing


def test_worded_in_every_language() -> None:
    for language in ("en", "de", "es", "fa"):
        texts = shipped()[("FOLLOWUP", language)]
        assert "{region}" not in texts.title  # the portal's list shows the title unfilled
        surgery = texts.with_region("left knee").questions()[1]
        assert "left knee" in surgery.text
        assert [len(q.options) for q in texts.questions()] == [2, 2]


@pytest.mark.django_db
def test_due_at_every_follow_up_for_every_region(course) -> None:
    assert all("FOLLOWUP" not in i for i in queries.due_at(follow_up(course, "baseline")).values())
    due = queries.due_at(follow_up(course, "w6"))
    assert len(due) == 2 and all(i[-1] == "FOLLOWUP" for i in due.values())


@pytest.mark.django_db
def test_a_reported_surgery_waits_on_the_chart_until_staff_record_it(
    course, submit, physician, fixed_clock
) -> None:
    submit(course, "w6", "knee", "NRS", {"PAIN": 3})
    submit(course, "w6", "knee", "FOLLOWUP", {"ACTIVITIES": 1, "SURGERY": 1})
    submit(course, "w6", "hip", "FOLLOWUP", {"ACTIVITIES": 0, "SURGERY": 0})
    client = signed_in(physician)
    body = client.get(f"/outcomes/patients/{course.patient.pk}/").content.decode()
    assert body.count('data-testid="reported-surgery"') == 1  # the knee's yes, not the hip's no
    assert "Not recorded yet" in body
    assert 'data-testid="chart-FOLLOWUP' not in body  # yes/no answers are not a score series
    (report,) = queries.reported_surgeries(course.patient)
    assert report.region == region(course, "knee") and not report.recorded
    # Staff record the arthroscopy done a week before the answer: the report is accounted for.
    LaterTreatment.objects.create(
        site=course.site,
        patient=course.patient,
        region=region(course, "knee"),
        kind="other_surgery",
        performed_on=report.answered_on - timedelta(days=7),
        source="patient",
        recorded_by=physician,
        recorded_at=fixed_clock.now(),
    )
    (report,) = queries.reported_surgeries(course.patient)
    assert report.recorded
    body = client.get(f"/outcomes/patients/{course.patient.pk}/").content.decode()
    assert "Recorded above." in body and "Not recorded yet" not in body


@pytest.mark.django_db
def test_a_mistaken_report_is_checked_off_with_how_it_was_checked(
    course, submit, physician, fixed_clock
) -> None:
    answer = submit(course, "w6", "knee", "FOLLOWUP", {"ACTIVITIES": 1, "SURGERY": 1})
    no = submit(course, "w6", "hip", "FOLLOWUP", {"ACTIVITIES": 1, "SURGERY": 0})
    client = signed_in(physician)
    page = client.get(f"/outcomes/patients/{course.patient.pk}/").content.decode()
    assert f"surgery-report/?response={answer.pk}" in page
    url = f"/outcomes/patients/{course.patient.pk}/surgery-report/"
    assert client.get(url, {"response": no.pk}).status_code == 404  # a "no" is no report
    short = client.post(url, {"response": answer.pk, "note": "ok"})
    assert short.status_code == 400 and "note" in short.context["form"].errors
    note = "Phoned the patient: the operation was a dental implant."
    assert client.post(url, {"response": answer.pk, "note": note}).status_code == 302
    (report,) = queries.reported_surgeries(course.patient)
    assert not report.open and report.check is not None and report.check.note == note
    event = AuditEvent.objects.get(action="surgery_report.dismiss")
    assert event.changes["note"] == note
    again = client.post(url, {"response": answer.pk, "note": note})
    assert again.status_code == 400  # checked once; the second is refused, saying why
    assert "already been checked" in str(again.context["form"].non_field_errors())
    page = client.get(f"/outcomes/patients/{course.patient.pk}/").content.decode()
    assert "Checked: no operation of this joint." in page and "Not recorded yet" not in page


@pytest.mark.django_db
def test_a_recorded_operation_cannot_be_checked_off(course, submit, physician, fixed_clock) -> None:
    answer = submit(course, "w6", "knee", "FOLLOWUP", {"ACTIVITIES": 0, "SURGERY": 1})
    LaterTreatment.objects.create(
        site=course.site,
        patient=course.patient,
        region=region(course, "knee"),
        kind="arthroplasty",
        performed_on=answer.completed_on,
        source="hospital",
        recorded_by=physician,
        recorded_at=fixed_clock.now(),
    )
    with pytest.raises(ConflictError) as caught:
        actions.dismiss_surgery_report(
            patient=course.patient,
            response_id=answer.pk,
            note="Phoned the patient to check.",
            by=physician,
            now=fixed_clock.now(),
        )
    assert caught.value.code == "report_recorded"
