"""`autologic demo`: migrate, seed the demo clinic, print the logins, serve on 127.0.0.1:8000."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Start the demo clinic on embedded SQLite."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Prepare only; do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MODE != "demo":
            raise CommandError("autologic demo runs only with AUTOLOGIC_MODE=demo.")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("seed_demo")
        if not options["no_serve"]:
            # The embedded background worker: reminders and the outbox (e-mails land in
            # var/mail, SMS in the log). It stops with the server (same process group).
            subprocess.Popen([sys.executable, "-m", "autologic.cli", "worker"])  # noqa: S603
            self.stdout.write(
                f"\nServing the demo at http://{options['bind']}  (Ctrl-C stops it)\n"
            )
            call_command("serve", bind=options["bind"])
