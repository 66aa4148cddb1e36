"""Import: a FHIR ``transaction`` Bundle of conditional creates, all or nothing, idempotent.

Each entry is ``POST <Type>`` with ``ifNoneExist: identifier=<system>|<value>``.  The criterion
is resolved against this clinic before anything is written: no match creates (201), one match
is answered with the existing record (200), more than one refuses the whole Bundle (412).  The
identifiers other systems gave are kept (``ExternalIdentifier``, unique per clinic, type,
system and value), so a repeat import matches what the first one made.  A Patient is registered
through the same form and duplicate check as the pages and the JSON API; a
QuestionnaireResponse is scored by the same code as the patient portal.  Two imports of the same
new identifier at once: the unique row makes one of them fail, and it is resolved again as a
match."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils.translation import get_language

from autologic.audit.actions import audited_transaction, record_event
from autologic.common.clock import local_today
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import (
    BadQuery,
    DomainError,
    MultipleMatches,
    NotFound,
    ValidationFailed,
)
from autologic.interop import auth
from autologic.interop.domain.search import is_key
from autologic.interop.models import ExternalIdentifier
from autologic.interop.resources.people import mrn_systems
from autologic.outcomes.actions import Entry, submit_response
from autologic.outcomes.domain import registry
from autologic.patients.actions import create_patient
from autologic.patients.domain import possible_duplicate
from autologic.patients.forms import PatientForm
from autologic.patients.models import Patient
from autologic.patients.queries import likely_duplicates

SUPPORTED = ("Patient", "QuestionnaireResponse")
_CRITERION = re.compile(r"^(?:(?P<type>[A-Z][A-Za-z]+)\?)?identifier=(?P<token>[^&]+)$")


@dataclass(frozen=True)
class Done:
    """What one entry came to: created or matched, and where it is."""

    status: str  # "201 Created" | "200 OK"
    location: str


def _at(index: int, element: str = "") -> str:
    return f"Bundle.entry[{index}]" + (f".{element}" if element else "")


def _criterion(index: int, entry: dict[str, Any], resource_type: str) -> tuple[str | None, str]:
    request = entry.get("request") or {}
    if request.get("method") != "POST" or request.get("url") != resource_type:
        raise BadQuery(
            "not_supported",
            f"Only conditional creates are imported: POST {resource_type} with ifNoneExist.",
            field=_at(index, "request"),
        )
    match = _CRITERION.match(str(request.get("ifNoneExist") or ""))
    if match is None or match["type"] not in (None, resource_type):
        raise BadQuery(
            "not_supported",
            "ifNoneExist must be identifier=<system>|<value>.",
            field=_at(index, "request.ifNoneExist"),
        )
    system, bar, value = match["token"].partition("|")
    if not bar:
        return None, system
    if not system or not value:
        raise BadQuery("invalid_search", "identifier needs a system and a value.", field=_at(index))
    return system, value


def _matches(grant: auth.Grant, resource_type: str, system: str | None, value: str) -> set[int]:
    found = ExternalIdentifier.objects.filter(
        site=grant.site, resource_type=resource_type, value=value
    )
    if system is not None:
        found = found.filter(system=system)
    pks = set(found.values_list("object_id", flat=True))
    mrn = system is None or system in mrn_systems(grant.site, settings.AUTOLOGIC_FHIR_NAMESPACE)
    if resource_type == "Patient" and mrn:
        pks |= set(Patient.objects.filter(site=grant.site, mrn=value).values_list("pk", flat=True))
    return pks


def _patient_data(index: int, resource: dict[str, Any], grant: auth.Grant) -> dict[str, Any]:
    name = (resource.get("name") or [{}])[0]
    telecom = {t.get("system"): t.get("value", "") for t in resource.get("telecom") or []}
    language = ""
    for entry in resource.get("communication") or []:
        for coding in (entry.get("language") or {}).get("coding") or []:
            language = language or coding.get("code", "")
    payload = {
        "mrn": "",
        "family_name": name.get("family", ""),
        "given_name": " ".join(name.get("given") or []),
        "date_of_birth": resource.get("birthDate", ""),
        "sex": resource.get("gender", ""),
        "phone": telecom.get("phone", ""),
        "email": telecom.get("email", ""),
        "address": ((resource.get("address") or [{}])[0]).get("text", ""),
        "preferred_language": language or grant.site.default_language,
    }
    try:
        payload["date_of_birth"] = date.fromisoformat(payload["date_of_birth"])
    except (TypeError, ValueError):
        raise ValidationFailed(
            "invalid_date", "birthDate must be YYYY-MM-DD.", field=_at(index, "resource.birthDate")
        ) from None
    form = PatientForm(payload, site=grant.site, today=local_today(grant.site.time_zone))
    if not form.is_valid():
        field, errors = next(iter(form.errors.get_json_data().items()))
        raise ValidationFailed(
            errors[0].get("code") or "invalid",
            errors[0]["message"],
            field=_at(index, f"resource.{field}"),
        )
    return form.cleaned_data


def _import_patient(
    index: int, resource: dict[str, Any], grant: auth.Grant, now: datetime
) -> Patient:
    with _shaped(index):
        data = _patient_data(index, resource, grant)
    found = likely_duplicates(
        grant.site, data["family_name"], data["given_name"], data["date_of_birth"]
    )
    if found:
        raise possible_duplicate(found, Calendar(grant.site.calendar), get_language() or "en")
    return create_patient(site=grant.site, data=data, by=None, now=now)


def _subject(
    index: int, resource: dict[str, Any], grant: auth.Grant, made: dict[str, str]
) -> Patient:
    reference = ((resource.get("subject") or {}).get("reference")) or ""
    reference = made.get(reference, reference)
    pk = reference.removeprefix("Patient/")
    patient = (
        Patient.objects.select_related("site").filter(site=grant.site, pk=pk).first()
        if is_key(pk)
        else None
    )
    if patient is None:
        raise NotFound(
            "no_such_patient",
            "subject must be a Patient of this clinic, or one created earlier in this Bundle.",
            field=_at(index, "resource.subject"),
        )
    return patient


def _import_response(
    index: int,
    resource: dict[str, Any],
    grant: auth.Grant,
    made: dict[str, str],
    now: datetime,
) -> int:
    with _shaped(index):
        instrument, answers, authored = _response_fields(index, resource)
        patient = _subject(index, resource, grant, made)
    entry = Entry(
        instrument=instrument,
        answers=answers,
        completed_on=authored.date(),
        language=str(resource.get("language") or patient.preferred_language),
        mode="import",
    )
    return submit_response(patient, entry, by=None, staff_entered=False, now=now).pk


def _response_fields(
    index: int, resource: dict[str, Any]
) -> tuple[str, dict[str, int | None], datetime]:
    canonical, _bar, _version = (resource.get("questionnaire") or "").partition("|")
    prefix = f"{settings.AUTOLOGIC_FHIR_NAMESPACE}/Questionnaire/"
    instrument = canonical.removeprefix(prefix)
    if not canonical.startswith(prefix) or not registry.known(instrument):
        raise ValidationFailed(
            "unknown_questionnaire",
            f"questionnaire must be one of this server's ({prefix}<INSTRUMENT>).",
            field=_at(index, "resource.questionnaire"),
        )
    if resource.get("status") != "completed":
        raise ValidationFailed(
            "not_completed",
            "Only completed questionnaires are imported.",
            field=_at(index, "resource.status"),
        )
    answers: dict[str, int | None] = {}
    for item in resource.get("item") or []:
        values = [a.get("valueInteger") for a in item.get("answer") or []]
        if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
            raise ValidationFailed(
                "invalid_answer",
                f"Item {item.get('linkId')} needs one valueInteger answer.",
                field=_at(index, "resource.item"),
            )
        answers[str(item.get("linkId"))] = values[0]
    try:
        authored = datetime.fromisoformat(str(resource.get("authored", "")).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            "invalid_datetime",
            "authored must be a dateTime.",
            field=_at(index, "resource.authored"),
        ) from None
    return instrument, answers, authored


@contextmanager
def _shaped(index: int) -> Iterator[None]:
    """An element of another shape than R4 gives it (a string where a list of HumanName is
    due, a number for an entry) is the sender's mistake: refused naming the entry."""
    try:
        yield
    except (AttributeError, TypeError, KeyError):
        raise ValidationFailed(
            "invalid_resource",
            "The resource does not have the shape FHIR R4 gives it.",
            field=_at(index, "resource"),
        ) from None


def import_bundle(grant: auth.Grant, bundle: Any, now: datetime) -> list[Done]:
    """Apply a transaction Bundle, all or nothing; what each entry came to."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadQuery("invalid_bundle", "Send a Bundle.", field="Bundle")
    if bundle.get("type") != "transaction":
        raise BadQuery(
            "not_supported", "Only a transaction Bundle is imported.", field="Bundle.type"
        )
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise BadQuery("invalid_bundle", "Bundle.entry must be a list.", field="Bundle.entry")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            raise BadQuery(
                "invalid_bundle", "Each entry needs a resource.", field=_at(index, "resource")
            )
        if not isinstance(entry.get("request"), dict):
            raise BadQuery(
                "not_supported",
                "Each entry needs its request (POST with ifNoneExist).",
                field=_at(index, "request"),
            )
        resource_type = entry["resource"].get("resourceType")
        if resource_type not in SUPPORTED:
            raise BadQuery(
                "not_supported",
                f"{resource_type} is not imported; send Patient or QuestionnaireResponse.",
                field=_at(index, "resource"),
            )
        grant.require(resource_type, "write")
    try:
        return _apply(grant, entries, now)
    except IntegrityError:
        # Someone imported the same identifier at the same moment: now it is a match.
        return _apply(grant, entries, now)


def _apply(grant: auth.Grant, entries: list[dict[str, Any]], now: datetime) -> list[Done]:
    done: list[Done] = []
    made: dict[str, str] = {}  # fullUrl (urn:uuid:…) → Patient/<id>
    with audited_transaction():
        for index, entry in enumerate(entries):
            resource = entry["resource"]
            resource_type = resource["resourceType"]
            system, value = _criterion(index, entry, resource_type)
            found = _matches(grant, resource_type, system, value)
            if len(found) > 1:
                raise MultipleMatches(
                    "multiple_matches",
                    f"identifier={value} matches {len(found)} records; name its system.",
                    field=_at(index, "request.ifNoneExist"),
                )
            pk = None
            if not found:
                try:
                    if resource_type == "Patient":
                        pk = _import_patient(index, resource, grant, now).pk
                    else:
                        pk = _import_response(index, resource, grant, made, now)
                except DomainError as refused:
                    # The same record imported at this moment by someone else is committed
                    # (with its identifier) by the time its patient shows as a duplicate:
                    # look again, and it is a match.
                    if refused.code != "possible_duplicate":
                        raise
                    found = _matches(grant, resource_type, system, value) if system else set()
                    if len(found) != 1:
                        raise
            if found:
                location, status = f"{resource_type}/{found.pop()}", "200 OK"
            else:
                location, status = f"{resource_type}/{pk}", "201 Created"
                if system is not None:
                    ExternalIdentifier.objects.create(
                        site=grant.site,
                        resource_type=resource_type,
                        system=system,
                        value=value,
                        object_id=pk,
                        created_at=now,
                    )
            if isinstance(entry.get("fullUrl"), str):
                made[entry["fullUrl"]] = location
            done.append(Done(status, location))
        record_event(
            actor=None,
            actor_name=auth.client_actor(grant.client),
            site=grant.site,
            action="fhir.import",
            object_type="fhir_client",
            object_id=grant.client.pk,
            changes={"entries": [f"{d.status} {d.location}" for d in done]},
            now=now,
        )
    return done
