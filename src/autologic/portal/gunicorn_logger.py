"""gunicorn's logger with portal tokens cut out of its access and error logs, and, with
``AUTOLOGIC_LOG_FORMAT=json`` (production's default, set by `autologic serve`), both logs as
one JSON object per line like the application's (autologic.operations.logs).

`autologic serve` runs gunicorn with ``--logger-class`` pointing here: the access log keeps
method, path (never the query string), status, size, timing and the request id, with
``/p/<token>/`` written as ``/p/[token]/``, and the error log is filtered the same way.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger

from autologic.operations.logs import JsonLogFormatter
from autologic.portal.logs import RedactPortalTokens


class GunicornLogger(Logger):
    """gunicorn's standard logger; each of its two logs drops portal tokens."""

    def setup(self, cfg: Any) -> None:
        """Set the logs up as gunicorn does, then filter both (again after a reload)."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactPortalTokens) for f in log.filters):
                log.addFilter(RedactPortalTokens())
        if _json():
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonLogFormatter())
            for handler in self.access_log.handlers:
                handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """The access line: gunicorn's format as text, or a JSON object of the same atoms."""
        if not _json():
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms_wrapper_class(self.atoms(resp, req, environ, request_time))
        line = {
            "timestamp": datetime.now(UTC).isoformat(),
            "level": "INFO",
            "logger": "gunicorn.access",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],  # without the query string: it can hold a patient's name
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "ms": atoms["M"],
            "request_id": atoms["{x-request-id}o"],
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - gunicorn's own behaviour: report, never fail the request
            self.error(traceback.format_exc())


def _json() -> bool:
    return os.environ.get("AUTOLOGIC_LOG_FORMAT") == "json"
