"""Publish the audit chain's head to a sink outside the database, now or on a schedule.

The three sinks of ``AUTOLOGIC_AUDIT_ANCHOR``: a file (one JSON line appended per anchor, put it
on another volume), e-mail through Django's mail settings (never the outbox, which lives in the
database being anchored), and an HTTP endpoint that receives the JSON with a bearer token.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail

from autologic.audit import queries
from autologic.audit.anchoring.domain import Anchor, Destination, anchor_json, parse_destination

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Somewhere outside the database that keeps anchors."""

    def publish(self, anchor: Anchor) -> None:
        """Hand one anchor over; raise when it was not accepted."""
        ...

    def describe(self) -> str:
        """Name the sink for messages and logs (never its token)."""
        ...


@dataclass(frozen=True)
class FileSink:
    """Appends one JSON line per anchor and flushes it to disk."""

    path: str

    def publish(self, anchor: Anchor) -> None:
        """Append the anchor's line and fsync, so a crash right after cannot lose it."""
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(anchor_json(anchor) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def describe(self) -> str:
        """The file's path."""
        return f"file {self.path}"


@dataclass(frozen=True)
class MailSink:
    """E-mails each anchor (its JSON line is the message body) through Django's mail backend."""

    addresses: tuple[str, ...]

    def publish(self, anchor: Anchor) -> None:
        """Send one e-mail; SMTP errors propagate."""
        body = (
            "The Autologic audit trail's head at the time below. Keep this line: "
            "`autologic audit verify --anchors FILE` checks a file of such lines.\n\n"
            f"{anchor_json(anchor)}\n"
        )
        send_mail(
            f"Autologic audit anchor: seq {anchor.seq}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            list(self.addresses),
            fail_silently=False,
        )

    def describe(self) -> str:
        """The recipients."""
        return f"mail to {', '.join(self.addresses)}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the bearer token to another address: treat it as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class HttpSink:
    """POSTs each anchor as JSON with ``Authorization: Bearer <token>``; any 2xx accepts it."""

    url: str
    token: str = field(repr=False)
    timeout: float = 10.0

    def publish(self, anchor: Anchor) -> None:
        """POST the anchor; an HTTP error status, a redirect or a network error raises."""
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url,
            data=anchor_json(anchor).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        with opener.open(request, timeout=self.timeout) as answer:
            if not 200 <= answer.status < 300:
                raise OSError(f"the anchor endpoint answered HTTP {answer.status}")

    def describe(self) -> str:
        """The endpoint's address."""
        return f"POST {self.url}"


def sink_for(destination: Destination, *, token: str = "") -> Sink:
    """The sink a parsed setting names; an HTTP sink needs its token."""
    if destination.kind == "file":
        return FileSink(destination.target)
    if destination.kind == "mail":
        return MailSink(tuple(destination.target.split(",")))
    if not token:
        raise ImproperlyConfigured("AUTOLOGIC_AUDIT_ANCHOR_TOKEN must be set for an HTTP sink")
    return HttpSink(destination.target, token)


def configured_sink() -> Sink | None:
    """The sink of ``AUTOLOGIC_AUDIT_ANCHOR``, or None when anchoring is not configured."""
    setting = settings.AUTOLOGIC_AUDIT_ANCHOR
    if not setting:
        return None
    try:
        destination = parse_destination(setting)
    except ValueError as error:
        raise ImproperlyConfigured(f"AUTOLOGIC_AUDIT_ANCHOR: {error}") from error
    return sink_for(destination, token=settings.AUTOLOGIC_AUDIT_ANCHOR_TOKEN)


def publish_head(sink: Sink, *, now: datetime) -> Anchor | None:
    """Publish the chain's current head; None when the chain is still empty."""
    head = queries.chain_head()
    return None if head is None else _publish(sink, head, now)


def _publish(sink: Sink, head: tuple[int, str], now: datetime) -> Anchor:
    anchor = Anchor(seq=head[0], hash=head[1], at=now)
    sink.publish(anchor)
    log.info("audit anchor: seq %s published to %s", anchor.seq, sink.describe())
    return anchor


@dataclass
class AnchorSchedule:
    """Publishes the head at most once per ``every``, and only when it moved since the last
    anchor. A failed publication is tried again at the next run."""

    sink: Sink
    every: timedelta
    last_seq: int | None = None
    last_at: datetime | None = None

    def run(self, *, now: datetime) -> Anchor | None:
        """Anchor when due and the head moved; return the anchor published, if any."""
        if self.last_at is not None and now - self.last_at < self.every:
            return None
        head = queries.chain_head()
        if head is None or head[0] == self.last_seq:
            return None
        anchor = _publish(self.sink, head, now)
        self.last_seq, self.last_at = anchor.seq, now
        return anchor

    @classmethod
    def configured(cls) -> AnchorSchedule | None:
        """The schedule of the settings, or None when anchoring is not configured."""
        sink = configured_sink()
        if sink is None:
            return None
        return cls(sink, timedelta(minutes=settings.AUTOLOGIC_AUDIT_ANCHOR_MINUTES))
