"""`autologic labels sample`: a printer test label, the way clinics test their label stock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.common.domain.errors import DomainError
from autologic.lab.printing import SAMPLE_NAMES, pdf, sample_content, zpl_for


class Command(BaseCommand):
    help = (
        "labels sample [--lang LANG] [--name NAME] [--product CODE] --out FILE.pdf: render a "
        "printer test label (an internal and an ISBT 128 page) with the given or the longest "
        "realistic content; --zpl FILE also writes its ZPL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        sample = commands.add_parser("sample", help="render a printer test label")
        sample.add_argument("--lang", default="en", choices=sorted(SAMPLE_NAMES))
        sample.add_argument("--name", help="the patient's name (default: the longest realistic)")
        sample.add_argument("--product", help="a product code of the protocol library")
        sample.add_argument("--out", required=True, type=Path, help="the PDF to write")
        sample.add_argument("--zpl", type=Path, help="also write the labels as ZPL here")

    def handle(self, *args: Any, **options: Any) -> None:
        """Write the test label's PDF (and ZPL) and say where."""
        out: Path = options["out"]
        if out.suffix.lower() != ".pdf":
            raise CommandError("--out: the file name must end in .pdf")
        try:
            labels = [
                sample_content(options["lang"], options["name"], options["product"], isbt=isbt)
                for isbt in (False, True)
            ]
            document = pdf(labels)
            zpl = "".join(zpl_for(label) for label in labels) if options["zpl"] else ""
        except DomainError as error:
            raise CommandError(f"{error.field or 'label'}: {error.message}") from None
        out.write_bytes(document)
        if options["zpl"]:
            options["zpl"].write_text(zpl, encoding="utf-8")
        self.stdout.write(f"wrote {out} (2 labels: internal and ISBT 128 identifiers)")
