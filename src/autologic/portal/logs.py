"""Keep portal tokens out of every log: a logging filter for Django's handlers and gunicorn's.

A token in a path (``/p/<token>/``) is a patient's key to their questionnaires; a log line that
holds one hands it to whoever reads the log. The filter formats the record, cuts the tokens out
of the message and of the traceback, and lets it through.
"""

from __future__ import annotations

import logging

from autologic.portal.domain import redact_tokens

_FORMATTER = logging.Formatter()


class RedactPortalTokens(logging.Filter):
    """Rewrite a record so that neither its message nor its traceback holds a portal token."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        record.msg, record.args = redact_tokens(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_tokens(record.stack_info)
        return True
