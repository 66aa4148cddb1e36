"""The patient accepts an estimate on their own page: a personal link sent through the outbox
(the token only in the message as it is sent), their full name typed, the link then closed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from autologic.billing import actions
from autologic.billing.models import Estimate, EstimateLink
from autologic.common.domain.errors import ValidationFailed
from autologic.outbox.actions import deliver_due
from autologic.outbox.models import Message
from autologic.patients.models import Patient
from tests.billing.conftest import NOW, billing_for, hip_range
from tests.billing.test_actions import _hip, as_rials, eur_course, plan


@pytest.fixture
def mailbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    return mail.outbox


def _offer(site, start_course, clerk, patient):
    as_rials(site)
    billing_for(site, "IR")
    hip_range(site)
    Patient.objects.filter(pk=patient.pk).update(
        email="fatemeh@example.org",
        preferred_language="fa",
        given_name="فاطمه",
        family_name="رحیمی",
    )
    course = start_course("cells-hip", regions=[_hip()])
    from autologic.billing.domain.money import Money

    return actions.offer_estimate(
        course,
        plan=plan("IRR", deposit=40_000_000, parts=3),
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Fat-derived cells")},
        language="fa",
        by=clerk,
        now=NOW,
    )


def test_the_patient_accepts_online_with_the_name_on_file(
    site, start_course, make_staff, patient, mailbox, client
):
    clerk = make_staff("billing")
    estimate = _offer(site, start_course, clerk, patient)
    actions.send_estimate_link(estimate, channel="email", by=clerk, now=NOW)
    stored = Message.objects.get(purpose="billing.estimate")
    assert "/p/" not in stored.body  # the token is not stored with the message
    deliver_due(now=NOW)
    (sent,) = mailbox
    token = re.search(r"/p/([^/\s]+)/estimate/", sent.body).group(1)
    assert EstimateLink.objects.get().token_hash and token not in str(
        EstimateLink.objects.get().token_hash
    )
    page = client.get(f"/p/{token}/estimate/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "۱۶٬۰۰۰٬۰۰۰ تومان" in html or "۱۶,۰۰۰,۰۰۰ تومان" in html
    assert "۱۴۰۵/۰۹/۳۰" in html  # valid for 30 days: 2026-12-21, in the Jalali calendar
    wrong = client.post(f"/p/{token}/estimate/", {"name": "Someone Else", "agree": "on"})
    assert wrong.status_code == 400
    done = client.post(f"/p/{token}/estimate/", {"name": "فاطمه  رحیمی", "agree": "on"})
    assert done.status_code == 200
    estimate.refresh_from_db()
    assert (estimate.status, estimate.acceptance) == ("accepted", "online")
    assert client.get(f"/p/{token}/estimate/").status_code == 404  # the link is closed


def test_germany_signs_the_agreement_in_writing(site, start_course, make_staff):
    clerk = make_staff("billing")
    course = eur_course(site, start_course, clerk, country="ES")
    estimate = actions.offer_estimate(course, plan=plan("EUR"), language="es", by=clerk, now=NOW)
    billing_for(site, "DE")
    with pytest.raises(ValidationFailed) as refused:
        actions.send_estimate_link(estimate, channel="email", by=clerk, now=NOW)
    assert refused.value.code == "online_not_in_germany"
    assert Estimate.objects.get(pk=estimate.pk).status == "offered"


def test_an_unknown_token_opens_nothing(client: Client, db):
    assert client.get("/p/not-a-token/estimate/").status_code == 404
