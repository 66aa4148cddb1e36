"""Outcome pages: follow-up lists, the patient's charts, paper entry by staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autologic.outcomes import queries
from autologic.outcomes.domain.schedule import State
from autologic.outcomes.models import Response
from tests.conftest import signed_in
from tests.outcomes.conftest import answer_everything, follow_up, koos, region

pytestmark = pytest.mark.django_db


def at(fixed_clock, day) -> None:
    fixed_clock.current = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_lists_move_from_due_to_overdue_to_missed(course, site, fixed_clock) -> None:
    w6 = follow_up(course, "w6")
    keys = lambda lists, s: [r.appointment.key for r in lists[s]]  # noqa: E731
    lists = queries.follow_ups(site, w6.due_on)
    assert "fu-w6" in keys(lists, State.DUE)
    row = next(r for r in lists[State.DUE] if r.appointment.key == "fu-w6")
    assert (row.answered, row.total) == (0, 8)  # 2 regions x (3 instruments + FOLLOWUP)
    assert row.missing == ["FOLLOWUP", "HOOS", "KOOS", "NRS", "PGA"]
    assert "fu-w6" in keys(queries.follow_ups(site, w6.due_on + timedelta(days=1)), State.OVERDUE)
    assert "fu-w6" in keys(queries.follow_ups(site, w6.due_to + timedelta(days=1)), State.MISSED)
    before = queries.follow_ups(site, w6.due_from - timedelta(days=1))
    assert all("fu-w6" not in keys(before, s) for s in before)


def test_a_completed_timepoint_leaves_the_lists(course, site, submit) -> None:
    answer_everything(submit, course, "baseline")
    baseline = follow_up(course, "baseline")
    lists = queries.follow_ups(site, baseline.due_on)
    assert all(r.appointment.key != "fu-baseline" for rows in lists.values() for r in rows)


def test_follow_up_page_for_a_coordinator(
    course, make_staff, fixed_clock, django_assert_max_num_queries
) -> None:
    w6 = follow_up(course, "w6")
    at(fixed_clock, w6.due_on)
    client = signed_in(make_staff("coordinator"))
    with django_assert_max_num_queries(20):
        page = client.get("/outcomes/follow-ups/")
    assert page.status_code == 200
    body = page.content.decode()
    assert course.patient.mrn in body
    assert "KOOS" in body and "HOOS" in body


def test_patient_outcomes_page_charts_baseline_band_and_responders(
    course, submit, physician, fixed_clock, django_assert_max_num_queries
) -> None:
    submit(course, "baseline", "knee", "NRS", {"PAIN": 8})
    submit(course, "baseline", "knee", "KOOS", koos(3))
    submit(course, "w6", "knee", "NRS", {"PAIN": 3})
    submit(course, "w6", "knee", "KOOS", koos(1))
    client = signed_in(physician)
    with django_assert_max_num_queries(40):
        page = client.get(f"/outcomes/patients/{course.patient.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="chart-KOOS-pain"' in body
    assert 'data-testid="chart-NRS-pain"' in body
    assert "<polyline" in body and 'class="band"' in body
    # NRS 8 -> 3 (pain 80 -> 30 on 0-100: 50 %, 50 points): OMERACT-OARSI responder at w6.
    assert 'data-testid="oarsi-w6"' in body
    assert "responder" in body
    # The 2-point NRS MCID is met: the w6 dot is marked as an important improvement.
    assert 'class="dot important' in body
    # HOOS and the other knee timepoints are still owed: listed with a paper-entry link.
    assert 'data-testid="enter-HOOS"' in body


def test_responders_in_the_outcome_data(course, submit, fixed_clock) -> None:
    submit(course, "baseline", "knee", "NRS", {"PAIN": 5})
    submit(course, "baseline", "knee", "KOOS", koos(2))
    submit(course, "w6", "knee", "NRS", {"PAIN": 4})
    submit(course, "w6", "knee", "KOOS", koos(2))
    (knee,) = [
        r
        for r in queries.patient_outcomes(
            course.patient,
            queries.follow_ups(course.site, fixed_clock.now().date(), patient=course.patient),
        )
        if r.region and r.region.region == "knee"
    ]
    result = knee.responders["w6"]
    # Pain from NRS 50 -> 40: 20 % and 10 points (moderate); function from WOMAC (derived from
    # KOOS) unchanged; no patient global.  One moderate + one unknown domain: not evaluable.
    assert result.changes["pain"].source == "NRS pain"
    assert result.changes["function"].source == "WOMAC function"
    assert result.status == "not_evaluable"


def test_staff_enter_a_paper_form(course, make_staff, fixed_clock) -> None:
    baseline = follow_up(course, "baseline")
    at(fixed_clock, baseline.due_on)
    nurse = make_staff("nurse")
    client = signed_in(nurse)
    knee = region(course, "knee")
    url = f"/outcomes/patients/{course.patient.pk}/enter/"
    query = f"?appointment={baseline.pk}&region={knee.pk}&instrument=KOOS"
    page = client.get(url + query)
    assert page.status_code == 200
    assert 'name="P1"' in page.content.decode()
    data = {"appointment": baseline.pk, "region": knee.pk, "instrument": "KOOS"}
    data |= {"completed_on": baseline.due_on.isoformat()} | {k: str(v) for k, v in koos(1).items()}
    data["P9"] = "9"  # out of range
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    assert not Response.objects.exists()
    data["P9"] = ""  # left blank on paper
    done = client.post(url, data)
    assert done.status_code == 302
    response = Response.objects.get()
    assert response.staff_entered and response.entered_by == nurse
    assert response.mode == "paper"
    assert response.answers["P9"] is None


def test_entry_page_refuses_another_patients_timepoint(course, make_staff, site, physician) -> None:
    from autologic.patients import actions as patients
    from tests.conftest import patient_data

    other = patients.create_patient(site=site, data=patient_data(family_name="Other"), by=physician)
    baseline = follow_up(course, "baseline")
    client = signed_in(make_staff("nurse"))
    query = f"?appointment={baseline.pk}&region={region(course, 'knee').pk}&instrument=NRS"
    assert client.get(f"/outcomes/patients/{other.pk}/enter/{query}").status_code == 404


def test_a_paper_form_is_worded_in_the_users_language(course, make_staff, fixed_clock) -> None:
    """The NRS typed in from paper at a Persian desk reads as the Persian form does (found by
    the seed 000 walk: the title and the item were English)."""
    from django.utils import translation

    from autologic.portal.texts import shipped

    baseline = follow_up(course, "baseline")
    at(fixed_clock, baseline.due_on)
    nurse = make_staff("nurse")
    nurse.preferred_language = "fa"
    nurse.save(update_fields=["preferred_language"])
    client = signed_in(nurse)
    client.cookies["django_language"] = "fa"
    query = f"?appointment={baseline.pk}&region={region(course, 'knee').pk}&instrument=NRS"
    with translation.override("fa"):  # and back to English after the request
        page = client.get(f"/outcomes/patients/{course.patient.pk}/enter/{query}")
    html = page.content.decode()
    persian = shipped()[("NRS", "fa")]
    assert persian.title in html
    assert persian.questions()[0].text.split("{region}")[0] in html
    assert "Pain numeric rating scale" not in html


@pytest.mark.parametrize(
    ("key", "shown"),
    [("baseline", "baseline"), ("w6", "6 weeks"), ("m12", "12 months"), ("m12-mri", "12 months")],
)
def test_a_chart_names_its_timepoints_in_words(key: str, shown: str) -> None:
    from django.utils import translation

    from autologic.outcomes.templatetags.outcomes import timepoint

    with translation.override("en"):
        assert timepoint(key) == shown
