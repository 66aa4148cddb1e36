"""Settings for the test suite: the real settings in test mode."""

import os

os.environ["AUTOLOGIC_MODE"] = "test"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from autologic.settings import *  # noqa: E402,F403

# Tests serve static files from the apps through finders; nothing is collected.
STATIC_ROOT = None

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared memory: the live server's threads then get their own connections
    # and SQLite's WAL locking, as in production.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"autologic-test-{os.getpid()}.sqlite3")
    }
else:
    # Close connections after each request so the test database can be dropped at the end.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
