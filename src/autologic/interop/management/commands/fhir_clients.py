"""`autologic fhir-clients add NAME --site CODE --scope S [--scope S] [--purpose registry]
[--jwks FILE] [--print-token]`: register a machine client of the FHIR API (with the public
keys of its SMART Backend Services assertions); `fhir-clients token NAME` prints a new bearer
token for scripts; `fhir-clients list`; `fhir-clients disable NAME`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.accounts.models import Site
from autologic.audit.actions import audited_transaction, record_event
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.interop import auth
from autologic.interop.models import FhirClient


class Command(BaseCommand):
    help = "Register, list or disable FHIR machine clients, or print a token for one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["add", "token", "list", "disable"])
        parser.add_argument("name", nargs="?")
        parser.add_argument("--site", help="the clinic's site code (add)")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            help="a SMART system scope, e.g. system/*.read, system/Patient.read, "
            "system/$export, system/QuestionnaireResponse.write (repeatable)",
        )
        parser.add_argument(
            "--purpose",
            choices=["care", "registry"],
            default="care",
            help="registry: sees only patients whose registry consent stands",
        )
        parser.add_argument("--print-token", action="store_true", help="print a bearer token (add)")
        parser.add_argument(
            "--jwks",
            help="a JSON file with the client's public keys (JWKS), for SMART Backend Services "
            "token requests signed with RS384 or ES384 (add)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "list":
            for client in FhirClient.objects.select_related("site"):
                state = "" if client.active else " (disabled)"
                self.stdout.write(
                    f"{client.name} {client.site.code} {client.purpose}: {client.scopes}{state}"
                )
            return
        if not options["name"]:
            raise CommandError("name the client")
        try:
            if command == "add":
                site = Site.objects.filter(code=options["site"] or "").first()
                if site is None:
                    raise CommandError(f"no site with code {options['site']!r}")
                client = auth.add_client(
                    name=options["name"],
                    site=site,
                    scopes=options["scope"],
                    purpose=options["purpose"],
                    now=clock.now(),
                    jwks=self._jwks(options["jwks"]),
                )
                self.stderr.write(f"added {client.name} for {site.code}: {client.scopes}")
                if options["print_token"]:
                    self._token(client)
                return
            client = self._client(options["name"])
            if command == "token":
                self._token(client)
            else:
                self._disable(client)
        except DomainError as refused:
            raise CommandError(f"{refused.field or 'client'}: {refused.message}") from refused

    def _jwks(self, path: str | None) -> dict[str, Any] | None:
        if not path:
            return None
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read the JWKS {path}: {error}") from error

    def _client(self, name: str) -> FhirClient:
        client = FhirClient.objects.select_related("site").filter(name=name).first()
        if client is None:
            raise CommandError(f"no FHIR client named {name!r}")
        return client

    def _token(self, client: FhirClient) -> None:
        token, row = auth.issue_token(client=client, requested=None, now=clock.now())
        self.stderr.write(f"valid until {row.expires_at.isoformat()} for {row.scopes}")
        self.stdout.write(token)

    def _disable(self, client: FhirClient) -> None:
        with audited_transaction():
            FhirClient.objects.filter(pk=client.pk).update(active=False)
            client.tokens.all().delete()
            record_event(
                actor=None,
                actor_name="autologic fhir-clients",
                site=client.site,
                action="fhir_client.disable",
                object_type="fhir_client",
                object_id=client.pk,
                changes={"name": client.name},
            )
        self.stderr.write(f"disabled {client.name}; its tokens no longer work")
