"""The two ways a message leaves: e-mail over SMTP (Django's mail backend) and an SMS gateway.

A channel either returns the provider's id, raises ``Refused`` when retrying cannot help (the
address or number is rejected), or raises anything else for a failure worth retrying.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class Refused(Exception):
    """The far end refused the message for good (bad address, rejected number)."""


class SmsGateway(Protocol):
    """What an SMS provider adapter offers: send one text, return the provider's id."""

    def send(self, to: str, text: str) -> str:
        """Send one SMS; raise ``Refused`` for a permanent rejection."""
        ...


class LogSmsGateway:
    """No SMS provider (demo, development, or a clinic that allowed it): nothing is sent.

    The message is refused, so it waits for a person instead of claiming it was sent, and the
    log says only that an SMS was due: never the number or the text (a name, a portal link)."""

    def send(self, to: str, text: str) -> str:
        """Refuse the message; log that it was not sent, and nothing of it."""
        log.warning("An SMS was not sent: AUTOLOGIC_SMS_GATEWAY is 'log' (no SMS provider).")
        raise Refused("not sent: no SMS provider is configured (AUTOLOGIC_SMS_GATEWAY is 'log').")


class HttpSmsGateway:
    """A JSON-over-HTTPS gateway: POST {to, from, text} with a bearer token, answer {id}."""

    def __init__(self, url: str, token: str, sender: str, timeout: float = 10.0) -> None:
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, to: str, text: str) -> str:
        """POST one message; 4xx is a refusal, 5xx and network errors are retried."""
        body = json.dumps({"to": to, "from": self.sender, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return str(json.loads(answer.read() or b"{}").get("id", ""))
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code != 429:
                raise Refused(f"gateway refused the message: HTTP {error.code}") from error
            raise


def sms_gateway() -> SmsGateway:
    """The configured gateway: ``log`` (default), ``http``, or a dotted path to a class."""
    kind = settings.AUTOLOGIC_SMS_GATEWAY
    if kind == "log":
        return LogSmsGateway()
    if kind == "http":
        return HttpSmsGateway(
            settings.AUTOLOGIC_SMS_URL, settings.AUTOLOGIC_SMS_TOKEN, settings.AUTOLOGIC_SMS_FROM
        )
    gateway: SmsGateway = import_string(kind)()
    return gateway


def send_email(
    to: str,
    subject: str,
    body: str,
    message_id: str = "",
    accepted: Callable[[str], object] | None = None,
) -> str:
    """Send one e-mail through the configured backend; 5xx refusals are permanent.

    ``message_id``: the outbox message's own Message-ID. Delivery is at least once (a worker
    killed after the server accepted the mail, before it was marked sent, sends it again), and
    a repeat with the same Message-ID is recognised by mail systems as the same e-mail.

    ``accepted`` runs with the Message-ID as soon as the server has accepted the mail, before
    the connection is closed: recording the sending there keeps the window in which a killed
    worker sends twice to that record's own write, not the SMTP goodbye as well. A failure to
    close the connection is only logged: what happened before it decides the outcome."""
    headers = {"Message-ID": message_id} if message_id else {}
    connection = get_connection(fail_silently=False)
    message = EmailMessage(
        subject=subject, body=body, to=[to], headers=headers, connection=connection
    )
    connection.open()
    try:
        try:
            message.send(fail_silently=False)  # the open connection stays open
        except smtplib.SMTPRecipientsRefused as error:
            raise Refused(f"recipient refused: {to}") from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if 500 <= error.smtp_code < 600:
                raise Refused(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
            raise
        sent_id = str(message.extra_headers.get("Message-ID", ""))
        if accepted is not None:
            accepted(sent_id)
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException) as error:
            log.warning("closing the SMTP connection failed: %s", error)
    return sent_id
