"""`autologic audit verify`: recompute the audit hash chain; exit 1 at the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from autologic.audit import triggers
from autologic.audit.queries import verify


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' recomputes the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify()
        if not report.ok:
            self.stderr.write(
                f"audit chain BROKEN at seq {report.first_broken_seq}: {report.reason}"
            )
            raise SystemExit(1)
        self.stdout.write(
            f"audit chain intact: {report.count} events, head {report.head_hash[:16]}"
        )
        absent = triggers.missing(connection)
        if absent:
            self.stderr.write(f"append-only triggers MISSING: {', '.join(sorted(absent))}")
            raise SystemExit(1)
