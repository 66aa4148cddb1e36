"""FHIR search parameters, parsed before any query runs.  An unknown or malformed parameter is
refused with 400 and its name (never ignored: an ignored ``patient=`` would widen a search to
the whole clinic)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from autologic.common.domain.errors import BadQuery

DEFAULT_COUNT = 50
MAX_COUNT = 1000
# Result parameters every search accepts (besides the type's own search parameters).
RESULT_PARAMETERS = frozenset({"_count", "_cursor", "_format", "_include"})
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


class Kind(StrEnum):
    """The FHIR search parameter types this server implements."""

    TOKEN = "token"
    DATE = "date"
    REFERENCE = "reference"


@dataclass(frozen=True)
class Token:
    """``[system|]code``: ``system`` None means any system; "" means no system."""

    system: str | None
    code: str


@dataclass(frozen=True)
class DateRange:
    """A date search value as the instants it allows: ``start <= t < end`` (either open)."""

    start: datetime | None
    end: datetime | None


# Where a page starts: (part of the type, last primary key of the previous page in that part).
Cursor = tuple[int, int | None]


@dataclass(frozen=True)
class Search:
    """A parsed search: per parameter, the values to OR; parameters AND together."""

    filters: dict[str, list[Token | DateRange | str]]
    count: int = DEFAULT_COUNT
    after: Cursor | None = None
    includes: tuple[str, ...] = ()
    raw: tuple[tuple[str, str], ...] = field(default=())


_KEY = re.compile(r"[0-9]{1,18}")


def is_key(text: str) -> bool:
    """Whether ``text`` names a row: ASCII digits only (``"²".isdigit()`` is true) and small
    enough for a 64-bit key in every database."""
    return _KEY.fullmatch(text) is not None


def _refuse(parameter: str, message: str, code: str = "invalid_search") -> BadQuery:
    return BadQuery(code, message, field=parameter, data={"parameter": parameter})


def parse_token(parameter: str, value: str) -> Token:
    if not value:
        raise _refuse(parameter, f"{parameter} is empty.")
    if "|" in value:
        system, _, code = value.partition("|")
        if not code:
            raise _refuse(parameter, f"{parameter} names a system but no value.")
        return Token(system, code)
    return Token(None, value)


_DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2}))?)?)?$"
)
_PREFIXES = ("eq", "ge", "gt", "le", "lt")


def parse_date(parameter: str, value: str) -> DateRange:
    """``[prefix]YYYY[-MM[-DD[Thh:mm[:ss][Z|±hh:mm]]]]`` as a half-open range of instants.  A
    date without a time is taken in UTC; a time needs its zone."""
    prefix = value[:2] if value[:2].isalpha() else "eq"
    text = value[2:] if value[:2].isalpha() else value
    if prefix not in _PREFIXES:
        raise _refuse(
            parameter,
            f"{parameter}: the prefix {prefix} is not supported; use eq, ge, gt, le or lt.",
            "not_supported",
        )
    match = _DATE.match(text)
    if match is None:
        raise _refuse(
            parameter,
            f"{parameter}: {text} is not a FHIR date (YYYY-MM-DD, or with a time and zone).",
        )
    try:
        start, end = _bounds(match)
    except (ValueError, OverflowError):
        raise _refuse(parameter, f"{parameter}: {text} is not a real date.") from None
    return {
        "eq": DateRange(start, end),
        "ge": DateRange(start, None),
        "gt": DateRange(end, None),
        "le": DateRange(None, end),
        "lt": DateRange(None, start),
    }[prefix]


def _bounds(match: re.Match[str]) -> tuple[datetime, datetime]:
    year = int(match["year"])
    if match["month"] is None:
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    month = int(match["month"])
    if match["day"] is None:
        start = datetime(year, month, 1, tzinfo=UTC)
        later = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return start, later
    day = int(match["day"])
    if match["hour"] is None:
        start = datetime(year, month, day, tzinfo=UTC)
        return start, start + timedelta(days=1)
    zone = match["zone"]
    stamp = datetime.fromisoformat(
        f"{match['year']}-{match['month']}-{match['day']}T{match['hour']}:{match['minute']}"
        f":{match['second'] or '00'}{'+00:00' if zone == 'Z' else zone}"
    ).astimezone(UTC)
    step = timedelta(seconds=1) if match["second"] else timedelta(minutes=1)
    return stamp, stamp + step


def parse_reference(parameter: str, value: str, target: str) -> str:
    """``Patient/123`` or ``123`` as the id; another type or a full URL is refused.  A parameter
    that may point at any type (target ``*``) needs ``<Type>/<id>`` and keeps it whole."""
    if target == "*":
        if not re.fullmatch(r"[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}", value):
            raise _refuse(parameter, f"{parameter} must be <Type>/<id>, e.g. Procedure/inj-12.")
        return value
    ident = value.removeprefix(f"{target}/")
    if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", ident):
        raise _refuse(parameter, f"{parameter} must be a {target} id or {target}/<id>.")
    return ident


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(cursor)).encode()).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor:
    try:
        part, after = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise _refuse("_cursor", "_cursor is not a page link this server made.") from None
    if not (isinstance(part, int) and part >= 0 and (after is None or isinstance(after, int))):
        raise _refuse("_cursor", "_cursor is not a page link this server made.")
    return part, after


def parse(
    params: Sequence[tuple[str, str]],
    kinds: Mapping[str, tuple[Kind, str]],
    includes: Sequence[str] = (),
) -> Search:
    """Parse a search's query string (``kinds``: parameter → (kind, reference target))."""
    filters: dict[str, list[Token | DateRange | str]] = {}
    count, after, wanted = DEFAULT_COUNT, None, []
    for name, value in params:
        if name == "_count":
            if not is_key(value) or not 1 <= int(value) <= MAX_COUNT:
                raise _refuse("_count", f"_count must be a whole number from 1 to {MAX_COUNT}.")
            count = int(value)
        elif name == "_cursor":
            after = decode_cursor(value)
        elif name == "_format":
            if value not in JSON_FORMATS:
                raise _refuse("_format", "Only JSON is served (_format=json).", "not_supported")
        elif name == "_include":
            if value not in includes:
                raise _refuse(
                    "_include",
                    f"_include={value} is not supported here"
                    + (f"; use {', '.join(includes)}." if includes else "."),
                    "not_supported",
                )
            wanted.append(value)
        elif name in kinds:
            if name in filters and kinds[name][0] != Kind.DATE:
                raise _refuse(name, f"{name} is given twice; give one list, comma-separated.")
            kind, target = kinds[name]
            values: list[Token | DateRange | str]
            if kind == Kind.DATE:
                values = [parse_date(name, value)]
            elif kind == Kind.REFERENCE:
                values = [parse_reference(name, v, target) for v in value.split(",")]
            else:
                values = [parse_token(name, v) for v in value.split(",")]
            filters.setdefault(name, []).extend(values)
        else:
            base = name.split(":")[0]
            reason = (
                f"the modifier in {name} is not supported"
                if base in kinds
                else f"{name} is not a search parameter of this resource"
            )
            raise _refuse(name, f"{reason}; this server does not ignore one.", "not_supported")
    return Search(filters, count, after, tuple(wanted), tuple(params))
