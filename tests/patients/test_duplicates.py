"""A patient registered twice: names folded across accents, umlaut spellings and Arabic/Persian
letter variants; the page and the API warn, naming the existing chart, until the user confirms
a different person."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent
from autologic.common.domain.calendars import Calendar
from autologic.patients import actions, queries
from autologic.patients.domain import identity_name, same_name
from autologic.patients.models import Patient
from tests.conftest import patient_data, signed_in

# --- folding (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Müller", "Mueller"),
        ("Müller", "Muller"),
        ("MÜLLER", "mueller"),
        ("Schäfer", "Schaefer"),
        ("Köhler", "Koehler"),
        ("García", "Garcia"),
        ("Strauß", "Strauss"),
        ("Núñez-Ortega", "Nunez Ortega"),
        ("O'Brien", "OBrien"),
        ("علي", "علی"),  # Arabic yeh, Persian yeh
        ("كاظمي", "کاظمی"),  # Arabic kaf and yeh, Persian keheh and yeh
        ("فاطمة", "فاطمه"),  # teh marbuta
        ("محمّد", "محمد"),  # shadda
        ("مهدی‌زاده", "مهدیزاده"),  # ZWNJ
        ("مهدی‌زاده", "مهدی زاده"),
    ],
)
def test_spellings_of_one_name_fold_alike(one, other):
    assert identity_name(one) == identity_name(other)


@pytest.mark.parametrize(
    ("one", "other"), [("Müller", "Möller"), ("Schmidt", "Schmitz"), ("علی", "عالی")]
)
def test_different_names_stay_different(one, other):
    assert identity_name(one) != identity_name(other)


@given(st.text(max_size=40))
def test_folding_is_idempotent(text):
    once = identity_name(text)
    assert identity_name(once) == once


PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"


@given(st.text(alphabet=PERSIAN_LETTERS + " ", min_size=1, max_size=30))
def test_arabic_keyboard_variants_of_a_persian_name_fold_alike(text):
    arabic = text.replace("ی", "ي").replace("ک", "ك")
    assert identity_name(arabic) == identity_name(text)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20))
def test_an_umlaut_and_its_e_spelling_fold_alike(text):
    umlauted = text.replace("u", "ü").replace("a", "ä").replace("o", "ö")
    spelled = text.replace("u", "ue").replace("a", "ae").replace("o", "oe")
    assert identity_name(umlauted) == identity_name(spelled)


def test_swapped_family_and_given_names_are_the_same_name():
    assert same_name(("Müller", "Jürgen"), ("Juergen", "Mueller"))
    assert not same_name(("Müller", "Jürgen"), ("Müller", "Jörg"))
    assert not same_name(("", ""), ("", ""))


# --- lookup -----------------------------------------------------------------------------


def test_the_lookup_finds_the_same_name_and_birth_date_only(site, physician, patient):
    born = patient.date_of_birth
    found = queries.likely_duplicates(site, "MUELLER", "Juergen", born)
    assert [c.id for c in found] == [patient.pk]
    assert queries.likely_duplicates(site, "Müller", "Jürgen", date(1958, 4, 13)) == []
    assert queries.likely_duplicates(site, "Müller", "Jörg", born) == []


def test_the_lookup_stays_in_the_site(jalali_site, patient):
    born = patient.date_of_birth
    assert queries.likely_duplicates(jalali_site, "Müller", "Jürgen", born) == []


# --- registration page ------------------------------------------------------------------

FORM = {
    "mrn": "",
    "family_name": "Mueller",
    "given_name": "Juergen",
    "date_of_birth": "1958-04-12",
    "sex": "male",
    "phone": "",
    "email": "",
    "address": "",
    "preferred_language": "de",
}


def test_the_form_warns_naming_the_chart_and_saves_nothing(physician, patient):
    client = signed_in(physician)
    response = client.post("/patients/new/", FORM)
    assert response.status_code == 400
    assert Patient.objects.count() == 1
    page = response.content.decode()
    assert f'href="/patients/{patient.pk}/"' in page and patient.mrn in page
    error = " ".join(response.context["form"].errors["different_person"])
    assert "Müller, Jürgen" in error and patient.mrn in error and "1958-04-12" in error
    assert 'name="different_person"' in page
    assert 'value="Mueller"' in page  # what was typed is kept


def test_confirming_a_different_person_registers_the_patient(physician, patient):
    client = signed_in(physician)
    response = client.post("/patients/new/", {**FORM, "different_person": "on"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_the_box_is_not_offered_without_a_candidate(physician, site):
    page = signed_in(physician).get("/patients/new/").content.decode()
    assert 'name="different_person"' not in page


def test_a_jalali_clinic_gets_the_warning_in_persian_with_the_jalali_birth_date(
    jalali_site, make_staff
):
    user = make_staff(Role.PHYSICIAN, at=jalali_site)
    existing = actions.create_patient(
        site=jalali_site,
        data=patient_data(family_name="کاظمی", given_name="علی", date_of_birth=date(1962, 7, 1)),
        by=user,
    )
    client = signed_in(user)
    typed = {**FORM, "family_name": "كاظمي", "given_name": "علي"}
    typed["date_of_birth"] = "۱۳۴۱/۰۴/۱۰"
    typed["preferred_language"] = "fa"
    response = client.post("/patients/new/", typed, HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="/patients/{existing.pk}/"' in page
    assert "۱۳۴۱/۰۴/۱۰" in page  # the candidate's birth date in the clinic's calendar
    assert Patient.objects.count() == 1


def test_editing_a_patient_asks_no_confirmation(physician, patient):
    page = signed_in(physician).get(f"/patients/{patient.pk}/edit/").content.decode()
    assert 'name="different_person"' not in page


# --- API --------------------------------------------------------------------------------

BODY = {
    "family_name": "MULLER",
    "given_name": "Jurgen",
    "date_of_birth": "1958-04-12",
    "sex": "male",
    "preferred_language": "de",
}


def _post(client, body):
    return client.post("/api/v1/patients", json.dumps(body), content_type="application/json")


def test_the_api_answers_409_with_the_candidate(physician, patient):
    response = _post(signed_in(physician), BODY)
    assert response.status_code == 409, response.content
    (problem,) = response.json()["detail"]
    assert problem["type"] == "possible_duplicate"
    assert problem["loc"] == ["body", "different_person"]
    assert problem["candidates"] == [
        {
            "id": patient.pk,
            "mrn": patient.mrn,
            "family_name": "Müller",
            "given_name": "Jürgen",
            "date_of_birth": "1958-04-12",
        }
    ]
    assert Patient.objects.count() == 1
    assert (
        not AuditEvent.objects.filter(action="patient.create")
        .exclude(object_id=str(patient.pk))
        .exists()
    )


def test_the_api_registers_once_confirmed(physician, patient):
    response = _post(signed_in(physician), {**BODY, "different_person": True})
    assert response.status_code == 201, response.content
    assert Patient.objects.count() == 2


def test_the_candidate_date_follows_the_calendar_in_the_message():
    from autologic.patients.domain import DuplicateCandidate, possible_duplicate

    found = [DuplicateCandidate(7, "T0000007", "کاظمی", "علی", date(1962, 7, 1))]
    refused = possible_duplicate(found, Calendar.JALALI, "fa")
    assert "۱۳۴۱/۰۴/۱۰" in refused.message and refused.field == "different_person"
