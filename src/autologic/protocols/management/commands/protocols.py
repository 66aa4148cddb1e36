"""`autologic protocols check FILE...` and `autologic protocols sync`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.common.domain.errors import DomainError
from autologic.protocols.actions import sync_protocols
from autologic.protocols.files import protocol_files, read_protocol


class Command(BaseCommand):
    help = "Validate protocol files, or load new protocol versions into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        check = sub.add_parser("check", help="validate files (default: every protocol folder)")
        check.add_argument("files", nargs="*", type=Path)
        sub.add_parser("sync", help="load new versions; refuse changed ones")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "check":
            self._check(options["files"] or protocol_files())
        else:
            self._sync()

    def _check(self, files: list[Path]) -> None:
        failed = 0
        for path in files:
            try:
                protocol = read_protocol(path)
            except DomainError as exc:
                failed += 1
                for issue in exc.data.get("issues", []):
                    self.stderr.write(f"{path}: {issue}")
                continue
            self.stdout.write(f"{path}: ok ({protocol.code} v{protocol.version})")
        if failed:
            raise CommandError(f"{failed} of {len(files)} protocol files are invalid.")

    def _sync(self) -> None:
        report = sync_protocols()
        for name in report.loaded:
            self.stdout.write(f"loaded {name}")
        for name in report.status_changed:
            self.stdout.write(f"status changed {name}")
        self.stdout.write(f"{len(report.unchanged)} unchanged")
        for reason in report.refused:
            self.stderr.write(f"refused: {reason}")
        if not report.ok:
            raise CommandError(f"{len(report.refused)} protocol files were refused.")
