"""gunicorn's logger with portal tokens cut out of its access and error logs.

`autologic serve` runs gunicorn with ``--logger-class`` pointing here: the access log keeps
method, path, status and timing, with ``/p/<token>/`` written as ``/p/[token]/`` (in the path,
the request line, the referrer and every other atom), and the error log is filtered the same way.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from autologic.portal.logs import RedactPortalTokens


class GunicornLogger(Logger):
    """gunicorn's standard logger; each of its two logs drops portal tokens."""

    def setup(self, cfg: Any) -> None:
        """Set the logs up as gunicorn does, then filter both (again after a reload)."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactPortalTokens) for f in log.filters):
                log.addFilter(RedactPortalTokens())
