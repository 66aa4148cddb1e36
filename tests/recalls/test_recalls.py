"""Recall and look-back: from a unit, a lot, a donation, a reagent or kit lot, a freezer
excursion or an adverse event, find every unit reached and every administration made, hold what
is left, list whom to inform, and record each step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.adverse_events import actions as ae
from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import DomainError, NotFound, ValidationFailed
from autologic.lab.actions import release as qa
from autologic.lab.actions import storage
from autologic.lab.actions.holds import lift_hold
from autologic.lab.actions.reagents import Used, record_reagent_use
from autologic.lab.models import Hold, Unit
from autologic.outbox.models import Message
from autologic.recalls import actions
from autologic.recalls.domain import Origin
from autologic.recalls.queries import Source, resolve
from tests.adverse_events.conftest import report

from .conftest import LATER, proof, reserved_unit, sessions

pytestmark = pytest.mark.django_db


def findings(recall) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in recall.units.values_list("finding", flat=True):
        counts[finding] = counts.get(finding, 0) + 1
    return counts


def test_recall_from_a_lot_finds_every_unit_and_administration_holds_the_rest_and_informs(
    given_first, tech, fixed_clock, mailed
):
    lot = given_first()
    recall = actions.open_recall(
        resolve(lot.site, "lot", pk=lot.pk), reason="Supplier recall", by=tech, now=LATER
    )
    assert findings(recall) == {"given": 1, "to_hold": 5, "closed": 1}  # closed: the specimen
    assert recall.units.get(finding="given").administration is not None
    children = Unit.objects.filter(collection=lot, parent__isnull=False)
    assert (
        sorted(children.values_list("status", flat=True)) == ["administered"] + ["quarantined"] * 5
    )
    (hold,) = recall.holds.all()
    assert hold.scope == "lot" and hold.source == "recall"
    assert recall.notices.count() == 3  # the patient, the physician, the manager
    assert Message.objects.filter(ref=f"recall:{recall.pk}").count() == 3
    assert audit.verify().ok


def test_recall_from_a_unit_holds_it_and_what_was_divided_from_it(
    released, tech, fixed_clock, mailed
):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    recall = actions.open_recall(
        resolve(lot.site, "unit", pk=unit.pk), reason="Cap loose", by=tech, now=LATER
    )
    assert findings(recall) == {"to_hold": 1}
    assert recall.holds.get().unit == unit
    specimen = Unit.objects.get(collection=lot, parent__isnull=True)
    whole = actions.open_recall(
        resolve(lot.site, "unit", pk=specimen.pk), reason="Specimen mix-up", by=tech, now=LATER
    )
    assert findings(whole) == {"closed": 1, "held": 1, "to_hold": 5}
    assert {u.status for u in Unit.objects.filter(parent=specimen)} == {"quarantined"}


def test_recall_from_a_donation_identifier_as_scanned(released, tech, fixed_clock, mailed):
    lot = released()
    specimen = Unit.objects.get(collection=lot, parent__isnull=True)
    source = resolve(lot.site, "donation", identifier=specimen.identifier + specimen.flags)
    assert source.origin is Origin.DONATION and source.collection == lot
    recall = actions.open_recall(source, reason="Donor lookback", by=tech, now=LATER)
    assert findings(recall)["to_hold"] == 6
    with pytest.raises(ValidationFailed) as refused:
        resolve(lot.site, "donation", identifier="not an identifier")
    assert refused.value.field == "identifier"


def test_recall_from_a_reagent_lot_reaches_every_lot_that_used_it(
    released, other_patient, tech, fixed_clock, mailed
):
    kit = Used("kit", "Glass-bead syringe kit", "GB-7")
    mine = released()
    fixed_clock.current = mine.collected_at  # the next course starts when the first did
    theirs = released(who=other_patient)
    untouched = released(who=other_patient)
    for lot in (mine, theirs):
        record_reagent_use(lot, kit, by=tech, now=LATER)
    source = resolve(mine.site, "reagent_lot", pk=mine.reagent_uses.get().reagent_lot_id)
    recall = actions.open_recall(source, reason="Kit lot recalled", by=tech, now=LATER)
    assert sorted(h.collection_id for h in recall.holds.all()) == sorted([mine.pk, theirs.pk])
    assert {u.status for u in Unit.objects.filter(collection=untouched, parent__isnull=False)} == {
        "reserved"
    }
    patients = set(recall.notices.filter(patient__isnull=False).values_list("patient", flat=True))
    assert patients == {mine.patient_id, other_patient.pk}


def test_recall_from_a_freezer_excursion_holds_what_was_stored_during_it(
    released, tech, manager, freezer, fixed_clock, mailed
):
    lot = released()  # stored in the freezer, reserved for the sessions
    t = fixed_clock.now() + timedelta(hours=1)
    (excursion,) = storage.record_readings(
        freezer,
        [(t, -20.0), (t + timedelta(hours=1), -10.0)],
        source="manual",
        by=tech,
        now=t + timedelta(hours=2),
    )
    recall = actions.open_recall(
        resolve(lot.site, "excursion", pk=excursion.pk),
        reason="Door left open",
        by=tech,
        now=t + timedelta(hours=3),
    )
    assert findings(recall) == {"held": 6}  # quarantined by the excursion already
    hold = recall.holds.get()
    assert hold.scope == "units" and hold.held_units.count() == 6
    # The excursion's own review cannot return them while the recall's hold stands.
    unit = Unit.objects.filter(collection=lot, parent__isnull=False).first()
    with pytest.raises(DomainError, match="QA hold"):
        qa.requalify(unit, justification="Core stayed frozen.", proof=proof(manager), now=t)


def test_recall_from_an_adverse_event_holds_the_rest_of_its_lot(
    inject, patient, nurse, tech, fixed_clock, mailed
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
    source = resolve(patient.site, "adverse_event", pk=event.pk)
    assert source.collection == administration.unit.collection
    recall = actions.open_recall(
        source, reason="Effusion after injection", by=nurse, now=fixed_clock.now()
    )
    assert recall.adverse_event == event
    assert findings(recall) == {"given": 1, "to_hold": 5, "closed": 1}
    assert Hold.objects.get(collection=source.collection).active


def test_look_back_records_each_step_and_closes_only_when_nothing_is_held(
    released, tech, manager, fixed_clock, mailed
):
    lot = released()
    recall = actions.open_recall(
        resolve(lot.site, "lot", pk=lot.pk), reason="Supplier recall", by=tech, now=LATER
    )
    actions.add_note(recall, note="Patient called; review booked.", by=tech, now=LATER)
    with pytest.raises(ValidationFailed, match="still on QA hold"):
        actions.close_recall(recall, note="Done.", by=manager, now=LATER)
    lift_hold(
        recall.holds.get(),
        decision="released",
        justification="Supplier withdrew the recall.",
        proof=proof(manager),
        now=LATER,
    )
    actions.close_recall(recall, note="Supplier withdrew the recall.", by=manager, now=LATER)
    recall.refresh_from_db()
    assert not recall.is_open
    steps = list(recall.steps.order_by("at", "pk"))
    assert [s.kind for s in steps] == ["opened", "held", "notified", "note", "closed"]
    for step in steps:
        event = AuditEvent.objects.get(seq=step.audit_seq)
        assert event.action == f"recall.{step.kind}" and event.object_id == str(recall.pk)
    assert audit.verify().ok


def test_recall_of_a_unit_already_given_is_a_look_back_without_a_hold(
    given_first, tech, fixed_clock, mailed
):
    lot = given_first()
    unit = Unit.objects.get(collection=lot, status="administered")
    recall = actions.open_recall(
        resolve(lot.site, "unit", pk=unit.pk), reason="Complaint", by=tech, now=LATER
    )
    assert findings(recall) == {"given": 1} and not recall.holds.exists()
    follow = recall.notices.get(user__role="physician")
    assert follow.reasons == ["physician", "follow_up"]


def test_recall_needs_a_reason_and_an_origin_of_this_clinic(
    released, tech, jalali_site, fixed_clock
):
    lot = released()
    with pytest.raises(ValidationFailed) as refused:
        actions.open_recall(
            Source(Origin.LOT, lot.site, collection=lot), reason=" ", by=tech, now=LATER
        )
    assert refused.value.field == "reason"
    with pytest.raises(NotFound):
        resolve(jalali_site, "lot", pk=lot.pk)
    with pytest.raises(ValidationFailed) as refused:
        resolve(lot.site, "planet", pk=lot.pk)
    assert refused.value.field == "origin"
    assert not Hold.objects.exists()
