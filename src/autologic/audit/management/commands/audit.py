"""`autologic audit verify`: recompute the audit hash chain; exit 1 at the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from autologic.audit.queries import verify


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' recomputes the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify()
        if report.ok:
            self.stdout.write(
                f"audit chain intact: {report.count} events, head {report.head_hash[:16]}"
            )
            return
        self.stderr.write(f"audit chain BROKEN at seq {report.first_broken_seq}: {report.reason}")
        raise SystemExit(1)
