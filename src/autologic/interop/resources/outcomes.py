"""Questionnaire (the instruments Autologic scores), QuestionnaireResponse (the answers) and
the PROM-score part of Observation (one stored ``outcomes.Score`` row each).

Questionnaires are not rows: they are the instrument definitions in ``outcomes.domain``, the same
for every clinic, so their type is a small catalogue with its own read and search.  Their id is
``<INSTRUMENT>-<version>`` (``KOOS-JR-2016``); their canonical url is
``{namespace}/Questionnaire/<INSTRUMENT>`` with ``version``.  No licensed wording is emitted:
items carry their linkId, type and range only, and text only for Autologic's own questions
(the follow-up questions, whose wording ships with the portal)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Q, QuerySet

from autologic.interop.domain.search import Cursor, DateRange, Kind, Search, Token, is_key
from autologic.interop.resources.base import (
    NOTHING,
    Context,
    Filter,
    Include,
    Parameter,
    Part,
    Resource,
    ResourceType,
    Row,
    ids,
    ids_with,
    instant,
    one,
    reference_id,
    references,
    updated,
)
from autologic.interop.resources.people import of_patients, patients
from autologic.outcomes.domain import registry
from autologic.outcomes.domain.types import Instrument
from autologic.outcomes.models import Response, Score

OWN_HOLDER = "Autologic"  # instruments whose wording is ours to publish
UCUM = "http://unitsofmeasure.org"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
STATUS = {"in_progress": "in-progress", "submitted": "completed"}


# --- Questionnaire -------------------------------------------------------------------------


def questionnaire_id(instrument_id: str, version: str) -> str:
    """``KOOS_JR`` 2016 → ``KOOS-JR-2016`` (a FHIR id: letters, digits, ``-`` and ``.``)."""
    return f"{instrument_id}-{version}".replace("_", "-")


def canonical(context: Context, instrument_id: str) -> str:
    return context.system(f"Questionnaire/{instrument_id}")


@cache
def _own_texts() -> dict[str, dict[str, str]]:
    """Item id → English text of the instruments whose wording Autologic owns and ships."""
    from autologic.portal.texts import shipped

    out: dict[str, dict[str, str]] = {}
    for (instrument_id, language), texts in shipped().items():
        instrument = registry.get(instrument_id)
        if language == "en" and instrument.licence.holder == OWN_HOLDER:
            out[instrument.id] = {
                q.id: q.text.replace(" ({region})", "").replace("{region}", "the treated joint")
                for q in texts.questions()
            }
    return out


def questionnaire_to_fhir(instrument: Instrument, context: Context) -> Resource:
    texts = _own_texts().get(instrument.id, {})
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": item.id}
        if item.id in texts:
            entry["text"] = texts[item.id]
        entry["type"] = "integer"
        entry["extension"] = [
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": item.low},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": item.high},
        ]
        items.append(entry)
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument.id, instrument.version),
        "url": canonical(context, instrument.id),
        "version": instrument.version,
        "name": instrument.id,
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    if instrument.licence.attribution:
        resource["copyright"] = instrument.licence.attribution
    resource["item"] = items
    return resource


def _catalogue() -> list[Instrument]:
    """Every instrument Autologic scores, in id order of their FHIR ids."""
    return sorted(registry.INSTRUMENTS.values(), key=lambda i: questionnaire_id(i.id, i.version))


def _instrument_of(ident: str) -> Instrument | None:
    return next(
        (i for i in registry.INSTRUMENTS.values() if questionnaire_id(i.id, i.version) == ident),
        None,
    )


@dataclass(frozen=True)
class Catalogue(ResourceType):
    """A type served from code, not rows: the same for every clinic.  Paged by position in the
    catalogue (the cursor is (0, index of the last one served))."""

    def read_many(self, context: Context, idents: set[str]) -> list[Resource]:
        return [questionnaire_to_fhir(i, context) for i in _catalogue() if _qid(i) in idents]

    def search(self, context: Context, search: Search) -> tuple[list[Resource], Cursor | None]:
        chosen = list(enumerate(_catalogue()))
        for name, values in search.filters.items():
            if name != "_id":
                return [], None
            wanted = {v.code for v in values if isinstance(v, Token)}
            chosen = [(n, i) for n, i in chosen if _qid(i) in wanted]
        _part, after = search.after or (0, None)
        if after is not None:
            chosen = [(n, i) for n, i in chosen if n > after]
        page = chosen[: search.count]
        cursor = (0, page[-1][0]) if len(chosen) > search.count else None
        return [questionnaire_to_fhir(i, context) for _n, i in page], cursor


def _qid(instrument: Instrument) -> str:
    return questionnaire_id(instrument.id, instrument.version)


QUESTIONNAIRE = Catalogue(
    "Questionnaire",
    (),
    {"_id": Parameter(Kind.TOKEN, "The questionnaire's id, <INSTRUMENT>-<version>.")},
)


# --- QuestionnaireResponse ----------------------------------------------------------------


def qr_system(context: Context) -> str:
    return context.system(f"sid/questionnaire-response/{context.site.code}")


def responses(context: Context) -> QuerySet[Any]:
    return of_patients(Response.objects.all(), context)


def response_to_fhir(row: Row, context: Context) -> Resource:
    site = context.site.code
    authored = row["submitted_at"] or row["updated_at"]
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(row["id"]),
        "meta": {"versionId": str(row["version"]), "lastUpdated": instant(row["updated_at"])},
        "identifier": {"system": qr_system(context), "value": f"{site}-{row['id']}"},
        "questionnaire": f"{canonical(context, row['instrument'])}|{row['instrument_version']}",
        "status": STATUS[row["status"]],
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "authored": instant(authored),
        "author": (
            {"reference": f"Practitioner/{row['entered_by_id']}"}
            if row["staff_entered"] and row["entered_by_id"]
            else {"reference": f"Patient/{row['patient_id']}"}
        ),
        "source": {"reference": f"Patient/{row['patient_id']}"},
    }
    if row["language"]:
        resource["language"] = row["language"]
    items = [
        {"linkId": item_id, "answer": [{"valueInteger": value}]}
        for item_id, value in _in_order(row["instrument"], row["answers"])
        if isinstance(value, int) and not isinstance(value, bool)
    ]
    if items:
        resource["item"] = items
    return resource


def _in_order(instrument_id: str, answers: dict[str, Any]) -> list[tuple[str, Any]]:
    """The answers in the instrument's item order (unknown items, if any, last)."""
    order = _item_order(instrument_id)
    return sorted(answers.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


@cache
def _item_order(instrument_id: str) -> dict[str, int]:
    if not registry.known(instrument_id):
        return {}
    return {item.id: n for n, item in enumerate(registry.get(instrument_id).items)}


def _by_qr_identifier(values: list[Any], context: Context) -> Q:
    mine, prefix = qr_system(context), f"{context.site.code}-"
    pks = [
        int(v.code[len(prefix) :])
        for v in values
        if isinstance(v, Token)
        and v.system in (None, mine)
        and v.code.startswith(prefix)
        and is_key(v.code[len(prefix) :])
    ]
    return Q(pk__in=pks)


def _by_questionnaire(values: list[Any], _context: Context) -> Q:
    query = NOTHING
    for value in values:
        instrument = _instrument_of(value) if isinstance(value, str) else None
        if instrument is not None:
            query |= Q(instrument=instrument.id, instrument_version=instrument.version)
    return query


def _by_status(values: list[Any], _context: Context) -> Q:
    ours = {fhir: state for state, fhir in STATUS.items()}
    states = [ours[v.code] for v in values if isinstance(v, Token) and v.code in ours]
    return Q(status__in=states)


def _within(column: str, value: DateRange) -> Q:
    query = Q()
    if value.start is not None:
        query &= Q(**{f"{column}__gte": value.start})
    if value.end is not None:
        query &= Q(**{f"{column}__lt": value.end})
    return query


def _authored(values: list[Any], _context: Context) -> Q:
    """``authored``: submitted_at, or updated_at while in progress (every range must hold)."""
    query = Q()
    for value in values:
        assert isinstance(value, DateRange)
        query &= Q(submitted_at__isnull=False) & _within("submitted_at", value) | Q(
            submitted_at__isnull=True
        ) & _within("updated_at", value)
    return query


QUESTIONNAIRE_RESPONSE = one(
    "QuestionnaireResponse",
    Part(
        model=Response,
        fields=(
            "id",
            "patient_id",
            "instrument",
            "instrument_version",
            "language",
            "answers",
            "status",
            "staff_entered",
            "entered_by_id",
            "updated_at",
            "submitted_at",
            "version",
        ),
        to_fhir=response_to_fhir,
        visible=responses,
        filters={
            "_id": ids,
            "patient": references("patient"),
            "subject": references("patient"),
            "identifier": _by_qr_identifier,
            "questionnaire": _by_questionnaire,
            "status": _by_status,
            "authored": _authored,
            "_lastUpdated": updated("updated_at"),
        },
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The response's id."),
        "patient": Parameter(Kind.REFERENCE, "The patient who answered.", "Patient"),
        "subject": Parameter(Kind.REFERENCE, "The patient who answered.", "Patient"),
        "identifier": Parameter(
            Kind.TOKEN, "The response's identifier (<site>-<id>), with or without its system."
        ),
        "questionnaire": Parameter(
            Kind.REFERENCE, "The questionnaire, by id (<INSTRUMENT>-<version>).", "Questionnaire"
        ),
        "status": Parameter(Kind.TOKEN, "in-progress or completed."),
        "authored": Parameter(Kind.DATE, "When submitted (last saved while in progress)."),
        "_lastUpdated": Parameter(Kind.DATE, "When the response last changed."),
    },
    {
        "QuestionnaireResponse:patient": Include(
            "Patient", lambda r: reference_id(r.get("subject"), "Patient")
        ),
        "QuestionnaireResponse:questionnaire": Include(
            "Questionnaire", lambda r: _questionnaire_ids(r.get("questionnaire", ""))
        ),
    },
)


def _questionnaire_ids(url: str) -> list[str]:
    base, _, version = url.partition("|")
    instrument_id = base.rsplit("/", 1)[-1]
    return [questionnaire_id(instrument_id, version)] if instrument_id and version else []


# --- Observation (PROM scores) ---------------------------------------------------------------

SCORE_PREFIX = "score-"


def score_code(instrument_id: str, name: str) -> str:
    return f"{instrument_id}.{name}"


def scores(context: Context) -> QuerySet[Any]:
    query = Score.objects.filter(response__site=context.site)
    if context.purpose == "registry":
        query = query.filter(patient__in=patients(context).values("pk"))
    return query


def score_to_fhir(row: Row, context: Context) -> Resource:
    code = score_code(row["instrument"], row["name"])
    title = (
        registry.get(row["instrument"]).title
        if registry.known(row["instrument"])
        else row["instrument"]
    )
    derived = f" from {row['derived_from']}" if row["derived_from"] else ""
    submitted = row["response__submitted_at"]
    resource: Resource = {
        "resourceType": "Observation",
        "id": f"{SCORE_PREFIX}{row['id']}",
        "meta": {"lastUpdated": instant(submitted)} if submitted is not None else {},
        "status": "final",
        "category": [SURVEY],
        "code": {
            "coding": [{"system": context.system("CodeSystem/score"), "code": code}],
            "text": f"{title}: {row['name']}",
        },
        "subject": {"reference": f"Patient/{row['patient_id']}"},
        "effectiveDateTime": row["measured_on"].isoformat(),
    }
    if submitted is not None:
        resource["issued"] = instant(submitted)
    else:
        del resource["meta"]  # FHIR JSON has no empty objects
    if row["value"] is not None:
        percent = row["name"] == "percent"
        resource["valueQuantity"] = {
            "value": row["value"],
            "unit": "%" if percent else "score",
            "system": UCUM,
            "code": "%" if percent else "{score}",
        }
    else:
        resource["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ],
            "text": "not calculable by the instrument's rules",
        }
        if row["reason"]:
            resource["note"] = [{"text": row["reason"]}]
    resource["method"] = {
        "coding": [
            {
                "system": context.system("CodeSystem/score-algorithm"),
                "code": row["algorithm"],
            }
        ],
        "text": (
            f"{row['algorithm']} ({row['instrument']} {row['instrument_version']}{derived}; "
            f"{'higher is better' if row['higher_is_better'] else 'higher is worse'})"
        ),
    }
    resource["derivedFrom"] = [{"reference": f"QuestionnaireResponse/{row['response_id']}"}]
    return resource


def _by_score_code(values: list[Any], context: Context) -> Q:
    mine = context.system("CodeSystem/score")
    query = NOTHING
    for value in values:
        if not isinstance(value, Token) or value.system not in (None, mine):
            continue
        instrument, dot, name = value.code.rpartition(".")
        if dot:
            query |= Q(instrument=instrument, name=name)
    return query


def _by_category(values: list[Any], _context: Context) -> Q:
    system = SURVEY["coding"][0]["system"]
    wanted = any(
        isinstance(v, Token) and v.code == "survey" and v.system in (None, system) for v in values
    )
    return Q() if wanted else NOTHING


def _measured(values: list[Any], _context: Context) -> Q:
    """``date``: the day a score was measured (taken in UTC, as a search date without a time
    is) overlaps every range given."""
    query = Q()
    for value in values:
        assert isinstance(value, DateRange)
        if value.start is not None:
            query &= Q(measured_on__gte=value.start.date())
        if value.end is not None:
            midnight = value.end.time() == value.end.min.time()
            query &= Q(**{"measured_on__lt" if midnight else "measured_on__lte": value.end.date()})
    return query


SCORE_FILTERS: dict[str, Filter] = {
    "_id": ids_with(SCORE_PREFIX),
    "patient": references("patient"),
    "subject": references("patient"),
    "code": _by_score_code,
    "category": _by_category,
    "date": _measured,
    "derived-from": references("response"),
    "_lastUpdated": updated("response__submitted_at"),
}

OBSERVATION_SCORES = ResourceType(
    "Observation",
    (
        Part(
            model=Score,
            fields=(
                "id",
                "response_id",
                "patient_id",
                "measured_on",
                "instrument",
                "instrument_version",
                "algorithm",
                "derived_from",
                "name",
                "value",
                "reason",
                "higher_is_better",
                "response__submitted_at",
            ),
            to_fhir=score_to_fhir,
            visible=scores,
            filters=SCORE_FILTERS,
            prefix=SCORE_PREFIX,
        ),
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The observation's id (score-<n> for a PROM score)."),
        "patient": Parameter(Kind.REFERENCE, "The patient.", "Patient"),
        "subject": Parameter(Kind.REFERENCE, "The patient.", "Patient"),
        "code": Parameter(
            Kind.TOKEN, "What was measured (PROM scores: <INSTRUMENT>.<score> of CodeSystem/score)."
        ),
        "category": Parameter(Kind.TOKEN, "The observation category (PROM scores: survey)."),
        "date": Parameter(Kind.DATE, "When it was measured."),
        "derived-from": Parameter(
            Kind.REFERENCE,
            "The questionnaire response a PROM score was computed from.",
            "QuestionnaireResponse",
        ),
        "_lastUpdated": Parameter(Kind.DATE, "When the record last changed."),
    },
)

TYPES = (QUESTIONNAIRE, QUESTIONNAIRE_RESPONSE, OBSERVATION_SCORES)
