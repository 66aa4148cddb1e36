"""`autologic claims load FILE --site CODE`: load a version of a clinic's claim file;
`autologic claims list --site CODE` lists what is in force; `claims check FILE` validates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.accounts.models import Site
from autologic.analytics import actions, queries
from autologic.common import clock
from autologic.common.domain.errors import DomainError


class Command(BaseCommand):
    help = "Load, check or list a clinic's claim files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["load", "list", "check"])
        parser.add_argument("file", nargs="?")
        parser.add_argument("--site", help="the clinic's site code (load, list)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "check":
            try:
                claims = actions.read_claims(self._text(options), options["file"])
            except DomainError as refused:
                raise CommandError(refused.message) from refused
            self.stdout.write(f"{options['file']}: {claims.claims} v{claims.version} ok")
            return
        site = Site.objects.filter(code=options["site"] or "").first()
        if site is None:
            raise CommandError(f"no site with code {options['site']!r}")
        if options["subcommand"] == "list":
            for row in queries.claim_sets(site):
                self.stdout.write(f"{row.code} v{row.version}: {row.title}")
            return
        try:
            row, new = actions.load_claims(
                site=site,
                text=self._text(options),
                source=options["file"],
                by=None,
                now=clock.now(),
            )
        except DomainError as refused:
            raise CommandError(f"{refused.field or 'file'}: {refused.message}") from refused
        state = "loaded" if new else "already loaded"
        self.stdout.write(f"{state}: {row.code} v{row.version} for {site.code}")

    def _text(self, options: dict[str, Any]) -> str:
        if not options["file"]:
            raise CommandError("name the claim file")
        try:
            return Path(options["file"]).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
