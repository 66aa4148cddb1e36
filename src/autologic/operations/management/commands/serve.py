"""`autologic serve`: run the WSGI app under gunicorn.

Before it starts, it refuses (one line, exit 1) a database with migrations not applied, and it
collects the static files the pages name by hashed file name, so a fresh `migrate` and `serve`
answer pages rather than 500s (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.operations.queries import pending_migrations


class Command(BaseCommand):
    help = "Serve Autologic with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("AUTOLOGIC_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", "1")),
            help="Threads per worker; above 1, gunicorn's threaded (gthread) workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pending = pending_migrations()
        if pending:
            raise CommandError(
                f"{len(pending)} database migrations are not applied (first: {pending[0]}): "
                "run `autologic migrate` first"
            )
        if isinstance(staticfiles_storage, ManifestFilesMixin):
            call_command("collectstatic", interactive=False, verbosity=0)
        prepare_metrics_dir()
        os.environ["AUTOLOGIC_LOG_FORMAT"] = settings.LOG_FORMAT  # gunicorn's logs too
        os.environ["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
        argv = gunicorn_command(options["bind"], options["workers"], options["threads"])
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server


def prepare_metrics_dir() -> None:
    """Request metrics of several gunicorn workers are kept in files, one set per worker, and
    added up by each scrape; they start empty with the server (unless the operator chose a
    directory through PROMETHEUS_MULTIPROC_DIR)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = settings.DATA_DIR / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def gunicorn_command(bind: str, workers: int, threads: int = 1) -> list[str]:
    """The gunicorn command line that serves Autologic (sync workers, or threaded ones)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "autologic.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--timeout",
        "60",
        # Path only: query strings carry patient names and birth dates (search).
        "--access-logformat",
        '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        # The path of a portal page holds the patient's token: both logs cut it out.
        "--logger-class",
        "autologic.portal.gunicorn_logger.GunicornLogger",
        "--config",
        "python:autologic.operations.gunicorn_config",
    ]
