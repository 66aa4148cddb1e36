"""Structured logs: one JSON object per line, each with the request it belongs to.

* ``RequestIdMiddleware`` gives every request an id: the proxy's ``X-Request-ID`` when it is a
  plain token, else a new one. It answers it in the ``X-Request-ID`` header, so that a user's
  error report, the proxy's log, gunicorn's access log and the application's log can be joined.
* ``RequestIdFilter`` writes that id on every log record made while the request runs.
* ``JsonLogFormatter`` (python-json-logger) writes a fixed set of fields only. Django attaches the
  request object to some records, and its text holds the query string, which can hold a patient's
  name. A field that is not on the list is never written.

Portal tokens are cut out of every message by ``autologic.portal.logs.RedactPortalTokens``,
which runs before the formatter.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
# What a proxy may hand us as a request id: letters, digits, dashes; nothing a log could misread.
_PLAIN = re.compile(r"[A-Za-z0-9-]{8,64}")
FIELDS = ("timestamp", "level", "logger", "message", "request_id", "exc_info", "stack_info")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _PLAIN.fullmatch(given) else uuid.uuid4().hex
        # Kept until the response is finished (request_finished, below): Django logs a refused
        # request after every middleware has returned.
        REQUEST_ID.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(sender: Any, **kwargs: Any) -> None:
    REQUEST_ID.set("")


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served ('' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per record, of the listed fields only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("{levelname}{name}{message}", *args, style="{", **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["request_id"] = getattr(record, "request_id", "")
        for key in [key for key in log_data if key not in FIELDS]:
            del log_data[key]
