"""`autologic ids`: check characters and identifier validation, with no database needed."""

from __future__ import annotations

import argparse
import sys

from autologic.common.domain.identifiers import IdentifierError, check_character, parse


def main(argv: list[str]) -> int:
    """Run `ids check-char STRING` or `ids validate ID`; return the exit status."""
    parser = argparse.ArgumentParser(prog="autologic ids")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-char", help="print the MOD 37-2 check character")
    check.add_argument("string", help="characters 0-9 and A-Z")
    validate = commands.add_parser("validate", help="exit 0 if ID is valid, 1 with a reason")
    validate.add_argument("identifier", help="a DIN or chain-of-identity identifier")
    args = parser.parse_args(argv)
    try:
        if args.command == "check-char":
            print(check_character(args.string))
            return 0
        found = parse(args.identifier)
    except IdentifierError as exc:
        print(f"invalid: {exc.message}", file=sys.stderr)
        return 1
    print(
        f"valid {found.kind.value}: {found.data} (check character {found.check}, "
        f"{found.scheme.value} facility {found.facility}, year {found.year}, "
        f"sequence {found.sequence})"
    )
    return 0
