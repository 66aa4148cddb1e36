"""A real SMTP server (aiosmtpd) on a free port that tests stop and start."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox(MessageHandler):
    """Keeps every e-mail the server accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list = []

    def handle_message(self, message) -> None:
        self.received.append(message)


class MailServer:
    """An SMTP server that can go down and come back on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings) -> Iterator[MailServer]:
    """The SMTP server, down at first; mail settings point at it."""
    server = MailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 3
    yield server
    server.stop()


@pytest.fixture
def manager(make_staff):
    return make_staff("manager")
