"""`autologic restore DIR [--identity KEYFILE]`: load a backup into an empty database and
check it against its manifest, the audit chain and the triggers; exit 1 on any difference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.operations.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database, then verify it (exit 1 on any problem)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--identity", type=Path, help="the age identity file, for an encrypted backup"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        identity = options["identity"]
        try:
            lines = identity.read_text(encoding="utf-8").split() if identity else None
            report = restore(options["directory"], identity_lines=lines)
        except OSError as error:
            raise CommandError(f"{error.filename}: {error.strerror}") from error
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(report.state.tables.values())
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"restore check FAILED: {problem}")
            raise CommandError(f"restored, but {len(report.problems)} checks failed")
        self.stdout.write(
            f"restored and verified: {len(report.state.tables)} tables, {rows:,} rows as in the "
            f"manifest; audit chain intact ({report.audit_events} events, head seq "
            f"{report.state.audit_seq}); every trigger in force"
        )
