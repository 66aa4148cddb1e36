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
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
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
        fields = ("username", "first_name", "last_name", "email", "role")
        try:
            user = actions.create_staff(
                site=site, data={k: options[k] for k in fields}, password=password
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(
            f"Created {user.username} ({user.role}) at {site.code}. "
            "They enrol an authenticator app at first sign-in."
        )
