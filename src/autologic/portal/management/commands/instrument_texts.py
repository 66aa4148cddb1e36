"""`autologic instrument_texts load FILE --site CODE`: load a clinic's questionnaire wording.

For licensed instruments (WOMAC, ODI) and the holders' official translations of KOOS and HOOS.
The file is checked item by item against the instrument before anything is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.accounts.models import Site
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.portal import actions, texts


class Command(BaseCommand):
    help = "Load a questionnaire wording file for one clinic, or list what each clinic has."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["load", "list"])
        parser.add_argument("file", nargs="?")
        parser.add_argument("--site", required=True, help="the clinic's site code")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(code=options["site"]).first()
        if site is None:
            raise CommandError(f"no site with code {options['site']!r}")
        if options["subcommand"] == "list":
            for instrument, languages in sorted(texts.languages(site).items()):
                self.stdout.write(f"{instrument}: {', '.join(sorted(languages))}")
            return
        if not options["file"]:
            raise CommandError("name the wording file to load")
        try:
            data = yaml.safe_load(Path(options["file"]).read_text(encoding="utf-8"))
            row = actions.supply_text(site, data, by=None, now=clock.now())
        except (OSError, yaml.YAMLError) as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
        except DomainError as refused:
            raise CommandError(f"{refused.field or 'file'}: {refused.message}") from refused
        self.stdout.write(f"loaded {row.instrument} ({row.language}) for {site.code}")
