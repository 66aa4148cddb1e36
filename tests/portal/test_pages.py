"""The patient's pages: own forms only, partial saves, per-answer checks, sending, rate limits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autologic.outcomes.models import Response, Score
from autologic.portal import actions
from tests.conftest import patient_data

pytestmark = pytest.mark.django_db


def _form_url(issued, region_id, instrument):
    return reverse("portal:form", args=[issued.token, region_id, instrument])


def _answer_url(issued, region_id, instrument):
    return reverse("portal:answer", args=[issued.token, region_id, instrument])


@pytest.fixture
def knee_id(baseline):
    return baseline.course.regions.get(region="knee").pk


def test_home_lists_only_this_links_forms_with_no_login(client: Client, issued, patient):
    response = client.get(reverse("portal:home", args=[issued.token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Hello {patient.given_name}" in body
    assert patient.family_name not in body and patient.mrn not in body
    assert body.count("0 of") == 6  # NRS, PGA and the region's function score, per region
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_a_wrong_token_gets_the_same_page_as_a_withdrawn_one(
    client, issued, nurse_user, fixed_clock
):
    bad = client.get(reverse("portal:home", args=["x" * 43]))
    actions.revoke_link(issued.link, by=nurse_user, reason="test", now=fixed_clock.now())
    revoked = client.get(reverse("portal:home", args=[issued.token]))
    assert bad.status_code == revoked.status_code == 404

    def main(r):
        return r.content.decode().split("<main")[1]

    assert main(bad) == main(revoked)


def test_each_answer_is_kept_at_once_and_checked(client, issued, knee_id):
    url = _answer_url(issued, knee_id, "KOOS")
    ok = client.post(url, {"item": "P1", "P1": "2"})
    assert ok.status_code == 200 and "Saved" in ok.content.decode()
    response = Response.objects.get()
    assert response.status == "in_progress" and response.answers == {"P1": 2}
    assert response.mode == "web" and not response.staff_entered
    bad = client.post(url, {"item": "P2", "P2": "9"})
    assert bad.status_code == 422
    assert "between 0 and 4" in bad.content.decode()
    assert Response.objects.get().answers == {"P1": 2}  # nothing saved is lost
    unknown = client.post(url, {"item": "ZZ", "ZZ": "1"})
    assert unknown.status_code == 422
    assert not Score.objects.exists()  # progress is not scored


def test_progress_survives_and_the_form_shows_it(client, issued, knee_id):
    client.post(_answer_url(issued, knee_id, "NRS"), {"item": "PAIN", "PAIN": "7"})
    page = client.get(_form_url(issued, knee_id, "NRS")).content.decode()
    assert 'value="7" checked' in page
    home = client.get(reverse("portal:home", args=[issued.token])).content.decode()
    assert "1 of 1 answered" in home


def test_sending_with_gaps_asks_first_then_scores_what_the_rules_allow(client, issued, knee_id):
    url = _form_url(issued, knee_id, "KOOS")
    answers = {f"P{n}": "1" for n in range(1, 10)}
    first = client.post(url, {**answers, "action": "send"})
    assert first.status_code == 200
    assert "questions are not answered" in first.content.decode()
    assert Response.objects.get().status == "in_progress"
    sent = client.post(url, {**answers, "action": "send", "confirm": "1"})
    assert sent.status_code == 302
    response = Response.objects.get()
    assert response.status == "submitted" and response.mode == "web"
    scores = {s.name: s for s in Score.objects.filter(instrument="KOOS")}
    assert scores["pain"].value == 75.0  # 100 - 100*9/(4*9)
    assert scores["symptoms"].value is None and scores["symptoms"].reason
    again = client.post(_answer_url(issued, knee_id, "KOOS"), {"item": "P1", "P1": "0"})
    assert again.status_code == 422  # a sent form cannot change


def test_a_bad_value_in_a_full_post_names_the_item_and_keeps_the_good_ones(client, issued, knee_id):
    response = client.post(
        _form_url(issued, knee_id, "KOOS"), {"P1": "1", "P2": "banana", "action": "save"}
    )
    assert response.status_code == 422
    assert 'href="#q-P2"' in response.content.decode()
    assert Response.objects.get().answers["P1"] == 1


def test_the_patient_cannot_reach_another_patients_forms(
    client, issued, site, physician, start_course, resources, fixed_clock
):
    from autologic.care import actions as care
    from autologic.patients import actions as patients
    from tests.outcomes.conftest import follow_up, knee

    other = patients.create_patient(site=site, data=patient_data(family_name="Other"), by=physician)
    theirs = start_course("acs-large-joint", regions=[knee()], who=other)
    care.schedule_course(course=theirs, by=physician, expected_version=theirs.version)
    their_region = theirs.regions.get().pk
    response = client.get(_form_url(issued, their_region, "KOOS"))
    assert response.status_code == 404
    post = client.post(_answer_url(issued, their_region, "KOOS"), {"item": "P1", "P1": "1"})
    assert post.status_code == 422
    assert not Response.objects.filter(patient=other).exists()
    assert follow_up(theirs, "baseline").pk != issued.link.appointment_id


def test_guessing_tokens_is_slowed_down_per_address(client):
    statuses = [
        client.get(reverse("portal:home", args=[f"guess{n}"])).status_code for n in range(12)
    ]
    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429, 429]


def test_valid_token_is_served_despite_other_failures_from_the_address(client, issued, knee_id):
    """Patients behind one address (a clinic's Wi-Fi, a carrier's NAT) share its failure count."""
    guesses = [client.get(reverse("portal:home", args=[f"guess{n}"])) for n in range(12)]
    assert guesses[-1].status_code == 429  # the guesser is slowed down
    assert client.get(reverse("portal:home", args=[issued.token])).status_code == 200
    saved = client.post(_answer_url(issued, knee_id, "NRS"), {"item": "PAIN", "PAIN": "4"})
    assert saved.status_code == 200
    assert client.get(reverse("portal:home", args=["guess-again"])).status_code == 429


def test_persian_links_render_right_to_left_in_persian(
    client, baseline, nurse_user, fixed_clock, knee_id
):
    issued = actions.issue_link(baseline, language="fa", by=nurse_user, now=fixed_clock.now())
    page = client.get(_form_url(issued, knee_id, "NRS")).content.decode()
    assert 'dir="rtl"' in page and 'lang="fa"' in page
    assert "زانو" in page  # the knee, in Persian, filled into the question


def test_staff_send_a_link_by_sms_or_hand_it_over_and_withdraw_it(
    baseline, make_staff, patient, django_assert_max_num_queries
):
    from autologic.outbox.models import Message
    from autologic.portal.models import Link
    from tests.conftest import signed_in

    coordinator = signed_in(make_staff("coordinator"))
    with django_assert_max_num_queries(40):
        page = coordinator.get(reverse("portal:patient", args=[patient.pk]))
    assert page.status_code == 200 and "Send link" in page.content.decode()
    send = reverse("portal:send", args=[baseline.pk])
    sent = coordinator.post(send, {"channel": "sms", "language": "en"})
    assert sent.status_code == 302 and Message.objects.get().to == patient.phone
    handed = coordinator.post(send, {"channel": "hand", "language": "en"})
    body = handed.content.decode()
    assert handed.status_code == 200 and "<svg" in body and "/p/" in body
    assert Link.objects.count() == 2
    link = Link.objects.first()
    coordinator.post(reverse("portal:revoke", args=[link.pk]), {"reason": "wrong phone"})
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoke_reason == "wrong phone"
    refused = coordinator.post(send, {"channel": "email", "language": "en"})  # no e-mail on file
    assert refused.status_code == 302 and Message.objects.count() == 1
