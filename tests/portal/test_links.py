"""Issuing, sending and withdrawing links; the licence gate; clinic wordings and licences."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.outbox.models import Message
from autologic.portal import actions, texts
from autologic.portal.domain import LINK_PLACEHOLDER, token_hash
from autologic.portal.models import Link, LinkToken

pytestmark = pytest.mark.django_db


def test_a_link_opens_the_questionnaires_owed_and_keeps_only_the_token_hash(issued, baseline):
    link = Link.objects.get()
    assert LinkToken.objects.get(link=link).token_hash == token_hash(issued.token)
    assert issued.token not in str(Link.objects.values().get())
    assert issued.token not in str(LinkToken.objects.values().get())
    forms = sorted((r, i) for r, i in link.forms)
    knee_id = baseline.course.regions.get(region="knee").pk
    hip_id = baseline.course.regions.get(region="hip").pk
    assert forms == sorted(
        [(region, instrument) for region in (knee_id, hip_id) for instrument in ("NRS", "PGA")]
        + [(knee_id, "KOOS"), (hip_id, "HOOS")]
    )
    assert issued.url.endswith(f"/p/{issued.token}/")
    event = AuditEvent.objects.get(action="portal.link_issued")
    assert event.changes["forms"] and issued.token not in str(event.changes)


def test_in_german_only_the_generic_scales_go_out_and_the_rest_is_held_with_a_reason(
    baseline, nurse_user, fixed_clock
):
    issued = actions.issue_link(baseline, language="de", by=nurse_user, now=fixed_clock.now())
    assert {i for _r, i in issued.link.forms} == {"NRS", "PGA"}
    held = {(i, refusal.code) for _r, i, refusal in issued.blocked}
    assert held == {("KOOS", "no_text"), ("HOOS", "no_text")}


def test_a_clinic_supplied_translation_opens_the_questionnaire_in_that_language(
    baseline, nurse_user, fixed_clock, site
):
    import yaml

    from autologic.portal.texts import SHIPPED_DIR

    koos = yaml.safe_load((SHIPPED_DIR / "KOOS.en.yaml").read_text())
    koos["language"] = "de"
    koos["source"] = "KOOS German (koos.nu), supplied by the clinic"
    actions.supply_text(site, koos, by=nurse_user, now=fixed_clock.now())
    issued = actions.issue_link(baseline, language="de", by=nurse_user, now=fixed_clock.now())
    assert "KOOS" in {i for _r, i in issued.link.forms}
    assert AuditEvent.objects.filter(action="portal.text_supplied").count() == 1


def test_a_bad_wording_file_is_refused_naming_the_item(site, nurse_user, fixed_clock):
    with pytest.raises(ValidationFailed) as refused:
        actions.supply_text(
            site,
            {
                "instrument": "ODI",
                "version": "2.1a",
                "language": "en",
                "source": "x",
                "title": "ODI",
                "sections": [{"items": [{"id": "Q1", "text": "?", "options": ["a"]}]}],
            },
            by=nurse_user,
            now=fixed_clock.now(),
        )
    assert refused.value.field == "Q1"


def test_a_licence_recorded_by_the_clinic_clears_the_gate(site, manager, fixed_clock):
    today = date(2026, 11, 21)
    assert "ODI" not in texts.cleared(site, today)
    actions.record_clearance(
        site,
        "ODI",
        reference="Mapi 2026-1234",
        valid_until=today,
        by=manager,
        now=fixed_clock.now(),
    )
    assert "ODI" in texts.cleared(site, today)
    assert "ODI" not in texts.cleared(site, date(2026, 11, 22))  # lapsed the next day


def test_nothing_publishable_is_refused_with_every_reason(baseline, nurse_user, fixed_clock):
    with pytest.raises(ValidationFailed) as refused:
        actions.issue_link(baseline, language="xx", by=nurse_user, now=fixed_clock.now())
    assert refused.value.field == "language"


def test_sending_by_email_needs_an_address_and_queues_one_message_in_the_same_transaction(
    baseline, nurse_user, fixed_clock, patient
):
    with pytest.raises(ValidationFailed) as no_mail:
        actions.send_link(
            baseline, channel="email", language="en", by=nurse_user, now=fixed_clock.now()
        )
    assert no_mail.value.field == "channel"
    assert not Link.objects.exists()  # nothing half-done
    link = actions.send_link(
        baseline, channel="sms", language="en", by=nurse_user, now=fixed_clock.now()
    )
    message = Message.objects.get()
    assert message.to == patient.phone and message.channel == "sms"
    assert LINK_PLACEHOLDER in message.body  # the token is minted as the message is sent
    assert not LinkToken.objects.exists()
    assert f"until {baseline.due_to.isoformat()}" in message.body  # the window's last day
    assert patient.family_name not in message.body  # first name only, no clinical detail
    assert message.ref == f"portal-link:{link.pk}"


def test_a_link_is_never_sent_to_a_number_that_does_not_parse(
    baseline, nurse_user, fixed_clock, patient
):
    # A number stored before numbers were checked (issue 14) is refused by name, not sent.
    type(patient).objects.filter(pk=patient.pk).update(phone="0049-12")
    with pytest.raises(ValidationFailed) as refused:
        actions.send_link(
            baseline, channel="sms", language="en", by=nurse_user, now=fixed_clock.now()
        )
    assert refused.value.code == "invalid_phone" and refused.value.field == "channel"
    assert not Message.objects.exists() and not Link.objects.exists()


def test_a_withdrawn_link_stops_working_and_cannot_be_withdrawn_twice(
    issued, nurse_user, fixed_clock
):
    assert actions.open_link(issued.token, now=fixed_clock.now()) is not None
    actions.revoke_link(
        issued.link, by=nurse_user, reason="sent to the wrong address", now=fixed_clock.now()
    )
    assert actions.open_link(issued.token, now=fixed_clock.now()) is None
    with pytest.raises(ConflictError):
        actions.revoke_link(issued.link, by=nurse_user, reason="again", now=fixed_clock.now())
    with pytest.raises(ValidationFailed):
        actions.revoke_link(issued.link, by=nurse_user, reason=" ", now=fixed_clock.now())


def test_an_expired_link_stops_working(issued):
    assert actions.open_link(issued.token, now=issued.link.expires_at) is None


def test_opening_is_counted_and_audited_once(issued, fixed_clock):
    actions.open_link(issued.token, now=fixed_clock.now())
    actions.open_link(issued.token, now=fixed_clock.now())
    link = Link.objects.get()
    assert link.uses == 2 and link.last_used_at == fixed_clock.now()
    assert AuditEvent.objects.filter(action="portal.link_opened").count() == 1


def test_the_invitation_dates_the_last_day_in_the_clinics_calendar(
    baseline, nurse_user, fixed_clock, patient
):
    import jdatetime

    site = patient.site
    site.calendar = "jalali"
    site.save(update_fields=["calendar"])
    actions.send_link(baseline, channel="sms", language="en", by=nurse_user, now=fixed_clock.now())
    body = Message.objects.get().body
    last = jdatetime.date.fromgregorian(date=baseline.due_to)
    assert f"until {last.year}/{last.month:02d}/{last.day:02d}" in body
    assert baseline.due_to.isoformat() not in body


def test_a_persian_invitation_writes_the_date_in_persian_digits(
    baseline, nurse_user, fixed_clock, patient
):
    import jdatetime

    site = patient.site
    site.calendar = "jalali"
    site.save(update_fields=["calendar"])
    actions.send_link(baseline, channel="sms", language="fa", by=nurse_user, now=fixed_clock.now())
    body = Message.objects.get().body
    last = jdatetime.date.fromgregorian(date=baseline.due_to)
    persian = f"{last.year}/{last.month:02d}/{last.day:02d}".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    )
    line = next(row for row in body.splitlines() if persian in row)
    assert not any(ch.isascii() and ch.isdigit() for ch in line)
