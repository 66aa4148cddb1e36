"""A result that fails after release (a 7-day sterility culture): every unit of the lot not yet
given goes on QA hold at once, the physician and the manager are alerted through the outbox,
and a look-back opens; the bedside refuses what was held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import DomainError
from autologic.injections import actions as bedside
from autologic.injections.models import Administration, Reservation
from autologic.lab.models import Unit
from autologic.outbox.models import Message
from tests.conftest import band

from .conftest import fail_after_release, given, proof, ready, sessions

pytestmark = pytest.mark.django_db


def test_post_release_failure_holds_every_unit_not_yet_given_at_once(
    given_first, tech, nurse, physician, fixed_clock, mailed
):
    lot = given_first()
    second = sessions(lot)[1]
    in_hand = ready(second, nurse, fixed_clock)  # issued and thawed at the bedside
    assert in_hand.status == "thawed"
    fail_after_release(lot, by=tech, now=fixed_clock.now())

    units = {u.pk: u for u in Unit.objects.filter(collection=lot, parent__isnull=False)}
    given_ids = set(Administration.objects.values_list("unit_id", flat=True))
    assert len(given_ids) == 1
    for unit in units.values():
        if unit.pk in given_ids:
            assert unit.status == "administered"
        else:
            assert unit.status == "quarantined", unit.identifier
            assert unit.status_reason.startswith("QA hold")
            assert unit.reserved_for_id is None
    assert not Reservation.objects.filter(
        unit__collection=lot, ended_at__isnull=True, unit__status="quarantined"
    ).exists()
    with pytest.raises(DomainError) as refused:
        bedside.administer(
            second,
            given(in_hand, band(lot.patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now() + timedelta(minutes=1),
        )
    assert "quarantined" in refused.value.message
    from autologic.lab.models import Hold  # the recording's hold (its own model)

    hold = Hold.objects.get(collection=lot)
    assert hold.scope == "lot" and hold.source == "post_release_qc" and hold.active
    assert audit.verify().ok


def test_post_release_failure_alerts_the_physician_and_the_manager_through_the_outbox(
    given_first, tech, physician, manager, fixed_clock, mailed
):
    lot = given_first()
    fail_after_release(lot, by=tech, now=fixed_clock.now())
    staff = Message.objects.filter(purpose="recall.staff")
    assert sorted(staff.values_list("to", flat=True)) == [
        "manager@clinic.test",
        "physician@clinic.test",
    ]
    doctor = staff.get(to="physician@clinic.test")
    assert lot.patient.mrn in doctor.body and "Follow these patients up" in doctor.body
    assert lot.patient.family_name not in doctor.body  # e-mail is not a secure channel
    patient = Message.objects.get(purpose="recall.patient")
    assert patient.channel == "sms" and patient.to == lot.patient.phone
    assert "sterility" not in patient.body


def test_post_release_failure_opens_a_look_back(given_first, tech, fixed_clock, mailed):
    from autologic.lab.models import Hold
    from autologic.recalls.models import Recall, RecallNotice

    lot = given_first()
    result = fail_after_release(lot, by=tech, now=fixed_clock.now())
    recall = Recall.objects.get()
    assert recall.trigger == "post_release_qc" and recall.result == result
    assert recall.collection == lot and recall.is_open
    findings = dict(recall.units.values_list("unit__identifier", "finding"))
    given_unit = Administration.objects.get().unit
    assert findings[given_unit.identifier] == "given"
    assert recall.units.get(finding="given").administration.unit == given_unit
    assert sum(1 for f in findings.values() if f == "to_hold") == 5
    assert list(recall.holds.all()) == [Hold.objects.get(collection=lot)]
    kinds = list(recall.steps.values_list("kind", flat=True))
    assert kinds == ["opened", "held", "notified"]
    for step in recall.steps.all():
        assert AuditEvent.objects.get(seq=step.audit_seq).action == f"recall.{step.kind}"
    reasons = {
        (n.user.username if n.user else "patient"): n.reasons
        for n in RecallNotice.objects.select_related("user")
    }
    assert reasons["patient"] == ["patient"]
    assert reasons["physician-ber"] == ["physician", "follow_up"]
    assert reasons["manager-ber"] == ["manager"]
