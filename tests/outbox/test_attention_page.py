"""The outbox page: staff see what could not leave the clinic, and send it again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.common import clock
from autologic.outbox.models import PURPOSES, Message
from tests.conftest import signed_in


def _message(site, **fields) -> Message:
    now = clock.now()
    values = {
        "channel": "email",
        "to": "anna@example.org",
        "body": "Your questionnaire",
        "purpose": "questionnaire",
        "status": "pending",
        "next_attempt_at": now,
        "created_at": now,
        **fields,
    }
    return Message.objects.create(site=site, **values)


@pytest.fixture
def coordinator(make_staff):
    return make_staff(Role.COORDINATOR)


def test_failed_and_failing_messages_are_listed_and_the_read_audited(site, coordinator):
    failed = _message(site, status="failed", attempts=5, last_error="550 no such mailbox")
    failing = _message(
        site,
        channel="sms",
        to="+4915112345678",
        attempts=2,
        last_error="gateway timeout",
        purpose="billing.reminder",
        next_attempt_at=clock.now() + timedelta(minutes=8),
    )
    just_queued = _message(site, to="fresh@example.org")
    sent = _message(site, status="sent", to="done@example.org")
    page = signed_in(coordinator).get("/outbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-message="{failed.pk}"' in html and "550 no such mailbox" in html
    assert f'data-message="{failing.pk}"' in html and "Payment reminder" in html
    assert "fresh@example.org" not in html and "done@example.org" not in html
    assert (
        f'data-message="{just_queued.pk}"' not in html and f'data-message="{sent.pk}"' not in html
    )
    assert ">questionnaire<" not in html and ">billing.reminder<" not in html  # labels, not codes
    assert AuditEvent.objects.filter(action="outbox.read", actor=coordinator).count() == 1


def test_send_again_puts_a_failed_message_back_in_the_queue_once(site, coordinator):
    failed = _message(site, status="failed", attempts=5, last_error="550 no such mailbox")
    client = signed_in(coordinator)
    first = client.post(f"/outbox/{failed.pk}/retry/", follow=True)
    assert first.status_code == 200 and "being sent again" in first.content.decode()
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.attempts == 0
    again = client.post(f"/outbox/{failed.pk}/retry/", follow=True)
    assert "Only a message that needs attention is retried." in again.content.decode()
    assert AuditEvent.objects.filter(action="outbox.retried", object_id=str(failed.pk)).count() == 1


def test_another_clinics_message_is_not_found(site, jalali_site, coordinator):
    theirs = _message(jalali_site, status="failed", attempts=5)
    assert signed_in(coordinator).post(f"/outbox/{theirs.pk}/retry/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "failed"


def test_every_purpose_a_feature_queues_has_a_label():
    from autologic.adverse_events import mail as adverse_mail
    from autologic.billing import mail as billing_mail

    assert {adverse_mail.PURPOSE, billing_mail.PURPOSE, "questionnaire", "billing.estimate"} == set(
        PURPOSES
    )
