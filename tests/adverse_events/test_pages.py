"""Adverse-event pages: who records and who reads, the form's errors, the list, alerts."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from autologic.adverse_events import actions as ae
from autologic.adverse_events.models import AdverseEvent, Notification
from autologic.audit.models import AuditEvent
from autologic.injections.models import Administration
from tests.conftest import signed_in

from .conftest import SERIOUS, report

pytestmark = pytest.mark.django_db

# Session, user, device, site, the events (one query with patient, reporter, unit and open
# alerts), the read log (PostgreSQL adds its advisory lock), the session save.
LIST_QUERIES = 13


def local(moment) -> str:
    """A UTC time as the clinic's datetime-local input sends it (the clinic is in Berlin)."""
    return moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")


def form(administration: Administration, **overrides) -> dict:
    data = {
        "term": "joint_effusion",
        "onset_at": local(administration.given_at + timedelta(hours=3)),
        "grade": "2",
        "related_product": "possible",
        "related_procedure": "probable",
        "outcome": "recovering",
        "description": "Swollen knee the day after the injection.",
        "action_taken": "Aspiration, 20 mL.",
        "administration": str(administration.pk),
    }
    data.update(overrides)
    return data


@pytest.fixture
def event(administration, patient, nurse, after, fixed_clock) -> AdverseEvent:
    """A serious event after the patient's injection (it alerts the physician and manager)."""
    onset = after(administration)
    return ae.record_adverse_event(
        patient,
        report(onset=onset, administration_id=administration.pk, **SERIOUS),
        by=nurse,
        now=fixed_clock.now(),
    )


def test_a_nurse_records_an_event_from_the_session_page(
    administration, patient, nurse, after, fixed_clock
):
    after(administration)
    client = signed_in(nurse)
    session = client.get(f"/injections/sessions/{administration.appointment_id}/")
    link = f"/adverse-events/patients/{patient.pk}/new/?administration={administration.pk}"
    assert link in session.content.decode()
    page = client.get(link)
    assert page.status_code == 200
    assert page.context["form"]["administration"].value() == administration.pk
    response = client.post(f"/adverse-events/patients/{patient.pk}/new/", form(administration))
    assert response.status_code == 302, response.context["form"].errors
    event = AdverseEvent.objects.get()
    assert response["Location"] == f"/adverse-events/{event.pk}/"
    assert event.reporter == nurse and event.unit_id == administration.unit_id
    assert event.term_name == "Joint effusion" and event.grade == 2


@pytest.mark.parametrize("role", ["coordinator", "manager", "lab_technician", "billing"])
def test_only_physicians_and_nurses_record_or_follow_up(
    role, event, patient, administration, make_staff
):
    client = signed_in(make_staff(role, username=f"{role}-reader"))
    assert client.get(f"/adverse-events/patients/{patient.pk}/new/").status_code == 403
    assert client.post(f"/adverse-events/{event.pk}/follow-up/", {}).status_code == 403
    assert (
        client.post(f"/adverse-events/patients/{patient.pk}/new/", form(administration)).status_code
        == 403
    )
    assert AdverseEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "reads"),
    [("coordinator", True), ("manager", True), ("lab_technician", False), ("billing", False)],
)
def test_coordinators_and_managers_read_the_lab_only_through_the_unit(
    role, reads, event, make_staff
):
    client = signed_in(make_staff(role, username=f"{role}-reader"))
    for path in ("/adverse-events/", f"/adverse-events/{event.pk}/"):
        assert client.get(path).status_code == (200 if reads else 403), path
    if role == "lab_technician":
        unit = client.get(f"/lab/units/{event.unit_id}/")
        assert unit.status_code == 200
        body = unit.content.decode()
        assert 'data-testid="unit-adverse-events"' in body and "Arthralgia" in body
        assert f"/adverse-events/{event.pk}/" not in body  # no link to a page they cannot open


def test_the_form_names_the_field_and_the_reason(administration, patient, nurse, after):
    after(administration)
    client = signed_in(nurse)
    url = f"/adverse-events/patients/{patient.pk}/new/"
    response = client.post(url, form(administration, term="syncope", grade="2"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["grade"] == ["CTCAE v5.0 grades Syncope only as 3."]
    body = response.content.decode()
    assert '<div data-field="grade"><strong>CTCAE grade</strong>: CTCAE v5.0 grades Syncope' in body
    serious = client.post(url, form(administration, serious="on"))
    assert serious.status_code == 400
    assert "at least one seriousness criterion" in serious.context["form"].errors["criteria"][0]
    early = client.post(
        url, form(administration, onset_at=local(administration.given_at - timedelta(hours=1)))
    )
    assert "before the linked injection" in early.context["form"].errors["onset_at"][0]
    junk = client.post(url, {"grade": "9", "onset_at": "yesterday", "administration": "x"})
    assert junk.status_code == 400
    assert {"term", "grade", "onset_at", "administration"} <= set(junk.context["form"].errors)
    assert not AdverseEvent.objects.exists()


def test_a_foreign_injection_cannot_be_chosen(inject, patient, other_patient, nurse, after):
    theirs = inject(other_patient)
    after(theirs)
    client = signed_in(nurse)
    response = client.post(f"/adverse-events/patients/{patient.pk}/new/", form(theirs))
    assert response.status_code == 400
    assert "administration" in response.context["form"].errors
    assert not AdverseEvent.objects.exists()


def test_the_list_filters_and_its_queries_do_not_grow_with_rows(
    event, patient, nurse, make_staff, fixed_clock, django_assert_max_num_queries
):
    client = signed_in(make_staff("coordinator"))
    with django_assert_max_num_queries(LIST_QUERIES):
        assert client.get("/adverse-events/").status_code == 200
    onset = event.onset_at
    for i in range(6):
        ae.record_adverse_event(
            patient,
            report(
                "bruising" if i % 2 else "headache",
                onset=onset + timedelta(minutes=i),
                outcome="recovered" if i % 3 == 0 else "recovering",
                resolved_on=fixed_clock.now().date() if i % 3 == 0 else None,
            ),
            by=nurse,
            now=fixed_clock.now(),
        )
    with django_assert_max_num_queries(LIST_QUERIES):
        page = client.get("/adverse-events/")
    assert len(page.context["rows"]) == 7
    serious = client.get("/adverse-events/?serious=1").context["rows"]
    assert [e.pk for e in serious] == [event.pk]
    still_open = client.get("/adverse-events/?open=1").context["rows"]
    assert len(still_open) == 5 and all(e.outcome != "recovered" for e in still_open)
    read = AuditEvent.objects.filter(action="adverse_events.read").last()
    assert read.changes["patients"] == [patient.pk]


def test_the_event_page_shows_history_and_notifications_and_logs_the_read(
    event, physician, nurse, fixed_clock
):
    client = signed_in(nurse)
    follow = client.get(f"/adverse-events/{event.pk}/follow-up/")
    assert follow.status_code == 200
    data = {
        "grade": "3",
        "serious": "on",
        "criteria": ["hospitalisation"],
        "related_product": "unlikely",
        "related_procedure": "possible",
        "outcome": "recovered",
        "resolved_on": fixed_clock.now().date().isoformat(),
        "action_taken": "Discharged after two nights.",
        "note": "Home, walking.",
        "version": "1",
    }
    assert client.post(f"/adverse-events/{event.pk}/follow-up/", data).status_code == 302
    stale = client.post(f"/adverse-events/{event.pk}/follow-up/", {**data, "note": "Again"})
    assert stale.status_code == 409
    assert "Someone else updated this event" in stale.content.decode()
    page = client.get(f"/adverse-events/{event.pk}/")
    body = page.content.decode()
    assert "Home, walking." in body
    assert "Outcome</span>: Recovering / resolving → Recovered / resolved" in body
    assert physician.printed_name in body and "Clinic manager" in body
    assert AuditEvent.objects.filter(
        action="patient.read", changes__viewed="adverse event"
    ).exists()


def test_the_dashboard_shows_the_alert_until_acknowledged(event, manager, nurse):
    client = signed_in(manager)
    home = client.get("/")
    assert 'data-testid="adverse-event-alerts"' in home.content.decode()
    assert event.patient.mrn in home.content.decode()
    assert signed_in(nurse).post(f"/adverse-events/{event.pk}/acknowledge/").status_code == 403
    done = client.post(f"/adverse-events/{event.pk}/acknowledge/", {"next": "dashboard"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert 'data-testid="adverse-event-alerts"' not in client.get("/").content.decode()
    alert = Notification.objects.get(user=manager)
    assert alert.acknowledged_by == manager and alert.acknowledged_at is not None
    assert "adverse-event-alerts" not in signed_in(nurse).get("/").content.decode()


def test_the_patient_chart_and_the_course_show_the_event(event, patient, physician, make_staff):
    client = signed_in(physician)
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'data-testid="adverse-events-card"' in chart and "Arthralgia" in chart
    assert f"/adverse-events/{event.pk}/" in chart
    assert "Adverse event recorded" in chart  # the chart's history lists it as well
    course = client.get(f"/care/courses/{event.administration.appointment.course_id}/")
    assert f"/adverse-events/{event.pk}/" in course.content.decode()
    billing = signed_in(make_staff("billing")).get(f"/patients/{patient.pk}/").content.decode()
    assert "adverse-events-card" not in billing  # the chart, but not the events


def test_the_grade_help_loads_the_terms_ctcae_grades(nurse):
    client = signed_in(nurse)
    response = client.get("/adverse-events/terms/grades/?term=vasovagal_reaction")
    body = response.content.decode()
    assert response.status_code == 200 and "<dt>3</dt><dd>Present</dd>" in body
    assert "<dt>1</dt>" not in body
    other = client.get("/adverse-events/terms/grades/?term=other&soc=eye").content.decode()
    assert "<dt>4</dt>" in other and "<dt>5</dt>" not in other
    assert "Choose a term" in client.get("/adverse-events/terms/grades/?term=zzz").content.decode()


def test_bad_input_and_unknown_records_get_answers_not_errors(
    event, administration, patient, nurse, physician, jalali_site
):
    from autologic.patients import actions as patients
    from tests.conftest import patient_data

    client = signed_in(nurse)
    junk = client.post(
        f"/adverse-events/{event.pk}/follow-up/", {"grade": "x", "version": "abc", "outcome": "?"}
    )
    assert junk.status_code == 400
    assert {"grade", "outcome", "action_taken"} <= set(junk.context["form"].errors)
    # The follow-up form offers only the term's CTCAE grades (arthralgia has no grade 5).
    five = client.post(
        f"/adverse-events/{event.pk}/follow-up/",
        {"grade": "5", "outcome": "fatal", "version": "1", "action_taken": "x"},
    )
    assert five.status_code == 400 and "grade" in five.context["form"].errors
    other = client.post(
        f"/adverse-events/patients/{patient.pk}/new/", form(administration, term="other")
    )
    assert other.status_code == 400 and "soc" in other.context["form"].errors
    elsewhere = patients.create_patient(site=jalali_site, data=patient_data(), by=physician)
    assert client.get(f"/adverse-events/patients/{elsewhere.pk}/new/").status_code == 404
    assert client.get("/adverse-events/999999/").status_code == 404
    assert client.get("/adverse-events/999999/follow-up/").status_code == 404
    assert signed_in(physician).post("/adverse-events/999999/acknowledge/").status_code == 404
    assert client.get("/adverse-events/terms/grades/?term=other&soc=nope").status_code == 200
    assert AdverseEvent.objects.count() == 1
