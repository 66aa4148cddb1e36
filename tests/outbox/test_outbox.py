"""The outbox: backoff rules, and no reminder lost while the mail server is down."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.core.management import call_command
from django.db import transaction

from autologic.outbox import actions, channels, domain
from autologic.outbox.domain import Status
from autologic.outbox.models import Message

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_backoff_doubles_from_one_minute_and_is_capped_at_six_hours():
    assert domain.delay(1) == timedelta(minutes=1)
    assert domain.delay(2) == timedelta(minutes=2)
    assert domain.delay(5) == timedelta(minutes=16)
    assert domain.delay(9) == timedelta(hours=4, minutes=16)
    assert domain.delay(10) == timedelta(hours=6)
    with pytest.raises(ValueError):
        domain.delay(0)


def test_a_failure_is_retried_until_the_last_attempt_then_waits_for_a_person():
    retry = domain.after_failure(3, NOW, "down", permanent=False)
    assert retry.status == Status.PENDING and retry.next_attempt_at == NOW + timedelta(minutes=4)
    last = domain.after_failure(domain.MAX_ATTEMPTS, NOW, "down", permanent=False)
    assert last.status == Status.FAILED and last.next_attempt_at is None
    refused = domain.after_failure(1, NOW, "no such user", permanent=True)
    assert refused.status == Status.FAILED


def _queue(site, to="patient@example.org", channel="email"):
    return actions.queue_message(
        site=site,
        channel=channel,
        to=to,
        subject="Your questionnaire",
        body="Hello",
        purpose="questionnaire",
        now=NOW,
    )


@pytest.mark.django_db
def test_a_message_needs_a_channel_and_a_recipient(site):
    from autologic.common.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as bad:
        _queue(site, channel="pigeon")
    assert bad.value.field == "channel"
    with pytest.raises(ValidationFailed) as nobody:
        _queue(site, to=" ")
    assert nobody.value.field == "to"


@pytest.mark.django_db
def test_no_reminder_is_lost_while_the_mail_server_is_down(site, smtp):
    message = _queue(site)
    assert actions.deliver(message.pk, now=NOW) == Status.PENDING  # the server is down
    message.refresh_from_db()
    assert message.attempts == 1 and message.next_attempt_at == NOW + timedelta(minutes=1)
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    # Not due yet: a sweep before the backoff leaves it alone.
    assert actions.deliver_due(now=NOW + timedelta(seconds=30)) == {}
    assert actions.deliver_due(now=NOW + timedelta(minutes=1)) == {"pending": 1}  # still down
    smtp.start()
    assert actions.deliver_due(now=NOW + timedelta(minutes=2)) == {}  # backoff is 2 min now
    assert actions.deliver_due(now=NOW + timedelta(minutes=3)) == {"sent": 1}
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 3
    assert [m["To"] for m in smtp.inbox.received] == ["patient@example.org"]
    assert actions.deliver_due(now=NOW + timedelta(hours=1)) == {}  # sent once, never again


@pytest.mark.django_db
def test_a_refused_recipient_is_not_retried_and_waits_for_a_person(site, smtp, manager):
    smtp.start()

    def refuse(*args, **kwargs):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})

    from unittest import mock

    with mock.patch("django.core.mail.EmailMessage.send", refuse):
        message = _queue(site, to="x@example.org")
        assert actions.deliver(message.pk, now=NOW) == Status.FAILED
    message.refresh_from_db()
    assert message.next_attempt_at is None and "refused" in message.last_error
    actions.retry_now(message, by=manager, now=NOW)
    assert actions.deliver(message.pk, now=NOW) == Status.SENT
    assert len(smtp.inbox.received) == 1


@pytest.mark.django_db
def test_two_workers_cannot_both_send_one_message(site, smtp):
    smtp.start()
    message = _queue(site)
    assert actions._claim(message.pk, NOW) is not None
    assert actions.deliver(message.pk, now=NOW) == ""  # the second worker finds it taken
    # A claim abandoned by a dead worker becomes due again after ten minutes.
    assert actions.deliver(message.pk, now=NOW + domain.STALE_CLAIM + timedelta(seconds=1)) == (
        Status.SENT
    )
    assert len(smtp.inbox.received) == 1


def test_a_message_sent_again_after_a_crash_keeps_its_message_id(site, smtp):
    """A worker killed after the server accepted the mail, before marking it sent: the message
    goes again once its claim is stale (at least once), as the same e-mail (one Message-ID)."""
    smtp.start()
    message = _queue(site)
    assert actions._claim(message.pk, NOW) is not None
    actions._send(message, NOW, lambda _id: None)  # accepted; the worker dies before recording
    later = NOW + domain.STALE_CLAIM + timedelta(seconds=1)
    assert actions.deliver(message.pk, now=later) == Status.SENT
    first, again = smtp.inbox.received
    assert first["Message-ID"] == again["Message-ID"] == actions.message_id(message)
    assert first["Message-ID"].startswith(f"<outbox.{message.pk}.")
    message.refresh_from_db()
    assert message.provider_id == actions.message_id(message)


class ClosingBackend(EmailBackend):
    """Django's SMTP backend, noting every message's status when it closes its connection."""

    seen: list[str] = []

    def close(self) -> None:
        if self.connection is not None:
            ClosingBackend.seen.extend(Message.objects.values_list("status", flat=True))
        super().close()


def test_a_mail_is_recorded_sent_before_the_connection_closes(site, smtp, settings):
    """The window in which a killed worker sends a reminder twice is the write that records it,
    not the SMTP goodbye as well: the mail is marked sent while the connection is still open."""
    smtp.start()
    settings.EMAIL_BACKEND = f"{__name__}.ClosingBackend"
    message = _queue(site)
    ClosingBackend.seen = []
    assert actions.deliver(message.pk, now=NOW) == Status.SENT
    assert ClosingBackend.seen == [Status.SENT]
    assert len(smtp.inbox.received) == 1


class Gateway(BaseHTTPRequestHandler):
    """A stand-in SMS provider: 503 for the first call, then accepted."""

    calls: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.calls.append((self.headers["Authorization"], body))
        if len(Gateway.calls) == 1:
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"id": "sms-42"}).encode())

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_sms_goes_through_the_http_gateway_with_retries(site, settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.calls = []
    settings.AUTOLOGIC_SMS_GATEWAY = "http"
    settings.AUTOLOGIC_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.AUTOLOGIC_SMS_TOKEN = "secret"
    try:
        message = _queue(site, to="+49 30 1234567", channel="sms")
        assert actions.deliver(message.pk, now=NOW) == Status.PENDING
        assert actions.deliver_due(now=NOW + timedelta(minutes=1)) == {"sent": 1}
    finally:
        server.shutdown()
    message.refresh_from_db()
    assert message.provider_id == "sms-42"
    assert Gateway.calls[-1] == (
        "Bearer secret",
        {"to": "+49301234567", "from": "Autologic", "text": "Hello"},  # sent in E.164
    )


@pytest.mark.django_db
def test_sms_to_a_number_that_does_not_parse_is_refused_not_sent(site, settings):
    # Issue 14: numbers are validated and normalised before anything is sent.  A number stored
    # before that rule waits for a person instead of reaching a stranger's phone.
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.calls = []
    settings.AUTOLOGIC_SMS_GATEWAY = "http"
    settings.AUTOLOGIC_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.AUTOLOGIC_SMS_TOKEN = "secret"
    try:
        message = _queue(site, to="12", channel="sms")
        assert actions.deliver(message.pk, now=NOW) == Status.FAILED
    finally:
        server.shutdown()
    message.refresh_from_db()
    assert Gateway.calls == [] and "not a valid phone number" in message.last_error


def test_the_gateway_treats_a_client_error_as_a_refusal():
    import urllib.error
    from unittest import mock

    gateway = channels.HttpSmsGateway("http://127.0.0.1:9/x", "t", "A")
    error = urllib.error.HTTPError("http://x", 400, "bad number", {}, None)
    with mock.patch("urllib.request.urlopen", side_effect=error), pytest.raises(channels.Refused):
        gateway.send("+1", "hi")


@pytest.mark.django_db(transaction=True)
def test_the_embedded_queue_delivers_after_commit_and_retries_after_an_outage(site, smtp):
    """Queued in a transaction -> a task on the database queue -> the worker delivers it."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        message = _queue(site)
        assert not DBTaskResult.objects.exists()  # nothing leaves before the commit
    assert DBTaskResult.objects.count() == 1
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    message.refresh_from_db()
    assert message.status == Status.PENDING and message.attempts == 1  # server down: kept
    smtp.start()
    Message.objects.filter(pk=message.pk).update(next_attempt_at=NOW)  # the backoff has passed
    actions._enqueue(message.pk)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.inbox.received) == 1


@pytest.mark.django_db(transaction=True)
def test_on_redis_the_rq_worker_delivers(site, smtp, settings):
    """With AUTOLOGIC_REDIS_URL set, tasks go to Redis and an RQ worker runs them."""
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/14"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()
    smtp.start()
    message = _queue(site)  # outside a transaction: enqueued at once
    assert queue.count == 1
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    worker.work(burst=True)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.inbox.received) == 1
    queue.connection.flushdb()


def _settings_in(tmp_path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUTOLOGIC_") and k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "SECRET_KEY": "k" * 20 + "random-enough-for-this-check-123",
            "DATABASE_URL": "sqlite:///:memory:",
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            **env_vars,
        }
    )
    code = "import autologic.settings as s; print(s.AUTOLOGIC_SMS_GATEWAY)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_log_gateway_refused_in_production_unless_allowed(tmp_path):
    refused = _settings_in(tmp_path, AUTOLOGIC_MODE="production")  # the default gateway is log
    assert refused.returncode != 0
    assert "AUTOLOGIC_SMS_GATEWAY" in refused.stderr and "AUTOLOGIC_SMS_ALLOW_LOG" in refused.stderr
    named = _settings_in(tmp_path, AUTOLOGIC_MODE="production", AUTOLOGIC_SMS_GATEWAY="log")
    assert named.returncode != 0
    allowed = _settings_in(tmp_path, AUTOLOGIC_MODE="production", AUTOLOGIC_SMS_ALLOW_LOG="1")
    assert allowed.returncode == 0, allowed.stderr
    provider = _settings_in(
        tmp_path,
        AUTOLOGIC_MODE="production",
        AUTOLOGIC_SMS_GATEWAY="http",
        AUTOLOGIC_SMS_URL="https://sms.example/send",
    )
    assert provider.returncode == 0, provider.stderr
    assert _settings_in(tmp_path, AUTOLOGIC_MODE="demo").returncode == 0


def test_the_log_gateway_sends_nothing_and_writes_no_text(caplog):
    with caplog.at_level(logging.DEBUG), pytest.raises(channels.Refused) as refused:
        channels.LogSmsGateway().send("+49 30 1234567", "Hello Jürgen: https://x/p/abcdef/")
    assert "AUTOLOGIC_SMS_GATEWAY" in str(refused.value)
    assert "1234567" not in caplog.text and "Jürgen" not in caplog.text and "/p/" not in caplog.text
