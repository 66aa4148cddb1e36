"""The `autologic` command: a thin front over Django's management commands.

autologic demo [--bind ADDR]   migrate, seed the demo clinics, print logins, serve on ADDR
                               (default 127.0.0.1:8000) with its worker; Ctrl-C stops both
autologic serve [--bind ADDR]  serve with gunicorn (refused while migrations are not applied)
autologic backup --out DIR     an online backup with its manifest (--encrypt-to KEY: age)
autologic restore DIR          restore into an empty database and verify it against the manifest
autologic migrate              apply database migrations
autologic seed-demo            create or top up the demo clinic (AUTOLOGIC_MODE=demo only)
autologic createstaff ...      add a staff member, --name "Given Family" (and the clinic, with
                               --site-name)
autologic protocols check      validate protocol files (no database or SECRET_KEY needed);
                               `protocols sync` loads new versions
autologic labels sample ...    render a printer test label (no database or SECRET_KEY needed)
autologic ids check-char S    print the ISO/IEC 7064 MOD 37-2 check character of S
autologic ids validate ID      exit 0 for a valid DIN or chain-of-identity identifier, else 1
autologic score INSTRUMENT [FILE]  score a PROM response (JSON item -> value) and print JSON
autologic worker [--once]      send due reminders and deliver the outbox (embedded task queue)
autologic instrument-texts load FILE --site CODE  load a licensed wording or official translation
autologic claims load FILE --site CODE  load a version of a clinic's claim file (`claims
                               check FILE` validates one, `claims list --site CODE` lists them)
autologic audit verify         recompute the audit hash chain; exit 1 at the first break
autologic fhir-clients add NAME --site CODE --scope S [--print-token]  register a FHIR
                               machine client (`fhir-clients token NAME` prints a new token)
autologic otp-code USER        current authenticator code of a demo user (demo mode only)
autologic manage ARGS...       any other Django management command
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "seed-demo": "seed_demo",
    "otp-code": "otp_code",
    "instrument-texts": "instrument_texts",
    "fhir-clients": "fhir_clients",
}
# Commands that read files and write files only: they run without a SECRET_KEY or a database
# (settings.OFFLINE), so they work on any machine, production mode included.
OFFLINE_COMMANDS = {("protocols", "check"), ("labels", "sample")}


def main(argv: list[str] | None = None) -> None:
    """Run one Autologic command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command, rest = args[0], args[1:]
    if command == "ids":
        # Pure computation: no settings or database, so it works on any machine.
        from autologic.common.ids_command import main as ids_main

        sys.exit(ids_main(rest))
    if command == "score":
        from autologic.outcomes.score_command import main as score_main

        sys.exit(score_main(rest))
    if command == "demo":
        # Only `demo` implies demo mode; seed-demo and otp-code must be asked for explicitly,
        # so they can never run against a production database by accident.
        os.environ.setdefault("AUTOLOGIC_MODE", "demo")
    if (command, rest[0] if rest else "") in OFFLINE_COMMANDS:
        os.environ["AUTOLOGIC_OFFLINE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autologic.settings")
    _load_settings()
    from django.core.management import execute_from_command_line

    if command == "manage":
        execute_from_command_line(["autologic", *rest])
        return
    execute_from_command_line(["autologic", ALIASES.get(command, command), *rest])


def _load_settings() -> None:
    """Read the settings now, so a missing or bad one (SECRET_KEY, SMS gateway, ...) ends the
    command with its one-line reason instead of a traceback."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading it loads the settings module
    except ImproperlyConfigured as error:
        sys.stderr.write(f"autologic: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
