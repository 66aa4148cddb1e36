"""A Jalali clinic types an adverse event's onset and resolution dates in Jalali, with Persian
digits; they are stored as the right UTC instant and day. The alert e-mail dates the onset in
the clinic's calendar and the reader's digits."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import jdatetime
import pytest

from autologic.adverse_events import actions as ae
from autologic.adverse_events.mail import serious_event_mail
from autologic.adverse_events.models import AdverseEvent
from tests.conftest import signed_in

from .conftest import SERIOUS, report
from .test_pages import form

pytestmark = pytest.mark.django_db

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def jalali_text(moment, with_time: bool = True) -> str:
    """A UTC time as a Berlin clinic on the Jalali calendar types it, in Persian digits."""
    local = moment.astimezone(ZoneInfo("Europe/Berlin"))
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.year}/{day.month:02d}/{day.day:02d}"
    if with_time:
        text += f" {local:%H:%M}"
    return text.translate(PERSIAN)


def test_a_jalali_clinic_records_the_onset_in_jalali(
    administration, patient, nurse, after, fixed_clock
):
    patient.site.calendar = "jalali"
    patient.site.save(update_fields=["calendar"])
    after(administration)
    onset = (administration.given_at + timedelta(hours=3)).replace(second=0, microsecond=0)
    client = signed_in(nurse)
    url = f"/adverse-events/patients/{patient.pk}/new/"
    assert "datetime-local" not in client.get(url).content.decode()
    typed = form(administration, onset_at=jalali_text(onset))
    typed["resolved_on"] = jalali_text(fixed_clock.now(), with_time=False)
    typed["outcome"] = "recovered"
    response = client.post(url, typed)
    assert response.status_code == 302, response.context["form"].errors
    event = AdverseEvent.objects.get()
    assert event.onset_at == onset
    assert event.resolved_on == fixed_clock.now().astimezone(ZoneInfo("Europe/Berlin")).date()


def test_a_gregorian_clinic_records_the_onset_as_before(
    administration, patient, nurse, after, fixed_clock
):
    after(administration)
    onset = (administration.given_at + timedelta(hours=3)).replace(second=0, microsecond=0)
    local = onset.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M")
    response = signed_in(nurse).post(
        f"/adverse-events/patients/{patient.pk}/new/", form(administration, onset_at=local)
    )
    assert response.status_code == 302
    assert AdverseEvent.objects.get().onset_at == onset


def test_the_alert_mail_dates_the_onset_in_the_clinics_calendar_and_the_readers_digits(
    administration, patient, nurse, physician, after, fixed_clock
):
    site = patient.site
    site.calendar = "jalali"
    site.save(update_fields=["calendar"])
    onset = after(administration)
    event = ae.record_adverse_event(
        patient,
        report(onset=onset, administration_id=administration.pk, **SERIOUS),
        by=nurse,
        now=fixed_clock.now(),
    )
    physician.preferred_language = "fa"
    _subject, body = serious_event_mail(event, physician)
    line = next(row for row in body.splitlines() if jalali_text(onset) in row)
    assert not any(ch.isascii() and ch.isdigit() for ch in line)  # one kind of digit per line
    physician.preferred_language = "en"
    _subject, english = serious_event_mail(event, physician)
    assert jalali_text(onset).translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")) in english
