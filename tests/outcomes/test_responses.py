"""Submitting questionnaires: scored and stored per the rules, audited, refused when wrong."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.outcomes import actions, queries
from autologic.outcomes.models import Response, Score
from tests.outcomes.conftest import follow_up, hoos, koos, region

pytestmark = pytest.mark.django_db


def test_follow_ups_come_from_the_protocol_with_instruments_per_region(course) -> None:
    baseline = follow_up(course, "baseline")
    due = queries.due_at(baseline)
    assert due == {
        region(course, "knee").pk: ["NRS", "PGA", "KOOS"],
        region(course, "hip").pk: ["NRS", "PGA", "HOOS"],
    }
    w6 = follow_up(course, "w6")
    assert w6.due_from < w6.due_on < w6.due_to


def test_a_submitted_koos_stores_items_scores_and_derived_womac(course, submit, nurse_user) -> None:
    answers = koos(1) | {"P1": None, "Q1": 4}
    response = submit(course, "baseline", "knee", "KOOS", answers)
    assert response.status == "submitted"
    assert response.staff_entered and response.entered_by == nurse_user
    assert response.answers["P1"] is None and response.answers["Q1"] == 4
    assert response.missing == 1
    scores = {(s.instrument, s.name): s for s in Score.objects.filter(response=response)}
    # Pain: 8 answered 1s -> 100 - 100*8/32 = 75.  QOL: 4+1+1+1 = 7 -> 100 - 700/16.
    assert scores[("KOOS", "pain")].value == 75
    assert scores[("KOOS", "qol")].value == pytest.approx(100 - 700 / 16)
    assert scores[("KOOS", "pain")].missing == 1
    assert scores[("KOOS", "pain")].algorithm == "koos-hoos-2012-half-answered/1"
    assert scores[("KOOS", "pain")].higher_is_better is True
    # WOMAC pain = KOOS P5-P9 = five 1s; derived and labelled as such.
    assert scores[("WOMAC", "pain")].value == 5
    assert scores[("WOMAC", "pain")].derived_from == "KOOS"
    assert scores[("WOMAC", "pain")].higher_is_better is False
    event = AuditEvent.objects.filter(action="prom.submitted").latest("seq")
    assert event.changes["response_id"] == response.pk
    assert event.changes["staff_entered"] is True


def test_a_score_the_rules_refuse_is_stored_as_not_calculable(course, submit) -> None:
    response = submit(course, "baseline", "knee", "KOOS", {"P1": 2, "P2": 2})
    pain = Score.objects.get(response=response, instrument="KOOS", name="pain")
    assert pain.value is None
    assert pain.reason == "needs at least 5 of 9 items answered; 2 answered"


def test_bad_answers_are_refused_and_nothing_is_saved(course, submit) -> None:
    with pytest.raises(ValidationFailed) as err:
        submit(course, "baseline", "knee", "KOOS", {"P1": 7})
    assert err.value.field == "P1"
    with pytest.raises(ValidationFailed) as err:
        submit(course, "baseline", "knee", "KOOS", {"X9": 1})
    assert err.value.field == "X9"
    assert not Response.objects.exists()


def test_an_instrument_not_due_for_the_region_is_refused(course, submit) -> None:
    with pytest.raises(ValidationFailed) as err:
        submit(course, "baseline", "knee", "HOOS", hoos(1))
    assert err.value.code == "not_due"
    assert "NRS, PGA, KOOS" in err.value.message


def test_the_same_questionnaire_is_taken_once_per_timepoint(course, submit) -> None:
    submit(course, "baseline", "knee", "NRS", {"PAIN": 6})
    with pytest.raises(ConflictError):
        submit(course, "baseline", "knee", "NRS", {"PAIN": 5})
    assert Response.objects.count() == 1


def test_another_patients_region_or_timepoint_is_refused(course, submit, other_course) -> None:
    appointment = follow_up(course, "baseline")
    entry = actions.Entry(
        instrument="NRS",
        answers={"PAIN": 3},
        completed_on=date(2026, 11, 21),
        language="en",
        mode="paper",
        region=region(other_course, "knee"),
        appointment=appointment,
    )
    with pytest.raises(ValidationFailed) as err:
        actions.submit_response(course.patient, entry, by=None, staff_entered=False, now=_now())
    assert err.value.code == "wrong_patient"


def _now():
    from autologic.common import clock

    return clock.now()


def test_a_future_date_is_refused(course) -> None:
    entry = actions.Entry(
        instrument="NRS",
        answers={"PAIN": 3},
        completed_on=date(2026, 11, 22),  # the clock says 21 November
        language="en",
        mode="paper",
        region=region(course, "knee"),
        appointment=follow_up(course, "baseline"),
    )
    with pytest.raises(ValidationFailed) as err:
        actions.submit_response(course.patient, entry, by=None, staff_entered=False, now=_now())
    assert err.value.field == "completed_on"


def test_the_timepoint_closes_when_every_region_has_answered(course, submit) -> None:
    baseline = follow_up(course, "baseline")
    assert baseline.kind == "prom"
    submit(course, "baseline", "knee", "NRS", {"PAIN": 6})
    submit(course, "baseline", "knee", "PGA", {"GLOBAL": 40})
    submit(course, "baseline", "knee", "KOOS", koos(2))
    submit(course, "baseline", "hip", "NRS", {"PAIN": 4})
    submit(course, "baseline", "hip", "PGA", {"GLOBAL": 40})
    baseline.refresh_from_db()
    assert baseline.status != "done"
    assert queries.outstanding(baseline) == [(region(course, "hip").pk, "HOOS")]
    submit(course, "baseline", "hip", "HOOS", hoos(2))
    baseline.refresh_from_db()
    assert baseline.status == "done"
    assert AuditEvent.objects.filter(action="appointment.done").exists()


@pytest.fixture
def other_course(start_course, site, physician):
    from autologic.patients import actions as patients
    from tests.conftest import patient_data

    other = patients.create_patient(
        site=site, data=patient_data(family_name="Okafor", given_name="Ada"), by=physician
    )
    return start_course("acs-large-joint", who=other)
