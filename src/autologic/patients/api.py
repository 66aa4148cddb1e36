"""JSON API for patients. Validation runs through the same form as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from autologic.api_errors import FormErrors
from autologic.audit.actions import record_read
from autologic.common.clock import local_today
from autologic.patients import actions, queries
from autologic.patients.forms import PatientForm
from autologic.patients.models import Patient

router = Router(tags=["patients"])


class PatientIn(Schema):
    """Fields a client may send; text is parsed as the site's calendar (ISO always works)."""

    mrn: str = ""
    family_name: str = ""
    given_name: str = ""
    date_of_birth: str = ""
    sex: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    preferred_language: str = "en"


class PatientPatch(Schema):
    """A partial update; ``version`` must match the stored one."""

    version: int
    mrn: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    preferred_language: str | None = None


class PatientRow(Schema):
    """One search hit."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date
    sex: str


class PatientOut(PatientRow):
    """A patient's demographics."""

    phone: str
    email: str
    address: str
    preferred_language: str
    version: int


def _validated(request: HttpRequest, payload: dict[str, Any]) -> dict[str, Any]:
    unencodable = [k for k, v in payload.items() if isinstance(v, str) and not _is_utf8(v)]
    if unencodable:
        message = {"message": "Contains characters that are not valid text.", "code": "invalid"}
        raise FormErrors({field: [message] for field in unencodable})
    site = request.user.site
    form = PatientForm(payload, site=site, today=local_today(site.time_zone))
    if not form.is_valid():
        raise FormErrors(form.errors.get_json_data())
    return form.cleaned_data


def _is_utf8(text: str) -> bool:
    """JSON can carry lone surrogates (\\ud800), which no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@router.get("/patients", response=list[PatientRow], url_name="patients")
def search_patients(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    """Search by name fragments, MRN or birth date (at most 50 rows)."""
    return queries.search(request.user.site, q[:100] if _is_utf8(q) else "")[1]


@router.post("/patients", response={201: PatientOut}, url_name="patients")
def create_patient(request: HttpRequest, body: PatientIn) -> Status:
    """Register a patient."""
    data = _validated(request, body.dict())
    return Status(201, actions.create_patient(site=request.user.site, data=data, by=request.user))


@router.get("/patients/{patient_id}", response=PatientOut, url_name="patient")
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    """Read one patient's demographics (logged as a PHI read)."""
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if patient is None:
        raise HttpError(404, "No patient with this id at your site.")
    record_read(request.user, "patient", patient.pk, what="api")
    return patient


@router.patch("/patients/{patient_id}", response=PatientOut, url_name="patient")
def patch_patient(request: HttpRequest, patient_id: int, body: PatientPatch) -> Patient:
    """Change some fields of a patient; a stale version answers 409."""
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if patient is None:
        raise HttpError(404, "No patient with this id at your site.")
    current = {name: getattr(patient, name) for name in actions.PATIENT_FIELDS}
    current["date_of_birth"] = patient.date_of_birth.isoformat()
    sent = body.dict(exclude_unset=True)
    data = _validated(request, {**current, **{k: v for k, v in sent.items() if v is not None}})
    return actions.update_patient(
        patient_id=patient.pk,
        site=request.user.site,
        data={**data, "mrn": data["mrn"] or patient.mrn},
        expected_version=body.version,
        by=request.user,
    )
