"""Patient pages: register, search, chart (with read log), edit conflicts, signed consents."""

from __future__ import annotations

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts.roles import Role
from autologic.audit.models import AuditEvent, Signature
from autologic.patients import actions
from autologic.patients.models import Consent, Patient
from tests.conftest import PASSWORD, patient_data, signed_in

FORM = {
    "mrn": "",
    "family_name": "Schäfer",
    "given_name": "Monika",
    "date_of_birth": "1962-07-01",
    "sex": "female",
    "phone": "",
    "email": "",
    "address": "",
    "preferred_language": "de",
}


@pytest.fixture
def doctor(physician):
    return signed_in(physician)


def test_registering_a_patient_assigns_an_mrn_and_audits_it(doctor, site):
    response = doctor.post("/patients/new/", FORM)
    assert response.status_code == 302
    patient = Patient.objects.get(family_name="Schäfer")
    assert patient.mrn == "B0000001"
    event = AuditEvent.objects.get(action="patient.create", object_id=str(patient.pk))
    assert event.changes["family_name"] == [None, "Schäfer"]
    assert event.site_id == site.pk


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2099-01-01", "future"),
        ("date_of_birth", "31.02.1960", "not a real date"),
        ("date_of_birth", "soon", "not a date"),
        ("family_name", "", "required"),
        ("sex", "robot", "valid choice"),
        ("email", "not-an-address", "valid email"),
        ("mrn", "a b", "MRN"),
    ],
)
def test_bad_input_gets_a_message_on_its_field_and_saves_nothing(doctor, field, value, message):
    response = doctor.post("/patients/new/", {**FORM, field: value})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message.lower() in " ".join(errors[field]).lower()
    assert not Patient.objects.exists()


def test_a_duplicate_mrn_is_refused_on_the_mrn_field(doctor, patient):
    response = doctor.post("/patients/new/", {**FORM, "mrn": patient.mrn})
    assert response.status_code == 400
    assert "already used" in " ".join(response.context["form"].errors["mrn"])


def test_jalali_sites_take_birth_dates_in_jalali(jalali_site, make_staff):
    client = signed_in(make_staff(Role.COORDINATOR, at=jalali_site))
    response = client.post("/patients/new/", {**FORM, "date_of_birth": "1341/04/10"})
    assert response.status_code == 302
    assert Patient.objects.get().date_of_birth.isoformat() == "1962-07-01"


def test_reading_a_chart_is_logged(doctor, physician, patient):
    response = doctor.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    read = AuditEvent.objects.get(action="patient.read", object_id=str(patient.pk))
    assert read.actor_id == physician.pk


def test_the_chart_shows_the_creation_event(doctor, patient):
    page = doctor.get(f"/patients/{patient.pk}/").content.decode()
    assert "Patient registered" in page and patient.mrn in page
    (created,) = [e for e in page.split('data-testid="audit-event"') if "Patient registered" in e]
    assert "Date of birth" in created and "date_of_birth" not in created


def test_another_clinics_patient_is_not_found(jalali_site, make_staff, patient):
    client = signed_in(make_staff(Role.PHYSICIAN, at=jalali_site, username="other-doc"))
    assert client.get(f"/patients/{patient.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="patient.read").exists()


def test_search_finds_by_fragment_mrn_and_birth_date(doctor, site, physician):
    for family, given in [("Müller", "Jürgen"), ("Mueller", "Anna"), ("Schmidt", "Peter")]:
        actions.create_patient(
            site=site, data=patient_data(family_name=family, given_name=given), by=physician
        )
    assert doctor.get("/patients/", {"q": "mül"}).context["rows"][0]["family_name"] == "Müller"
    assert len(doctor.get("/patients/", {"q": "MUELL"}).context["rows"]) == 1
    assert len(doctor.get("/patients/", {"q": "muller jur"}).context["rows"]) == 1
    assert len(doctor.get("/patients/", {"q": "B000000"}).context["rows"]) == 3
    assert len(doctor.get("/patients/", {"q": "12.04.1958"}).context["rows"]) == 3
    assert doctor.get("/patients/", {"q": "zzz"}).context["rows"] == []


def test_htmx_search_returns_only_the_results_fragment(doctor, patient):
    response = doctor.get("/patients/", {"q": "mül"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and patient.mrn in body


def test_editing_a_stale_form_is_refused_and_keeps_the_typed_values(
    doctor, patient, physician, site
):
    actions.update_patient(
        patient_id=patient.pk, site=site, data={"phone": "+49 1"}, expected_version=1, by=physician
    )
    stale = {**FORM, "mrn": patient.mrn, "given_name": "Typed-By-Me", "version": 1}
    response = doctor.post(f"/patients/{patient.pk}/edit/", stale)
    assert response.status_code == 400
    assert "Someone else saved" in response.content.decode()
    assert 'value="Typed-By-Me"' in response.content.decode()
    patient.refresh_from_db()
    assert patient.given_name == "Jürgen" and patient.phone == "+49 1"


def test_an_edit_records_before_and_after(doctor, patient):
    form = {
        **FORM,
        "mrn": patient.mrn,
        "family_name": "Müller-Lüdenscheidt",
        "given_name": "Jürgen",
        "date_of_birth": "1958-04-12",
        "sex": "male",
        "version": 1,
    }
    assert doctor.post(f"/patients/{patient.pk}/edit/", form).status_code == 302
    event = AuditEvent.objects.get(action="patient.update")
    assert event.changes["family_name"] == ["Müller", "Müller-Lüdenscheidt"]


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{TOTP(device.bin_key).token():06d}"


CONSENT = {
    "kind": "treatment",
    "procedure": "acs-large-joint",
    "form_version": "2026-1",
    "given_on": "2026-01-10",
    "signed_by": "Jürgen Müller",
    "signer_relation": "self",
}


def test_a_consent_is_e_signed_and_the_signature_is_shown(doctor, physician, patient, protocols):
    response = doctor.post(
        f"/patients/{patient.pk}/consents/new/",
        {**CONSENT, "password": PASSWORD, "otp_token": _code(physician)},
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    signature = Signature.objects.get(object_type="consent", object_id=str(consent.pk))
    assert signature.meaning == "authored" and signature.second_factor
    assert signature.printed_name == physician.printed_name
    assert consent.procedure == "acs-large-joint"
    page = doctor.get(f"/patients/{patient.pk}/").content.decode()
    assert f"Signed by {physician.printed_name}" in page and "Authored" in page


def test_collection_consent_names_the_procedure_it_covers(doctor, physician, patient, protocols):
    """The gate before collection looks for a consent that covers the course's protocol, so a
    treatment consent says which one; other consents cover none."""
    form = doctor.get(f"/patients/{patient.pk}/consents/new/").content.decode()
    assert 'value="cells-hip"' in form
    response = doctor.post(
        f"/patients/{patient.pk}/consents/new/",
        {**CONSENT, "procedure": "", "password": PASSWORD, "otp_token": _code(physician)},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["procedure"]
    assert not Consent.objects.exists()
    response = doctor.post(
        f"/patients/{patient.pk}/consents/new/",
        {**CONSENT, "kind": "research", "password": PASSWORD, "otp_token": _code(physician)},
    )
    assert response.status_code == 302
    assert Consent.objects.get().procedure == ""


@pytest.mark.parametrize(
    ("password", "code_ok", "field"), [("wrong", True, "password"), (PASSWORD, False, "otp_token")]
)
def test_a_signature_with_a_wrong_password_or_code_is_refused_and_logged(
    doctor, physician, patient, password, code_ok, field, protocols
):
    code = _code(physician) if code_ok else "000000"
    response = doctor.post(
        f"/patients/{patient.pk}/consents/new/",
        {**CONSENT, "password": password, "otp_token": code},
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Consent.objects.exists() and not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signature.refused", changes__field=field).exists()


def test_signatures_cannot_be_edited_in_the_database(doctor, physician, patient, protocols):
    from django.db import DatabaseError, connection, transaction

    doctor.post(
        f"/patients/{patient.pk}/consents/new/",
        {**CONSENT, "password": PASSWORD, "otp_token": _code(physician)},
    )
    assert Signature.objects.count() == 1
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_signature SET printed_name = 'Forger'")


def test_list_and_chart_use_a_bounded_number_of_queries(
    doctor, site, physician, django_assert_max_num_queries
):
    for i in range(30):
        actions.create_patient(site=site, data=patient_data(family_name=f"Name{i}"), by=physician)
    target = Patient.objects.first()
    with django_assert_max_num_queries(12):
        doctor.get("/patients/", {"q": "name"})
    with django_assert_max_num_queries(17):
        doctor.get(f"/patients/{target.pk}/")


def test_refusals_are_shown_in_the_users_language(doctor):
    doctor.cookies["django_language"] = "de"
    response = doctor.post("/patients/new/", {**FORM, "date_of_birth": "2099-01-01"})
    assert "Zukunft" in " ".join(response.context["form"].errors["date_of_birth"])


def test_signing_locks_after_repeated_wrong_passwords(doctor, physician, patient, protocols):
    url = f"/patients/{patient.pk}/consents/new/"
    for _ in range(5):
        doctor.post(url, {**CONSENT, "password": "wrong", "otp_token": _code(physician)})
    response = doctor.post(url, {**CONSENT, "password": PASSWORD, "otp_token": _code(physician)})
    assert response.status_code == 400
    assert "Too many failed signing attempts" in " ".join(
        response.context["form"].errors["password"]
    )
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("030 1234567", "+49301234567"),  # a Berlin clinic reads numbers without + as German
        ("0170 1234567", "+491701234567"),
        ("+34 612 345 678", "+34612345678"),
        ("0034 612-345-678", "+34612345678"),
    ],
)
def test_phone_numbers_are_stored_e164_through_the_form(doctor, typed, stored):
    assert doctor.post("/patients/new/", {**FORM, "phone": typed}).status_code == 302
    assert Patient.objects.get().phone == stored


@pytest.mark.parametrize("typed", ["+49 1", "12", "call the daughter", "0000 000000"])
def test_phone_numbers_that_do_not_parse_are_refused_on_the_phone_field(doctor, typed):
    response = doctor.post("/patients/new/", {**FORM, "phone": typed})
    assert response.status_code == 400
    assert "not a valid phone number" in " ".join(response.context["form"].errors["phone"])
    assert not Patient.objects.exists()


def test_a_tehran_clinic_reads_persian_digits_and_persian_names(jalali_site, make_staff):
    client = signed_in(make_staff(Role.COORDINATOR, at=jalali_site))
    form = {
        **FORM,
        "family_name": "حسین\u200cزاده",
        "given_name": "علی\u200cاکبر",
        "date_of_birth": "1341/04/10",
        "phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹",
    }
    assert client.post("/patients/new/", form).status_code == 302
    patient = Patient.objects.get()
    assert patient.phone == "+989123456789"
    assert (patient.family_name, patient.given_name) == ("حسین\u200cزاده", "علی\u200cاکبر")


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("family_name", "\u202eMüller", "Family name"),
        ("given_name", "Jür\u200bgen", "Given name"),
        ("given_name", "\ufeffJürgen", "Given name"),
        ("family_name", "Schäfer\u2067", "Family name"),
        ("family_name", "محمد\u200cرضا", "Family name"),  # a ZWNJ after د joins nothing
    ],
)
def test_names_refuse_bidi_overrides_and_zero_width_through_the_form(doctor, field, value, label):
    response = doctor.post("/patients/new/", {**FORM, field: value})
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors[field])
    assert message.startswith(label) and "U+" in message
    assert not Patient.objects.exists()


def test_the_consent_signer_name_refuses_bidi_overrides(doctor, patient):
    data = {
        "kind": "treatment",
        "form_version": "v1",
        "given_on": "2020-01-01",
        "signed_by": "\u202bJürgen Müller",
        "signer_relation": "self",
        "password": PASSWORD,
    }
    response = doctor.post(f"/patients/{patient.pk}/consents/new/", data)
    assert response.status_code == 400
    assert "U+202B" in " ".join(response.context["form"].errors["signed_by"])
    assert not Consent.objects.exists()
