"""Reminders: each step once, by the patient's channel, not lost while the mail server is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from autologic.outbox.models import Message
from autologic.patients.models import Patient
from autologic.portal import actions
from autologic.portal.models import Link, Reminder

pytestmark = pytest.mark.django_db


def _on(fixed_clock, day):
    fixed_clock.current = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)


def test_the_window_opening_sends_one_reminder_by_the_patients_channel(
    baseline, site, fixed_clock, patient
):
    _on(fixed_clock, baseline.due_from)
    assert actions.send_due_reminders(site, now=fixed_clock.now()) == {"queued": 1}
    reminder = Reminder.objects.get()
    assert reminder.step == "open" and reminder.outcome == "queued"
    message = reminder.message
    assert message.channel == "sms" and message.to == patient.phone  # no e-mail on file
    assert reminder.link.language == patient.preferred_language == "de"
    assert reminder.link.created_by is None  # sent by the system
    # Running again the same day sends nothing more.
    assert actions.send_due_reminders(site, now=fixed_clock.now()) == {}
    assert Message.objects.count() == 1


def test_a_patient_without_contact_is_recorded_once_and_not_retried(
    baseline, site, fixed_clock, patient
):
    Patient.objects.filter(pk=patient.pk).update(phone="", email="")
    _on(fixed_clock, baseline.due_from)
    assert actions.send_due_reminders(site, now=fixed_clock.now()) == {"no_contact": 1}
    assert actions.send_due_reminders(site, now=fixed_clock.now()) == {}
    assert not Message.objects.exists() and not Link.objects.exists()


def test_nothing_is_sent_once_every_questionnaire_is_in(
    course, baseline, site, fixed_clock, submit
):
    from tests.outcomes.conftest import hoos, koos

    for region_name, instrument, answers in (
        ("knee", "KOOS", koos(1)),
        ("hip", "HOOS", hoos(1)),
        ("knee", "NRS", {"PAIN": 4}),
        ("hip", "NRS", {"PAIN": 3}),
        ("knee", "PGA", {"GLOBAL": 30}),
        ("hip", "PGA", {"GLOBAL": 30}),
    ):
        submit(course, "baseline", region_name, instrument, answers, on=baseline.due_from)
    _on(fixed_clock, baseline.due_from)
    assert actions.send_due_reminders(site, now=fixed_clock.now()) == {}


@pytest.mark.django_db(transaction=True)  # the worker runs queued tasks and closes connections
def test_the_reminder_reaches_the_patient_after_a_mail_outage(
    baseline, site, fixed_clock, patient, smtp
):
    """Worker rounds while the server is down keep the reminder; it goes when it is back."""
    Patient.objects.filter(pk=patient.pk).update(email="juergen@example.org")
    _on(fixed_clock, baseline.due_from)
    call_command("worker", once=True)
    message = Message.objects.get()
    assert message.status == "pending" and message.attempts == 1
    fixed_clock.current += timedelta(minutes=5)
    call_command("worker", once=True)  # still down: tried again, still kept
    message.refresh_from_db()
    assert message.status == "pending" and message.attempts >= 2
    smtp.start()
    fixed_clock.current += timedelta(minutes=5)
    call_command("worker", once=True)
    message.refresh_from_db()
    assert message.status == "sent"
    (mail,) = smtp.inbox.received
    assert mail["To"] == "juergen@example.org"
    assert "/p/" in mail.get_payload()
    assert Reminder.objects.count() == 1  # one reminder, delivered once
