"""The bedside pages: the day, a session, the scan (full page and htmx), the signed record."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autologic.audit.models import AuditEvent
from autologic.injections.models import Administration
from tests.conftest import PASSWORD, band, signed_in, totp_now

from .conftest import injection_form, ready, reserved_unit, sessions

pytestmark = pytest.mark.django_db


def scan(unit) -> str:
    return unit.identifier + unit.flags


def test_the_day_and_the_session_pages_show_units_and_timers(released, nurse, patient, fixed_clock):
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    client = signed_in(nurse)
    day = client.get(f"/injections/?date={first.starts_at:%Y-%m-%d}")
    assert day.status_code == 200
    assert patient.mrn in day.content.decode()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/injections/sessions/{first.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert unit.identifier in body and "data-until" in body and "autofocus" in body
    assert len(queries) <= 30, [q["sql"][:90] for q in queries.captured_queries]


def test_a_wrong_patient_scan_is_refused_on_screen_and_audited(
    released, nurse, patient, other_patient, fixed_clock
):
    mine = released()
    theirs = released(who=other_patient)
    first = sessions(mine)[0]
    foreign = ready(sessions(theirs)[0], nurse, fixed_clock)
    fixed_clock.current = first.starts_at
    client = signed_in(nurse)
    response = client.post(
        f"/injections/sessions/{first.pk}/verify/",
        {"wristband": band(patient), "unit": scan(foreign), "region": "knee", "side": "left"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-scan-result="stop"' in body
    assert f"MRN {other_patient.mrn}" in body and "administer" not in body.split("verdict")[-1]
    assert AuditEvent.objects.filter(action="bedside.refused").count() == 1


def test_htmx_scan_returns_the_verdict_panel_with_the_record_form(
    released, nurse, patient, fixed_clock
):
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    client = signed_in(nurse)
    response = client.post(
        f"/injections/sessions/{first.pk}/verify/",
        {"wristband": band(patient), "unit": scan(unit), "region": "knee", "side": "left"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="verdict"')
    assert 'data-scan-result="pass"' in body and 'name="verifier"' in body


def test_bad_scans_name_the_field_and_nothing_changes(released, nurse, patient, fixed_clock):
    lot = released()
    first = sessions(lot)[0]
    ready(first, nurse, fixed_clock)
    client = signed_in(nurse)
    events = AuditEvent.objects.count()
    empty = client.post(f"/injections/sessions/{first.pk}/verify/", {"wristband": "", "unit": ""})
    assert empty.status_code == 400 and "has-error" in empty.content.decode()
    garbled = client.post(
        f"/injections/sessions/{first.pk}/verify/",
        {"wristband": band(patient), "unit": "0A00126000001X", "region": "knee", "side": "left"},
    )
    assert garbled.status_code == 400
    assert 'data-focus="unit"' in garbled.content.decode()
    # Page reads are logged (PHI), nothing else is written.
    added = AuditEvent.objects.filter(pk__gt=0).order_by("-seq")[
        : AuditEvent.objects.count() - events
    ]
    assert {e.action for e in added} <= {"patient.read"}


def test_the_record_is_signed_by_two_people_through_the_form(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    client = signed_in(physician)
    assert first.course.patient == patient
    form = {
        **injection_form(first, unit, nurse.pk),
        "volume_ml": "2",
        "otp_token": totp_now(physician),
        "verifier_password": "wrong",
        "verifier_otp_token": totp_now(nurse),
    }
    refused = client.post(f"/injections/sessions/{first.pk}/administer/", form)
    assert refused.status_code == 400 and not Administration.objects.exists()
    assert (
        "verifier_password" in refused.content.decode() or "not correct" in refused.content.decode()
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.update(last_t=-1)  # the next 30-second code, as a real signer would wait
    form.update(
        verifier_password=PASSWORD,
        otp_token=totp_now(physician),
        verifier_otp_token=totp_now(nurse),
    )
    done = client.post(f"/injections/sessions/{first.pk}/administer/", form)
    assert done.status_code == 302, done.content.decode()[-2000:]
    record = Administration.objects.get()
    assert record.operator == physician and record.second_verifier == nurse
    assert str(record.volume_ml) == "2.00"
    assert reserved_unit(sessions(lot)[1]).status == "reserved"


def test_the_wristband_barcode_reads_back_as_its_code(released, nurse, patient, tmp_path):
    assert shutil.which("zbarimg") and shutil.which("pdftoppm"), "run `make labeltools`"
    client = signed_in(nurse)
    response = client.get(f"/injections/patients/{patient.pk}/wristband.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (tmp_path / "band.pdf").write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(tmp_path / "band.pdf"), str(tmp_path / "band")],
        check=True,
    )
    image = next(tmp_path.glob("band*.png"))
    read = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert read == [band(patient)]


def test_jalali_clinics_type_the_bedside_day_in_jalali(jalali_site, make_staff):
    client = signed_in(make_staff("nurse", at=jalali_site, username="nurse-thr"))
    response = client.get("/injections/", {"date": "1405/09/02"})
    assert response.status_code == 200
    assert response.context["on"] == date(2026, 11, 23)
    assert client.get("/injections/", {"date": "۱۴۰۵/۰۹/۰۲"}).context["on"] == date(2026, 11, 23)
    assert client.get("/injections/", {"date": "2026-11-23"}).context["on"] == date(2026, 11, 23)


def test_the_bedside_day_input_shows_the_day_in_the_clinics_calendar(jalali_site, make_staff):
    client = signed_in(make_staff("nurse", at=jalali_site, username="nurse-thr"))
    page = client.get("/injections/", {"date": "۱۴۰۵/۰۹/۰۲"}).content.decode()
    assert 'type="date"' not in page
    assert 'name="date" value="1405/09/02" placeholder="1360/05/12"' in page
    refused = client.get("/injections/", {"date": "1405/13/02"}).content.decode()
    assert 'name="date" value="1405/13/02"' in refused  # what was typed stays, with the error
