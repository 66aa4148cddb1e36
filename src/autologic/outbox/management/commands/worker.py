"""`autologic worker`: the embedded background worker.

Every ``--interval`` seconds it sends the reminders that have come due at every clinic, runs the
tasks waiting on the database queue (deliveries, retries), and sweeps the outbox for anything a
lost task left behind. With ``AUTOLOGIC_REDIS_URL`` set, tasks run on RQ workers instead
(``autologic rqworker --job-class django_tasks_rq.Job --with-scheduler``) and this loop only
sends reminders and sweeps. ``--once`` does a single round (for cron or tests).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from autologic.accounts.models import Site
from autologic.common import clock
from autologic.outbox.actions import deliver_due
from autologic.portal.actions import send_due_reminders


class Command(BaseCommand):
    help = "Send due reminders and deliver queued messages, in a loop (or once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            self.round()
            if options["once"]:
                return
            time.sleep(options["interval"])

    def round(self) -> None:
        """One pass: reminders, queued tasks, outbox sweep."""
        for site in Site.objects.all():
            counts = send_due_reminders(site, now=clock.now())
            if counts:
                self.stdout.write(f"{site.code}: reminders {counts}")
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
        swept = deliver_due(now=clock.now())
        if swept:
            self.stdout.write(f"outbox: {swept}")
