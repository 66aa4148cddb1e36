"""`autologic score INSTRUMENT [FILE]`: score one response from JSON, with no database needed.

Reads a JSON object of item id -> integer or null from FILE, or from standard input when FILE is
absent or "-".  Prints a JSON object: instrument, versions, ``scores`` (subscale -> unrounded
number or null), ``reasons`` (subscale -> why it is null), ``missing`` and, for KOOS and HOOS,
the WOMAC subscales derived from their items.  Exits 2 with a message naming the item on unknown
items, out-of-range or non-integer values, bad JSON or an unknown instrument.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain import registry, womac
from autologic.outcomes.domain.types import Scored


def as_json(scored: Scored) -> dict[str, Any]:
    """The printed form of one scored response."""
    instrument = registry.get(scored.instrument)
    return {
        "instrument": scored.instrument,
        "instrument_version": scored.instrument_version,
        "algorithm": scored.algorithm,
        "scores": scored.values(),
        "reasons": scored.reasons(),
        "missing": scored.missing,
        "higher_is_better": {s.name: s.higher_is_better for s in instrument.subscales},
        **({"derived_from": scored.derived_from} if scored.derived_from else {}),
    }


def read_answers(source: str) -> dict[str, Any]:
    """The JSON object in FILE or on standard input."""
    if source == "-":
        text = sys.stdin.read()
    else:
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            "bad_json", f"input is not valid JSON: {exc}", field="input"
        ) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(
            "bad_json", "input must be a JSON object of item id -> integer or null", field="input"
        )
    return data


def main(argv: list[str]) -> int:
    """Run `score INSTRUMENT [FILE]`; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="autologic score",
        description="Score one PROM response. Instruments: " + ", ".join(registry.INSTRUMENTS),
    )
    parser.add_argument("instrument", help="KOOS, HOOS, WOMAC, KOOS_JR, HOOS_JR, ...")
    parser.add_argument("file", nargs="?", default="-", help="JSON file; - or absent for stdin")
    args = parser.parse_args(argv)
    try:
        instrument = registry.get(args.instrument)
        answers = read_answers(args.file)
        scored = instrument.score(answers)
        out = as_json(scored)
        if instrument.id in ("KOOS", "HOOS"):
            out["womac"] = as_json(womac.derive(instrument, answers))
    except ValidationFailed as exc:
        print(f"autologic score: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"autologic score: file: {exc.strerror}: {args.file}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0
