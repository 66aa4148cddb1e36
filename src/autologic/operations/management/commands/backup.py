"""`autologic backup --out DIR [--encrypt-to KEY ...]`: an online, consistent backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.common import clock
from autologic.operations.backups import BackupError, take_backup


class Command(BaseCommand):
    help = (
        "Back up the database while it runs: the file and a manifest (versions, migrations, "
        "audit head, row counts, checksums) of one snapshot; optionally encrypted with age."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="a new or empty directory")
        parser.add_argument(
            "--encrypt-to",
            action="append",
            default=[],
            metavar="KEY",
            help="an age public key (age1…) or SSH public key line; repeat for several",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = take_backup(
                options["out"], now=clock.now(), encrypt_to=options["encrypt_to"]
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        state = manifest.state
        self.stdout.write(
            f"backup written to {options['out']}: {manifest.database.name} "
            f"({manifest.database.bytes:,} bytes), {len(state.tables)} tables, "
            f"{sum(state.tables.values()):,} rows, audit head seq {state.audit_seq}"
            + (", encrypted" if manifest.encrypted_to else "")
        )
