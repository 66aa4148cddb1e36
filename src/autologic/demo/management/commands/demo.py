"""`autologic demo`: migrate, seed the demo clinics, print the logins, serve on 127.0.0.1:8000."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.demo.serving import public_url_for, serve_with_worker
from autologic.operations.management.commands.serve import gunicorn_command, prepare_metrics_dir


class Command(BaseCommand):
    help = "Start the demo clinics on embedded SQLite."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            help="HOST:PORT to serve on, e.g. 0.0.0.0:8000 to reach the demo from a phone",
        )
        parser.add_argument("--no-serve", action="store_true", help="Prepare only; do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MODE != "demo":
            raise CommandError("autologic demo runs only with AUTOLOGIC_MODE=demo.")
        bind = options["bind"]
        if "AUTOLOGIC_PUBLIC_URL" not in os.environ:
            # Patients' links (printed below, and in the demo's e-mails) lead to this server;
            # the server and the worker read the same address from their environment.
            os.environ["AUTOLOGIC_PUBLIC_URL"] = public_url_for(bind)
            settings.AUTOLOGIC_PUBLIC_URL = os.environ["AUTOLOGIC_PUBLIC_URL"]
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("seed_demo")
        if options["no_serve"]:
            return
        self.stdout.write(
            f"\nServing the demo at http://{bind} (patients' links: "
            f"{settings.AUTOLOGIC_PUBLIC_URL})\nCtrl-C stops the server and its worker.\n"
        )
        self.stdout.flush()
        # The embedded background worker (reminders, the outbox: e-mails land in var/mail, SMS
        # in the log) runs beside the server and stops with it.
        worker = [sys.executable, "-m", "autologic.cli", "worker"]
        workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
        prepare_metrics_dir()
        os.environ["AUTOLOGIC_LOG_FORMAT"] = settings.LOG_FORMAT
        status = serve_with_worker(gunicorn_command(bind, workers), worker)
        if status:
            raise CommandError(f"The server stopped with exit status {status}.")
