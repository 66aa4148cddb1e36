"""Portal tokens never rest anywhere but in the patient's hands: not in a stored message, not in
a log. Messages get a fresh token for their link when they are delivered."""

from __future__ import annotations

import logging
import re
import sys

import pytest

from autologic.audit.models import AuditEvent
from autologic.outbox import actions as outbox
from autologic.outbox.domain import Status
from autologic.outbox.models import Message
from autologic.patients.models import Patient
from autologic.portal import actions
from autologic.portal.models import Link

pytestmark = pytest.mark.django_db

TOKEN_IN_URL = re.compile(r"/p/([A-Za-z0-9_-]{20,})/")


def _everything_stored() -> str:
    """Every row that could hold a token, as text."""
    rows = [
        *Message.objects.values(),
        *Link.objects.values(),
        *AuditEvent.objects.values("changes", "object_id"),
    ]
    return repr(rows)


def test_outbox_body_never_holds_the_token(baseline, nurse_user, fixed_clock, patient, smtp):
    Patient.objects.filter(pk=patient.pk).update(email="juergen@example.org")
    smtp.start()
    link = actions.send_link(
        baseline, channel="email", language="en", by=nurse_user, now=fixed_clock.now()
    )
    message = Message.objects.get()
    assert "/p/" not in message.body and message.ref == f"portal-link:{link.pk}"
    assert outbox.deliver(message.pk, now=fixed_clock.now()) == Status.SENT
    (mail,) = smtp.inbox.received
    text = mail.get_payload(decode=True).decode()
    token = TOKEN_IN_URL.search(text).group(1)
    assert f"Hello {patient.given_name}" in text
    assert actions.open_link(token, now=fixed_clock.now()).pk == link.pk  # the link works
    assert token not in _everything_stored()
    minted = AuditEvent.objects.get(action="portal.token_minted")
    assert minted.changes == {"link_id": link.pk, "message_id": message.pk}


def test_log_gateway_never_writes_the_token(
    baseline, nurse_user, fixed_clock, patient, settings, caplog
):
    settings.AUTOLOGIC_SMS_GATEWAY = "log"
    actions.send_link(baseline, channel="sms", language="en", by=nurse_user, now=fixed_clock.now())
    message = Message.objects.get()
    with caplog.at_level(logging.DEBUG):
        status = outbox.deliver(message.pk, now=fixed_clock.now())
    assert "/p/" not in caplog.text
    assert patient.phone not in caplog.text and patient.given_name not in caplog.text
    assert "SMS" in caplog.text  # the log says an SMS was due, and nothing of it
    # Nothing was sent, so the message does not claim it was: a person sees why.
    assert status == Status.FAILED
    message.refresh_from_db()
    assert message.sent_at is None and "AUTOLOGIC_SMS_GATEWAY" in message.last_error


def test_a_message_for_a_withdrawn_link_is_refused_not_sent(
    baseline, nurse_user, fixed_clock, patient, smtp
):
    Patient.objects.filter(pk=patient.pk).update(email="juergen@example.org")
    smtp.start()
    link = actions.send_link(
        baseline, channel="email", language="en", by=nurse_user, now=fixed_clock.now()
    )
    actions.revoke_link(link, by=nurse_user, reason="wrong address", now=fixed_clock.now())
    message = Message.objects.get()
    assert outbox.deliver(message.pk, now=fixed_clock.now()) == Status.FAILED
    message.refresh_from_db()
    assert "withdrawn" in message.last_error
    assert not smtp.inbox.received
    assert not AuditEvent.objects.filter(action="portal.token_minted").exists()


def test_every_token_of_a_link_ends_with_the_link(issued, nurse_user, fixed_clock):
    second = actions.mint_token(issued.link, by=nurse_user, message=None, now=fixed_clock.now())
    assert second != issued.token
    for token in (issued.token, second):
        assert actions.open_link(token, now=fixed_clock.now()).pk == issued.link.pk
    assert actions.open_link(second, now=issued.link.expires_at) is None
    actions.revoke_link(issued.link, by=nurse_user, reason="lost phone", now=fixed_clock.now())
    for token in (issued.token, second):
        assert actions.open_link(token, now=fixed_clock.now()) is None


def test_the_hand_over_page_shows_a_working_link_that_is_not_stored(
    baseline, make_staff, patient, client
):
    from django.urls import reverse

    from tests.conftest import signed_in

    coordinator = signed_in(make_staff("coordinator"))
    page = coordinator.post(
        reverse("portal:send", args=[baseline.pk]), {"channel": "hand", "language": "en"}
    )
    token = TOKEN_IN_URL.search(page.content.decode()).group(1)
    assert client.get(reverse("portal:home", args=[token])).status_code == 200
    assert token not in _everything_stored()


def test_django_logs_never_hold_portal_tokens(issued):
    """Django names the path of a refused request (CSRF, 404, 500): the handlers redact it."""
    path = f"/p/{issued.token}/1/KOOS/answer/"
    for name in ("django.security.csrf", "django.request", "django.server"):
        logger = logging.getLogger(name)
        handlers, owner = [], logger
        while owner is not None:  # every handler a record of this logger reaches
            handlers += owner.handlers
            owner = owner.parent if owner.propagate else None
        # The test run's own capture handlers are pytest's, not the application's.
        handlers = [h for h in handlers if not type(h).__module__.startswith("_pytest")]
        assert handlers, name
        for handler in handlers:
            try:
                raise ValueError(f"no such page: {path}")
            except ValueError:
                record = logger.makeRecord(
                    name, logging.WARNING, __file__, 1, "Forbidden: %s", (path,), sys.exc_info()
                )
            if handler.filter(record):
                assert issued.token not in handler.format(record), (name, handler)
