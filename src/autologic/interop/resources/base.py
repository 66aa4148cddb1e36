"""What every served resource type provides, and the search that works the same for all: site
scope first, then the parsed filters, then keyset paging on the primary key.

A type is served from one or more *parts*: one model each (Observation comes from grades and
from PROM scores).  A part's ids carry its prefix (``kl-12``, ``score-40``) unless it is the
type's only part; a page runs through the parts in order, keyset-paged within each, so the page
cursor is (part, last primary key)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

from autologic.accounts.models import Site
from autologic.interop.domain.search import Cursor, DateRange, Kind, Search, Token, is_key
from autologic.interop.models import FhirClient

Row = dict[str, Any]
Resource = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """Who asks and how URIs are written: the clinic, the machine client (None for a staff
    member's copy of a record, made in the clinic's own pages), the platform namespace (for
    identifier systems and code systems) and the absolute base URL of /fhir."""

    site: Site
    client: FhirClient | None
    namespace: str
    base: str
    cache: dict[str, Any] = field(default_factory=dict, compare=False)  # per request

    def system(self, path: str) -> str:
        return f"{self.namespace}/{path}"

    @property
    def purpose(self) -> str:
        """Why the records are read: a client's purpose (``registry`` sees consenting patients
        only), or ``care`` for the clinic's own staff."""
        return self.client.purpose if self.client is not None else "care"


# The filter one search parameter adds to a part's query, for the values given (OR).
Filter = Callable[[list[Any], Context], Q]


@dataclass(frozen=True)
class Parameter:
    """A search parameter of a type as the CapabilityStatement states it."""

    kind: Kind
    documentation: str
    target: str = ""  # the type a reference parameter points at


@dataclass(frozen=True)
class Include:
    """``_include=<Type>:<name>``: the target type and the referenced id(s) in a resource; with
    target ``*`` (a reference to any type) the references are ``<Type>/<id>``."""

    target: str
    ref: Callable[[Resource], list[str]]


@dataclass(frozen=True)
class Part:
    """One model a type is served from: its rows (``fields`` starts with ``id``), their FHIR
    form and the search filters.  A parameter of the type that a part has no filter for matches
    nothing in that part."""

    model: type[Model]
    fields: tuple[str, ...]
    to_fhir: Callable[[Row, Context], Resource]
    visible: Callable[[Context], QuerySet[Any]]
    filters: Mapping[str, Filter] = field(default_factory=dict)
    prefix: str = ""

    def pk_of(self, ident: str) -> int | None:
        """The primary key an id names in this part, or None."""
        if not ident.startswith(self.prefix):
            return None
        rest = ident[len(self.prefix) :]
        return int(rest) if is_key(rest) else None


@dataclass(frozen=True)
class ResourceType:
    """A FHIR resource type served from one or more parts."""

    name: str
    parts: tuple[Part, ...]
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    includes: Mapping[str, Include] = field(default_factory=dict)

    def kinds(self) -> dict[str, tuple[Kind, str]]:
        return {name: (p.kind, p.target) for name, p in self.parameters.items()}

    def read(self, context: Context, ident: str) -> Resource | None:
        found = self.read_many(context, {ident})
        return found[0] if found else None

    def read_many(self, context: Context, idents: set[str]) -> list[Resource]:
        out: list[Resource] = []
        for part in self.parts:
            pks = sorted(pk for i in idents if (pk := part.pk_of(i)) is not None)
            if pks:
                rows = part.visible(context).filter(pk__in=pks).order_by("pk")
                out += [part.to_fhir(r, context) for r in rows.values(*part.fields)]
        return out

    def search(self, context: Context, search: Search) -> tuple[list[Resource], Cursor | None]:
        """One page of matches (parts in order, each in primary-key order) and the cursor of
        the next page, if there is one."""
        start_part, after = search.after or (0, None)
        page: list[Resource] = []
        for index in range(start_part, len(self.parts)):
            part = self.parts[index]
            query = part.visible(context)
            for name, values in search.filters.items():
                query = query.filter(
                    part.filters[name](values, context) if name in part.filters else NOTHING
                )
            if index == start_part and after is not None:
                query = query.filter(pk__gt=after)
            room = search.count - len(page)
            rows = list(query.order_by("pk").values(*part.fields)[: room + 1])
            page += [part.to_fhir(r, context) for r in rows[:room]]
            if len(rows) > room:
                return page, (index, rows[room - 1]["id"] if room else None)
        return page, None


def one(
    name: str,
    part: Part,
    parameters: Mapping[str, Parameter],
    includes: Mapping[str, Include] | None = None,
) -> ResourceType:
    """A type served from a single model."""
    return ResourceType(name, (part,), parameters, includes or {})


def ids(values: list[Any], _context: Context, prefix: str = "") -> Q:
    """``_id``: any of the given ids (an id that is not ours matches nothing)."""
    pks = [
        int(v.code[len(prefix) :])
        for v in values
        if isinstance(v, Token) and v.code.startswith(prefix) and is_key(v.code[len(prefix) :])
    ]
    return Q(pk__in=pks)


def ids_with(prefix: str) -> Filter:
    return lambda values, context: ids(values, context, prefix)


def updated(column: str) -> Filter:
    """``_lastUpdated`` on a timestamp column: every range given must hold."""

    def among(values: list[Any], _context: Context) -> Q:
        query = Q()
        for value in values:
            assert isinstance(value, DateRange)
            if value.start is not None:
                query &= Q(**{f"{column}__gte": value.start})
            if value.end is not None:
                query &= Q(**{f"{column}__lt": value.end})
        return query

    return among


def references(column: str) -> Filter:
    """A reference parameter (``patient=Patient/12``) on a foreign-key column."""

    def among(values: list[Any], _context: Context) -> Q:
        pks = [int(v) for v in values if isinstance(v, str) and is_key(v)]
        return Q(**{f"{column}__in": pks})

    return among


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC with a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def reference_id(reference: dict[str, Any] | None, target: str) -> list[str]:
    """The id in ``{"reference": "<target>/<id>"}``, for an include."""
    text = (reference or {}).get("reference", "")
    return [text.split("/", 1)[1]] if text.startswith(f"{target}/") else []


NOTHING = Q(pk__in=[])
