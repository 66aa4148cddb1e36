"""`autologic audit verify [--anchors FILE]` and `autologic audit anchor`.

``verify`` recomputes the hash chain, checks the signatures, checks that every append-only and
guard trigger is in force, and with ``--anchors`` that every anchored head is still in the chain;
it exits 1 naming the first problem of each kind.  ``anchor`` publishes the chain's head to the
sink of ``AUTOLOGIC_AUDIT_ANCHOR``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from autologic.audit import triggers
from autologic.audit.anchoring.domain import Anchored, AnchorFileError, read_anchors
from autologic.audit.anchoring.publish import configured_sink, publish_head
from autologic.audit.queries import verify, verify_anchors
from autologic.common import clock


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'verify' recomputes the hash chain and checks the triggers (and, "
        "with --anchors FILE, the published heads); 'anchor' publishes the chain's head."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "anchor"])
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="verify: a JSON-lines file of anchors (the file sink's), each still in the chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "anchor":
            if options["anchors"]:
                raise CommandError("--anchors belongs to 'audit verify'")
            self.anchor()
        else:
            self.verify(options["anchors"])

    def anchor(self) -> None:
        """Publish the head to the configured sink."""
        try:
            sink = configured_sink()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if sink is None:
            raise CommandError(
                "AUTOLOGIC_AUDIT_ANCHOR is not set: give a file:///path, mailto:address or "
                "https:// URL to publish the chain's head to"
            )
        try:
            anchor = publish_head(sink, now=clock.now())
        except OSError as error:  # file, SMTP and HTTP failures alike
            raise CommandError(f"anchor to {sink.describe()} FAILED: {error}") from error
        if anchor is None:
            self.stdout.write("nothing to anchor: the audit trail is empty")
            return
        self.stdout.write(
            f"anchored seq {anchor.seq}, hash {anchor.hash[:16]}…, to {sink.describe()}"
        )

    def verify(self, anchors_file: str | None) -> None:
        """Run every check; exit 1 when any failed."""
        anchored = self.read(anchors_file) if anchors_file else None
        failed = False
        report = verify()
        if report.ok:
            self.stdout.write(
                f"audit chain intact: {report.count} events, head {report.head_hash[:16]}"
            )
        else:
            failed = True
            self.stderr.write(
                f"audit chain BROKEN at seq {report.first_broken_seq}: {report.reason}"
            )
        faults = triggers.faults(connection)
        if faults:
            failed = True
            self.stderr.write(f"triggers MISSING or not in force: {'; '.join(faults)}")
        if anchored is not None:
            check = verify_anchors(anchored)
            if check.ok:
                self.stdout.write(f"anchors: {check.checked} checked, all in the chain")
            else:
                failed = True
                self.stderr.write(f"anchors: {check.checked} checked, FAILED: {check.failure}")
        if failed:
            raise SystemExit(1)

    def read(self, path: str) -> list[Anchored]:
        """The anchors of a JSON-lines file; an unreadable file or line is an error naming it."""
        try:
            with open(path, encoding="utf-8") as file:
                return read_anchors(file)
        except OSError as error:
            raise CommandError(f"--anchors {path}: {error.strerror}") from error
        except (AnchorFileError, UnicodeDecodeError) as error:
            raise CommandError(f"--anchors {path}: {error}") from error
