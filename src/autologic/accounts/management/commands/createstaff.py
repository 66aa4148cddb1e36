"""`autologic createstaff`: add a staff member (and open the clinic with --site-name)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autologic.accounts import actions
from autologic.accounts.models import Site
from autologic.accounts.roles import Role
from autologic.common.domain.errors import DomainError
from autologic.common.domain.text import check_printed_name


class Command(BaseCommand):
    help = "Create a staff member. The password comes from AUTOLOGIC_PASSWORD or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--site", required=True, help="Clinic code, e.g. 'dus'.")
        parser.add_argument("--site-name", help="Open the clinic with this name if it is new.")
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--calendar", default="gregorian", choices=["gregorian", "jalali"])
        parser.add_argument("--currency", default="EUR")
        parser.add_argument(
            "--name",
            default="",
            help="The display name printed on signatures and in the audit trail, e.g. "
            "'Anna Weber'; split at its last space into given and family name (use "
            "--first-name and --last-name where that split is wrong).",
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        names = _names(options)
        site = Site.objects.filter(code=options["site"]).first()
        if site is None:
            if not options["site_name"]:
                raise CommandError(f"No clinic {options['site']!r}; pass --site-name to open it.")
            site = actions.create_site(
                code=options["site"],
                data={
                    "name": options["site_name"],
                    "time_zone": options["time_zone"],
                    "calendar": options["calendar"],
                    "currency": options["currency"],
                    "languages": ["en", "de", "es", "fa"],
                },
            )
        password = os.environ.get("AUTOLOGIC_PASSWORD") or getpass.getpass("Password: ")
        fields = ("username", "email", "role")
        try:
            user = actions.create_staff(
                site=site, data={**{k: options[k] for k in fields}, **names}, password=password
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(
            f"Created {user.username} ({user.role}) at {site.code}: {user.printed_name}. "
            "They enrol an authenticator app at first sign-in."
        )


def _names(options: dict[str, Any]) -> dict[str, str]:
    """Given and family name from --name, or from --first-name and --last-name; each checked
    like every printed name (no invisible or direction-changing characters)."""
    display = " ".join(options["name"].split())
    if display and (options["first_name"] or options["last_name"]):
        raise CommandError("--name: give the display name, or --first-name and --last-name")
    given, _space, family = display.rpartition(" ") if " " in display else (display, "", "")
    names = {
        "first_name": given or options["first_name"].strip(),
        "last_name": family or options["last_name"].strip(),
    }
    for field, value in names.items():
        try:
            check_printed_name(value, field)
        except DomainError as exc:
            flag = "--name" if display else f"--{field.replace('_', '-')}"
            raise CommandError(f"{flag}: {exc.message}") from exc
    return names
