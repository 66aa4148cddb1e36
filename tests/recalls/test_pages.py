"""The recall and QA-hold pages: preview then open a recall, the look-back page with each
notice's delivery, a hold placed and lifted with a signature, a witnessed disposal on the unit
page, the adverse event's offer to hold the rest of the lot, and their query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.adverse_events import actions as ae
from autologic.audit.models import AuditEvent
from autologic.lab.actions.reagents import Used, record_reagent_use
from autologic.lab.models import Disposal, Hold, ReagentLot, ReagentUse, Unit
from autologic.recalls import actions
from autologic.recalls.models import Recall
from autologic.recalls.queries import resolve
from tests.adverse_events.conftest import report
from tests.conftest import PASSWORD, signed_in, totp_now

from .conftest import LATER, reserved_unit, sessions

pytestmark = pytest.mark.django_db


def test_recall_page_previews_then_opens_and_lists_whom_to_inform_with_delivery(
    given_first, tech, fixed_clock, mailed
):
    lot = given_first()
    client = signed_in(tech)
    url = f"/recalls/open/?origin=lot&id={lot.pk}"
    preview = client.get(url)
    assert preview.status_code == 200
    assert len(preview.context["groups"]["to_hold"]) == 5
    assert len(preview.context["groups"]["given"]) == 1
    assert not Hold.objects.exists()  # a preview holds nothing
    html = preview.content.decode()
    assert "physician@clinic.test" in html and lot.patient.mrn in html
    assert lot.patient.phone not in html  # the lab reads no patient's contact details
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    opened = client.post(url, {"reason": "Supplier recall of the kit"})
    recall = Recall.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/recalls/{recall.pk}/"
    page = client.get(opened["Location"])
    assert page.status_code == 200
    notices = page.context["page"].notices
    assert {row.delivery for row in notices} == {"waiting"}
    assert 'data-testid="given"' in page.content.decode()
    read = AuditEvent.objects.filter(action="recalls.read").last()
    assert read.changes["patients"] == [lot.patient_id]


def test_recall_page_refuses_bad_input_with_a_message_not_a_500(released, tech, fixed_clock):
    released()
    client = signed_in(tech)
    for url in (
        "/recalls/open/?origin=planet&id=1",
        "/recalls/open/?origin=lot&id=abc",
        "/recalls/open/?origin=unit&identifier=%E2%80%AE123",
        "/recalls/open/?origin=lot&id=999999",
        "/recalls/holds/new/?scope=planet&id=1",
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert list(response.context["messages"]), url
    assert client.get("/recalls/holds/new/?scope=lot&id=999999").status_code == 404


def test_qa_hold_placed_and_lifted_through_the_pages_with_a_signature(
    released, tech, manager, nurse, fixed_clock
):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    client = signed_in(tech)
    form = client.get(f"/recalls/holds/new/?scope=unit&id={unit.pk}")
    assert form.status_code == 200
    done = client.post(f"/recalls/holds/new/?scope=unit&id={unit.pk}", {"reason": "Cap loose"})
    assert done.status_code == 302 and done["Location"] == f"/lab/units/{unit.pk}/"
    hold = Hold.objects.get()
    unit_page = client.get(done["Location"]).content.decode()
    assert 'data-testid="unit-holds"' in unit_page and "Cap loose" in unit_page
    again = client.post(f"/recalls/holds/new/?scope=unit&id={unit.pk}", {"reason": "Twice"})
    assert again.status_code == 409
    assert signed_in(nurse).post(f"/recalls/holds/{hold.pk}/lift/", {}).status_code == 403

    qa = signed_in(manager)
    url = f"/recalls/holds/{hold.pk}/lift/"
    missing = qa.post(url, {"decision": "discarded", "justification": "Leaking"})
    assert missing.status_code == 400
    assert {"method", "witness_username", "password"} <= set(missing.context["form"].errors)
    wrong = qa.post(url, {"decision": "released", "justification": "Intact.", "password": "wrong"})
    assert wrong.status_code == 400 and "password" in wrong.context["form"].errors
    lifted = qa.post(
        url,
        {
            "decision": "released",
            "justification": "Cap re-checked: intact.",
            "password": PASSWORD,
            "otp_token": totp_now(manager),
        },
    )
    assert lifted.status_code == 302
    hold.refresh_from_db()
    unit.refresh_from_db()
    assert hold.decision == "released" and unit.status == "reserved"


def test_disposal_on_the_unit_page_needs_a_witness_who_signs(released, tech, manager, fixed_clock):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    client = signed_in(tech)
    form = {
        "reason_code": "damaged",
        "reason": "Dropped on the floor",
        "method": "incineration",
        "witness_username": manager.username,
        "witness_password": "wrong",
    }
    client.post(f"/lab/units/{unit.pk}/discard/", form)
    unit.refresh_from_db()
    assert unit.status == "reserved" and not Disposal.objects.exists()
    form.update(witness_password=PASSWORD, witness_otp_token=totp_now(manager))
    client.post(f"/lab/units/{unit.pk}/discard/", form)
    unit.refresh_from_db()
    assert unit.status == "discarded"
    record = Disposal.objects.get(unit=unit)
    assert (record.by, record.witness, record.method) == (tech, manager, "incineration")
    page = client.get(f"/lab/units/{unit.pk}/").content.decode()
    assert 'data-testid="unit-disposal"' in page


def test_adverse_event_page_offers_to_hold_the_rest_of_the_lot(
    inject, patient, nurse, physician, fixed_clock
):
    administration = inject()
    fixed_clock.current = administration.given_at + timedelta(hours=3)
    event = ae.record_adverse_event(
        patient,
        report(
            "joint_effusion",
            onset=administration.given_at + timedelta(hours=2),
            administration_id=administration.pk,
        ),
        by=nurse,
        now=fixed_clock.now(),
    )
    client = signed_in(physician)
    page = client.get(f"/adverse-events/{event.pk}/")
    offer = f"/recalls/open/?origin=adverse_event&amp;id={event.pk}"
    assert page.context["lot_offer"].left == 5 and offer in page.content.decode()
    opened = client.post(offer.replace("&amp;", "&"), {"reason": "Effusion; hold the lot"})
    assert opened.status_code == 302
    assert (
        Unit.objects.filter(collection=administration.unit.collection, status="quarantined").count()
        == 5
    )
    again = client.get(f"/adverse-events/{event.pk}/")
    assert again.context["lot_offer"].held


def test_recall_source_reagent_lot_through_the_lot_page(make_lot, tech, fixed_clock):
    lot = make_lot()
    client = signed_in(tech)
    bad = client.post(
        f"/lab/lots/{lot.pk}/reagents/", {"reagent-kind": "kit", "reagent-name": "Kit"}
    )
    assert bad.status_code == 400 and "lot_number" in bad.context["reagent_form"].errors
    ok = client.post(
        f"/lab/lots/{lot.pk}/reagents/",
        {
            "reagent-kind": "kit",
            "reagent-name": "Glass-bead syringe kit",
            "reagent-lot_number": "gb-9",
            "reagent-expires_on": "2027-06-30",
        },
    )
    assert ok.status_code == 302
    use = ReagentUse.objects.get()
    assert use.reagent_lot.lot_number == "GB-9"
    listing = client.get("/recalls/")
    assert use.reagent_lot in listing.context["overview"].reagent_lots


def test_recall_pages_run_a_fixed_number_of_queries(
    released, other_patient, tech, fixed_clock, mailed, django_assert_max_num_queries
):
    mine = released()
    fixed_clock.current = mine.collected_at
    theirs = released(who=other_patient)
    record_reagent_use(mine, Used("kit", "Kit", "ONE"), by=tech, now=LATER)
    for lot in (mine, theirs):
        record_reagent_use(lot, Used("kit", "Kit", "TWO"), by=tech, now=LATER)
    client = signed_in(tech)

    def pages(lot_number: str) -> int:
        reagent = ReagentLot.objects.get(lot_number=lot_number)
        source = resolve(mine.site, "reagent_lot", pk=reagent.pk)
        recall = actions.open_recall(source, reason="Kit recall", by=tech, now=LATER)
        with django_assert_max_num_queries(QUERIES) as counted:
            assert (
                client.get(f"/recalls/open/?origin=reagent_lot&id={reagent.pk}").status_code == 200
            )
            assert client.get(f"/recalls/{recall.pk}/").status_code == 200
            assert client.get("/recalls/").status_code == 200
        return len(counted.captured_queries)

    one_lot = pages("ONE")  # 6 units, 1 patient
    two_lots = pages("TWO")  # 12 units, 2 patients, 2 holds
    assert two_lots <= one_lot


QUERIES = 70
