"""Recording and following up adverse events: links, audit, concurrency, who is alerted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.adverse_events import actions as ae
from autologic.adverse_events import alerts
from autologic.adverse_events.models import AdverseEvent, AdverseEventUpdate, Notification
from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.injections.models import Administration
from autologic.lab.models import Unit, UnitEvent
from autologic.outbox.models import Message

from .conftest import SERIOUS, judged, report, with_email

pytestmark = pytest.mark.django_db


def test_an_event_linked_to_an_injection_is_recorded_and_audited_with_its_unit(
    administration, patient, nurse, after, fixed_clock
):
    onset = after(administration)
    event = ae.record_adverse_event(
        patient,
        report(onset=onset, administration_id=administration.pk),
        by=nurse,
        now=fixed_clock.now(),
    )
    assert event.unit_id == administration.unit_id  # the injection's unit, not chosen apart
    assert event.soc == "musculoskeletal" and event.meddra_code == 10003239
    assert event.ctcae_version == "5.0" and event.version == 1
    entry = AuditEvent.objects.get(action="adverse_event.record")
    assert entry.object_type == "patient" and entry.object_id == str(patient.pk)
    assert entry.changes["adverse_event"] == event.pk
    assert entry.changes["grade"] == [None, 1] and entry.changes["term"] == [None, "Arthralgia"]
    note = UnitEvent.objects.get(unit_id=event.unit_id, move="adverse_event")
    assert note.from_status == note.to_status == "administered"
    assert note.detail == {
        "adverse_event": event.pk,
        "term": "Arthralgia",
        "grade": 1,
        "serious": False,
        "version": 1,
    }
    assert audit.verify().ok


def test_the_audit_event_is_written_in_the_same_transaction(
    administration, patient, physician, manager, after, fixed_clock, monkeypatch
):
    with_email(physician, "dr@example.org")
    onset = after(administration)

    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(alerts, "queue_message", broken)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        ae.record_adverse_event(
            patient,
            report(onset=onset, administration_id=administration.pk, **SERIOUS),
            by=physician,
            now=fixed_clock.now(),
        )
    # Nothing of the failed action survives: no event, no custody note, no audit row.
    assert not AdverseEvent.objects.exists()
    assert not UnitEvent.objects.filter(move="adverse_event").exists()
    assert AuditEvent.objects.count() == before


def test_an_injection_or_unit_of_another_patient_is_refused_by_field(
    inject, patient, other_patient, nurse, after, fixed_clock
):
    mine = inject()
    theirs = inject(other_patient)
    onset = after(theirs)
    with pytest.raises(ValidationFailed) as caught:
        ae.record_adverse_event(
            patient,
            report(onset=onset, administration_id=theirs.pk),
            by=nurse,
            now=fixed_clock.now(),
        )
    assert caught.value.field == "administration"
    assert caught.value.code == "injection_other_patient"
    with pytest.raises(ValidationFailed) as caught:
        ae.record_adverse_event(
            patient, report(onset=onset, unit_id=theirs.unit_id), by=nurse, now=fixed_clock.now()
        )
    assert caught.value.field == "unit" and caught.value.code == "unit_other_patient"
    with pytest.raises(ValidationFailed) as caught:
        ae.record_adverse_event(
            patient,
            report(onset=onset, administration_id=mine.pk, unit_id=theirs.unit_id),
            by=nurse,
            now=fixed_clock.now(),
        )
    assert caught.value.field == "unit" and caught.value.code == "unit_not_given"
    assert not AdverseEvent.objects.exists()


def test_a_harvest_event_links_the_specimen_unit(
    administration, patient, nurse, after, fixed_clock
):
    onset = after(administration)
    specimen = Unit.objects.get(patient=patient, parent__isnull=True)
    event = ae.record_adverse_event(
        patient,
        report("hematoma", onset=onset, unit_id=specimen.pk, related_product="not_related"),
        by=nurse,
        now=fixed_clock.now(),
    )
    assert event.unit == specimen and event.administration is None
    assert UnitEvent.objects.filter(unit=specimen, move="adverse_event").count() == 1


def test_onset_before_the_injection_is_refused(administration, patient, nurse, fixed_clock):
    fixed_clock.current = administration.given_at + timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        ae.record_adverse_event(
            patient,
            report(
                onset=administration.given_at - timedelta(hours=1),
                administration_id=administration.pk,
            ),
            by=nurse,
            now=fixed_clock.now(),
        )
    assert caught.value.field == "onset_at"


def test_a_follow_up_is_versioned_audited_and_a_second_stale_one_conflicts(
    administration, patient, nurse, physician, after, fixed_clock
):
    onset = after(administration)
    event = ae.record_adverse_event(
        patient, report(onset=onset, administration_id=administration.pk), by=nurse, now=onset
    )
    resolved = (onset + timedelta(hours=12)).date()
    fixed_clock.current = onset + timedelta(days=2)
    update = judged(grade=2, outcome="recovered", resolved_on=resolved, note="Settled by day 2.")
    ae.update_adverse_event(
        event.pk, update, by=physician, expected_version=1, now=fixed_clock.now()
    )
    # A colleague who opened the same version meanwhile cannot overwrite the follow-up.
    with pytest.raises(ConflictError) as caught:
        ae.update_adverse_event(
            event.pk, judged(grade=3), by=nurse, expected_version=1, now=fixed_clock.now()
        )
    assert caught.value.code == "stale_adverse_event"
    event.refresh_from_db()
    assert event.version == 2 and event.grade == 2 and event.outcome == "recovered"
    (row,) = AdverseEventUpdate.objects.filter(event=event)
    assert row.version == 2 and row.by == physician and row.note == "Settled by day 2."
    assert row.changes == {
        "grade": [1, 2],
        "outcome": ["recovering", "recovered"],
        "resolved_on": [None, resolved.isoformat()],
    }
    entry = AuditEvent.objects.get(action="adverse_event.update")
    assert entry.changes["grade"] == [1, 2] and entry.changes["version"] == [1, 2]
    assert row.audit_seq == entry.seq
    assert UnitEvent.objects.filter(move="adverse_event_update").count() == 1


def test_a_follow_up_that_changes_nothing_is_refused(
    administration, patient, nurse, after, fixed_clock
):
    onset = after(administration)
    event = ae.record_adverse_event(patient, report(onset=onset), by=nurse, now=fixed_clock.now())
    with pytest.raises(ValidationFailed) as caught:
        ae.update_adverse_event(
            event.pk, judged(), by=nurse, expected_version=1, now=fixed_clock.now()
        )
    assert caught.value.code == "nothing_changed"


# ----------------------------------------------------------------------------- notification


def test_a_serious_event_alerts_the_operator_and_the_managers_and_mails_those_with_addresses(
    administration, patient, physician, nurse, manager, make_staff, after, fixed_clock
):
    with_email(physician, "dr.who@example.org")
    with_email(manager, "boss@example.org")
    second_manager = make_staff("manager", username="manager-2")  # no e-mail address
    bystander = with_email(make_staff("physician", username="physician-2"), "x@example.org")
    onset = after(administration)
    event = ae.record_adverse_event(
        patient,
        report(
            "joint_infection",
            onset=onset,
            administration_id=administration.pk,
            grade=3,
            serious=True,
            criteria=("hospitalisation",),
            related_product="possible",
            description=f"{patient.given_name} {patient.family_name} admitted with a hot knee.",
        ),
        by=nurse,
        now=fixed_clock.now(),
    )
    told = {n.user_id: n for n in Notification.objects.filter(event=event)}
    assert set(told) == {physician.pk, manager.pk, second_manager.pk}
    assert bystander.pk not in told
    assert told[physician.pk].reason == "operator"
    assert told[manager.pk].reason == told[second_manager.pk].reason == "manager"
    assert told[second_manager.pk].email == "" and told[second_manager.pk].message_id is None
    mails = list(Message.objects.filter(ref=f"adverse-event:{event.pk}").order_by("to"))
    assert [m.to for m in mails] == ["boss@example.org", "dr.who@example.org"]
    assert {told[physician.pk].message_id, told[manager.pk].message_id} == {m.pk for m in mails}
    for mail in mails:
        text = mail.subject + mail.body
        assert mail.channel == "email" and mail.status == "pending"
        assert patient.mrn in text and f"/adverse-events/{event.pk}/" in text
        assert patient.family_name not in text and patient.given_name not in text
        assert "hot knee" not in text  # free text never leaves by e-mail
    notified = AuditEvent.objects.get(action="adverse_event.notify")
    assert len(notified.changes["notified"]) == 3


def test_without_an_operating_physician_the_course_physician_is_alerted(
    inject, patient, physician, nurse, manager, make_staff, after, fixed_clock
):
    given_by_nurse = inject(operator=nurse)
    other = make_staff("physician", username="physician-2")
    onset = after(given_by_nurse)
    event = ae.record_adverse_event(
        patient,
        report(onset=onset, administration_id=given_by_nurse.pk, **SERIOUS),
        by=nurse,
        now=fixed_clock.now(),
    )
    told = dict(Notification.objects.filter(event=event).values_list("user_id", "reason"))
    # The course started from the physician's signed eligibility decision.
    assert told == {physician.pk: "course_physician", manager.pk: "manager"}
    assert other.pk not in told
    assert not Message.objects.exists()  # nobody has an e-mail address


def test_without_a_course_every_physician_of_the_site_is_alerted(
    other_patient, physician, nurse, manager, make_staff, fixed_clock
):
    other = make_staff("physician", username="physician-2")
    event = ae.record_adverse_event(
        other_patient,
        report("fall", onset=fixed_clock.now() - timedelta(hours=1), **SERIOUS),
        by=nurse,
        now=fixed_clock.now(),
    )
    told = dict(Notification.objects.filter(event=event).values_list("user_id", "reason"))
    assert told == {
        physician.pk: "site_physician",
        other.pk: "site_physician",
        manager.pk: "manager",
    }


def test_a_non_serious_event_alerts_nobody(
    administration, patient, physician, manager, after, fixed_clock
):
    with_email(physician, "dr@example.org")
    onset = after(administration)
    ae.record_adverse_event(
        patient,
        report(onset=onset, administration_id=administration.pk, grade=3),
        by=physician,
        now=fixed_clock.now(),
    )
    assert not Notification.objects.exists() and not Message.objects.exists()
    assert not AuditEvent.objects.filter(action="adverse_event.notify").exists()


def test_an_event_that_becomes_serious_alerts_then(
    administration, patient, physician, nurse, manager, after, fixed_clock
):
    onset = after(administration)
    event = ae.record_adverse_event(
        patient, report(onset=onset, administration_id=administration.pk), by=nurse, now=onset
    )
    assert not Notification.objects.exists()
    ae.update_adverse_event(
        event.pk,
        judged(grade=3, serious=True, criteria=("hospitalisation",)),
        by=nurse,
        expected_version=1,
        now=fixed_clock.now(),
    )
    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        physician.pk,
        manager.pk,
    }


def test_acknowledging_an_alert_records_who_and_when_once(
    administration, patient, physician, manager, nurse, after, fixed_clock
):
    onset = after(administration)
    event = ae.record_adverse_event(
        patient,
        report(onset=onset, administration_id=administration.pk, **SERIOUS),
        by=nurse,
        now=fixed_clock.now(),
    )
    later = fixed_clock.now() + timedelta(minutes=20)
    alert = ae.acknowledge_alert(event, by=manager, now=later)
    assert alert.acknowledged_at == later and alert.acknowledged_by == manager
    entry = AuditEvent.objects.get(action="adverse_event.acknowledge")
    assert entry.actor == manager and entry.object_id == str(patient.pk)
    with pytest.raises(ConflictError):
        ae.acknowledge_alert(event, by=manager, now=later)
    with pytest.raises(ValidationFailed):
        ae.acknowledge_alert(event, by=nurse, now=later)  # nurses get no alert
    assert Notification.objects.get(user=physician).acknowledged_at is None


def test_an_other_specify_event_keeps_its_text_off_the_e_mail(
    administration, patient, physician, nurse, after, fixed_clock
):
    with_email(physician, "dr@example.org")
    onset = after(administration)
    event = ae.record_adverse_event(
        patient,
        report(
            "other",
            onset=onset,
            soc="musculoskeletal",
            term_other=f"Septic bursitis, {patient.family_name} family doctor informed",
            administration_id=administration.pk,
            **SERIOUS,
        ),
        by=nurse,
        now=fixed_clock.now(),
    )
    assert event.meddra_code == 10028395 and event.soc == "musculoskeletal"
    assert event.term_name.endswith(
        "Other, specify: Septic bursitis, Müller family doctor informed"
    )
    (mail,) = Message.objects.all()
    assert "Musculoskeletal and connective tissue disorder - Other, specify" in mail.body
    assert "Septic bursitis" not in mail.body and patient.family_name not in mail.body


def test_adverse_event_onset_in_the_same_minute_as_the_injection_is_accepted(
    administration, patient, nurse, fixed_clock
):
    """An immediate reaction is typed to the minute; the injection was given at 10:00:40."""
    given_at = administration.given_at.replace(second=40)
    Administration.objects.filter(pk=administration.pk).update(given_at=given_at)
    fixed_clock.current = given_at + timedelta(minutes=5)
    event = ae.record_adverse_event(
        patient,
        report(
            "presyncope",
            grade=2,
            onset=given_at.replace(second=0),
            administration_id=administration.pk,
        ),
        by=nurse,
        now=fixed_clock.now(),
    )
    assert event.onset_at == given_at.replace(second=0)
    # A minute before the injection is still before it.
    with pytest.raises(ValidationFailed) as caught:
        ae.record_adverse_event(
            patient,
            report(onset=given_at - timedelta(minutes=1), administration_id=administration.pk),
            by=nurse,
            now=fixed_clock.now(),
        )
    assert caught.value.code == "onset_before_injection"


@pytest.mark.parametrize(
    "shift,with_date,field",
    [
        (timedelta(hours=-1), True, "resolved_time"),  # before the onset
        (timedelta(hours=30), True, "resolved_time"),  # after "now"
        (timedelta(hours=3), False, "resolved_time"),  # a time without its date
    ],
)
def test_an_impossible_resolution_time_is_refused_by_field(
    administration, patient, nurse, fixed_clock, shift, with_date, field
):
    from zoneinfo import ZoneInfo

    onset = administration.given_at + timedelta(hours=2)
    fixed_clock.current = onset + timedelta(hours=24)
    zone = ZoneInfo(patient.site.time_zone)
    resolved = (onset + shift).astimezone(zone)
    with pytest.raises(ValidationFailed) as caught:
        ae.record_adverse_event(
            patient,
            report(
                onset=onset,
                administration_id=administration.pk,
                outcome="recovered" if with_date else "recovering",
                resolved_on=resolved.date() if with_date else None,
                resolved_time=resolved.time().replace(second=0, microsecond=0),
            ),
            by=nurse,
            now=fixed_clock.now(),
        )
    assert caught.value.field == field
    assert not AdverseEvent.objects.exists()


def test_the_time_a_reaction_resolved_is_kept(administration, patient, nurse, fixed_clock):
    from zoneinfo import ZoneInfo

    onset = administration.given_at + timedelta(hours=1)
    fixed_clock.current = onset + timedelta(days=2)
    resolved = (onset + timedelta(hours=5)).astimezone(ZoneInfo(patient.site.time_zone))
    event = ae.record_adverse_event(
        patient,
        report(
            "injection_site_reaction",
            onset=onset,
            administration_id=administration.pk,
            outcome="recovered",
            resolved_on=resolved.date(),
            resolved_time=resolved.time().replace(second=0, microsecond=0),
        ),
        by=nurse,
        now=fixed_clock.now(),
    )
    event.refresh_from_db()
    assert event.resolved_time == resolved.time().replace(second=0, microsecond=0)
