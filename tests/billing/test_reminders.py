"""Payment reminders: one before an instalment falls due and one once it is overdue, in the
patient's language (Persian digits, Jalali date, tomans in Tehran), through the outbox, never
twice, and none for what is paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from autologic.billing import actions
from autologic.billing.domain.money import Money
from autologic.billing.models import PaymentReminder
from autologic.outbox.models import Message
from autologic.patients.models import Patient
from tests.billing.conftest import NOW, billing_for, hip_range
from tests.billing.test_actions import _hip, accept, as_rials, plan

TODAY = NOW.date()


def test_reminders_before_and_after_the_due_day_once_each(site, start_course, make_staff, patient):
    as_rials(site)
    billing_for(site, "IR", reminder_days=3)
    hip_range(site)
    Patient.objects.filter(pk=patient.pk).update(
        email="", phone="+989121234567", preferred_language="fa"
    )
    course = start_course("cells-hip", regions=[_hip()])
    clerk = make_staff("billing")
    estimate = actions.offer_estimate(
        course,
        plan=plan("IRR", deposit=40_000_000, parts=3),  # deposit today, then every 30 days
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Fat-derived cells")},
        language="fa",
        by=clerk,
        now=NOW,
    )
    accept(estimate, clerk)
    actions.record_payment(
        course,
        amount=Money.of(40_000_000, "IRR"),
        method="cash",
        received_on=TODAY,
        by=clerk,
        now=NOW,
    )
    second_due = TODAY + timedelta(days=30)
    assert actions.send_payment_reminders(site, now=NOW) == {}  # deposit paid, nothing near
    three_before = NOW + timedelta(days=27)
    assert actions.send_payment_reminders(site, now=three_before) == {"queued": 1}
    assert actions.send_payment_reminders(site, now=three_before + timedelta(hours=2)) == {}
    message = Message.objects.get(purpose="billing.reminder")
    assert message.channel == "sms" and message.to == "+989121234567"
    assert "۴٬۰۰۰٬۰۰۰ تومان" in message.body or "۴,۰۰۰,۰۰۰ تومان" in message.body
    assert "۱۴۰۵/۰۹/۳۰" in message.body  # 2026-12-21 in the Jalali calendar
    assert second_due.isoformat() == "2026-12-21"
    late = NOW + timedelta(days=32)
    assert actions.send_payment_reminders(site, now=late) == {"queued": 1}
    steps = list(PaymentReminder.objects.values_list("instalment__number", "step"))
    assert steps == [(2, "before"), (2, "overdue")]
    # Paid in full: the next round reminds nothing more of it.
    actions.record_payment(
        course,
        amount=Money.of(40_000_000, "IRR"),
        method="card",
        received_on=late.date(),
        by=clerk,
        now=late,
    )
    assert actions.send_payment_reminders(site, now=late + timedelta(days=1)) == {}


@pytest.mark.django_db(transaction=True)  # the worker runs queued tasks and closes connections
def test_the_worker_sends_payment_reminders(site, start_course, make_staff, patient, fixed_clock):
    billing_for(site, "ES", reminder_days=40)
    course = start_course("acs-large-joint")
    from autologic.protocols.models import ProtocolVersion

    clerk = make_staff("billing")
    actions.seed_price_list(
        site, ProtocolVersion.objects.get(pk=course.protocol_id), by=clerk, now=NOW
    )
    Patient.objects.filter(pk=patient.pk).update(email="ana@example.org", preferred_language="es")
    estimate = actions.offer_estimate(
        course, plan=plan("EUR", parts=1), language="es", by=clerk, now=NOW
    )
    accept(estimate, clerk)
    call_command("worker", once=True)
    message = Message.objects.get(purpose="billing.reminder")
    assert message.channel == "email" and message.subject.startswith("Recordatorio de pago")
