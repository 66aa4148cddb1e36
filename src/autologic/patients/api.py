"""JSON API for patients. Validation runs through the same form as the pages.

The request schemas state what the form accepts, so the OpenAPI document is true: required
fields, lengths, choices, characters and the date format are checked here as well and refused
with a 422 naming the field. What a schema cannot say is refused by the form (a birth date's
range: 422) or the action (an MRN already taken: 409).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from autologic.api_errors import FormErrors, error_responses
from autologic.audit.actions import record_read
from autologic.common.clock import local_today
from autologic.common.domain.calendars import DATE_RANGE, Calendar
from autologic.common.domain.errors import NotFound
from autologic.common.domain.text import printed_name_pattern
from autologic.patients import actions, queries
from autologic.patients.domain import possible_duplicate
from autologic.patients.forms import PatientForm
from autologic.patients.models import SEX_CHOICES, Patient

router = Router(tags=["patients"])

# Characters Python strips as white space, plus the byte-order mark (which JSON Schema's regular
# expressions count as white space): a name needs at least one character outside this set.
_SPACE = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Django's text fields refuse NUL, and PostgreSQL cannot store it.
TEXT = r"[^\x00]*"
NAME = rf"[^\x00]*[^\x00{_SPACE}][^\x00]*"
# What the form accepts as a printed name (common.domain.text): the schema states it in full; the
# API's own check above keeps its message about blank names, the form names the invisible one.
PRINTED_NAME = printed_name_pattern(_SPACE)
MRN = r"([A-Za-z0-9][A-Za-z0-9-]{0,19})?"
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

Sex = Literal[tuple(code for code, _label in SEX_CHOICES)]
Language = Literal[tuple(code for code, _name in settings.LANGUAGES)]


def _length(name: str) -> int:
    """The form field's maximum length, so the schema and the form cannot drift apart."""
    limit: int = PatientForm.base_fields[name].max_length
    return limit


def _matching(pattern: str, reason: str) -> AfterValidator:
    """Check a whole value against ``pattern`` and refuse it with ``reason``."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(_(reason))
        return value

    return AfterValidator(check)


def _described(pattern: str, **schema: Any) -> Any:
    """The schema side of ``_matching``: the same pattern, anchored as JSON Schema reads it."""
    return Field(json_schema_extra={"pattern": f"^{pattern}$"}, **schema)


def _real_date(text: str) -> str:
    """Refuse a day that does not exist (2001-02-29), as ``format: date`` does, and a day
    outside the range every typed date keeps to (DATE_RANGE), naming that range."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or day not in DATE_RANGE:
        raise ValueError(
            _("Use a real date written YYYY-MM-DD, from %(earliest)s to %(latest)s.")
            % {
                "earliest": DATE_RANGE.earliest.isoformat(),
                "latest": DATE_RANGE.latest.isoformat(),
            }
        )
    return text


NO_NUL = _matching(TEXT, gettext_noop("Null characters are not allowed."))
Mrn = Annotated[
    str,
    _matching(
        MRN,
        gettext_noop(
            "An MRN has 1 to 20 letters, digits or dashes and starts with a letter or digit."
        ),
    ),
    _described(
        MRN,
        description="1 to 20 letters, digits or dashes, starting with a letter or digit; "
        "stored upper-case. Empty: the clinic's next number.",
    ),
]
_VISIBLE = gettext_noop("Needs at least one character that is not a space.")
FamilyName = Annotated[
    str, _matching(NAME, _VISIBLE), _described(PRINTED_NAME, max_length=_length("family_name"))
]
GivenName = Annotated[
    str, _matching(NAME, _VISIBLE), _described(PRINTED_NAME, max_length=_length("given_name"))
]
BirthDate = Annotated[
    str,
    _matching(ISO_DATE, gettext_noop("Use a real date written YYYY-MM-DD.")),
    AfterValidator(_real_date),
    Field(
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD (ISO 8601, whatever the clinic's calendar); not in the future, "
        "at most 130 years ago and not before 1900-01-01.",
    ),
]
Phone = Annotated[
    str,
    NO_NUL,
    Field(
        max_length=_length("phone"),
        json_schema_extra={"format": "phone"},
        description="A phone number that exists: international with + and the country code, or "
        "as dialled in the clinic's country; stored in E.164 (+4930123456). Empty: none.",
    ),
]
Email = (
    Literal[""]
    | Annotated[str, Field(max_length=_length("email"), json_schema_extra={"format": "email"})]
)
Address = Annotated[str, NO_NUL, _described(TEXT)]
SearchText = Annotated[
    str,
    Query(description="Name fragments, an MRN or a birth date; the first 100 characters count."),
]


class PatientIn(Schema):
    """A new patient."""

    mrn: Mrn = ""
    family_name: FamilyName
    given_name: GivenName
    date_of_birth: BirthDate
    sex: Sex
    phone: Phone = ""
    email: Email = ""
    address: Address = ""
    preferred_language: Language = "en"
    different_person: StrictBool = Field(
        False,
        description="Set after a 409 `possible_duplicate`, once the named chart was checked: "
        "this is not the patient already registered with the same name and date of birth.",
    )


def _no_renumbering(value: Any) -> None:
    """An MRN is never changed by a plain update (issue 14: it fooled the wristband check)."""
    if value is not None:
        raise ValueError(
            _(
                "The MRN cannot be changed here: renumber the patient on their page (signed), "
                "which voids the old wristbands."
            )
        )


FixedMrn = Annotated[
    None,
    BeforeValidator(_no_renumbering),
    Field(
        description="Null or left out: an MRN changes only by a signed renumbering on the "
        "patient's page, which voids the old wristbands."
    ),
]


class PatientPatch(Schema):
    """A partial update; ``version`` must match the stored one. A field left out or null keeps
    its value."""

    version: int
    mrn: FixedMrn = None
    family_name: FamilyName | None = None
    given_name: GivenName | None = None
    date_of_birth: BirthDate | None = None
    sex: Sex | None = None
    # Not nullable: leave it out to keep the number, send "" to remove it.
    phone: Phone = None  # type: ignore[assignment]
    email: Email | None = None
    address: Address | None = None
    preferred_language: Language | None = None


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


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    """The patient with this id at the caller's site, or a 404."""
    patient = Patient.objects.filter(pk=patient_id, site=request.user.site).first()
    if patient is None:
        raise NotFound(
            "patient_not_found", _("No patient with this id at your site."), "patient_id"
        )
    return patient


@router.get(
    "/patients",
    response={200: list[PatientRow], **error_responses()},
    url_name="patients",
)
def search_patients(request: HttpRequest, q: SearchText = "") -> list[dict[str, Any]]:
    """Search by name fragments, MRN or birth date (at most 50 rows)."""
    return queries.search(request.user.site, q[:100] if _is_utf8(q) else "")[1]


@router.post(
    "/patients",
    response={201: PatientOut, **error_responses(400, 409, 422)},
    url_name="patients",
)
def create_patient(request: HttpRequest, body: PatientIn) -> Status:
    """Register a patient. One with the same name and date of birth as a registered patient
    (accents, umlaut spellings and Arabic/Persian letter variants folded) answers 409
    `possible_duplicate` naming the candidates, until it is sent again with
    `different_person: true`."""
    site = request.user.site
    data = _validated(request, body.dict())
    if not data["different_person"]:
        found = queries.likely_duplicates(
            site, data["family_name"], data["given_name"], data["date_of_birth"]
        )
        if found:
            raise possible_duplicate(found, Calendar(site.calendar), get_language() or "en")
    return Status(201, actions.create_patient(site=site, data=data, by=request.user))


@router.get(
    "/patients/{patient_id}",
    response={200: PatientOut, **error_responses(404, 422)},
    url_name="patient",
)
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    """Read one patient's demographics (logged as a PHI read)."""
    patient = _patient(request, patient_id)
    record_read(request.user, "patient", patient.pk, what="api")
    return patient


@router.patch(
    "/patients/{patient_id}",
    response={200: PatientOut, **error_responses(400, 404, 409, 422)},
    url_name="patient",
)
def patch_patient(request: HttpRequest, patient_id: int, body: PatientPatch) -> Patient:
    """Change some fields of a patient; a stale version answers 409."""
    patient = _patient(request, patient_id)
    current = {name: getattr(patient, name) for name in actions.PATIENT_FIELDS}
    current["date_of_birth"] = patient.date_of_birth.isoformat()
    sent = body.dict(exclude_unset=True)
    data = _validated(request, {**current, **{k: v for k, v in sent.items() if v is not None}})
    return actions.update_patient(
        patient_id=patient.pk,
        site=request.user.site,
        data={**data, "mrn": patient.mrn},
        expected_version=body.version,
        by=request.user,
    )
