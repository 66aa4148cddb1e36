"""QA hold / quarantine: placed by hand with a reason on a unit, a lot or a whole chain of
identity; nothing it covers is released, reserved, issued or given until QA lifts it with a
signed disposition."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import Signature
from autologic.common.domain.errors import ConflictError, DomainError, ValidationFailed
from autologic.injections import actions as bedside
from autologic.injections import queries as coverage
from autologic.injections.models import Reservation
from autologic.lab.actions import release as qa
from autologic.lab.actions.holds import Target, lift_hold, place_hold
from autologic.lab.domain.holds import Disposing
from autologic.lab.models import Disposal, HeldUnit, Unit
from tests.injections import conftest as bedside_fixtures
from tests.injections.conftest import LATER, ready, reserved_unit, sessions

from .conftest import NOW, pass_qc, proof

pytestmark = pytest.mark.django_db

# The bedside's fixtures: lots released into freezer boxes and reserved for their sessions.
freezer, nurse, released = (
    bedside_fixtures.freezer,
    bedside_fixtures.nurse,
    bedside_fixtures.released,
)


def units_of(lot):
    return list(Unit.objects.filter(collection=lot, parent__isnull=False).order_by("pk"))


def test_qa_hold_on_a_unit_quarantines_it_with_the_reason_and_the_bedside_refuses_it(
    released, nurse, tech, fixed_clock
):
    lot = released()
    first = sessions(lot)[0]
    unit = reserved_unit(first)
    hold = place_hold(
        Target("unit", unit=unit), reason="Cap found loose", by=tech, now=fixed_clock.now()
    )
    unit.refresh_from_db()
    assert unit.status == "quarantined" and unit.reserved_for_id is None
    assert unit.status_reason == f"QA hold {hold.pk}: Cap found loose"
    assert list(HeldUnit.objects.filter(hold=hold).values_list("unit", "status_before")) == [
        (unit.pk, "reserved")
    ]
    ended = Reservation.objects.get(unit=unit)
    assert ended.ended_at is not None and ended.ended_why == "unusable"
    with pytest.raises(DomainError, match="not reserved"):
        bedside.issue(first, unit.pk, by=nurse, now=fixed_clock.now())
    assert audit.verify().ok


def test_qa_hold_makes_the_course_coverage_say_so(released, tech, fixed_clock):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    place_hold(Target("unit", unit=unit), reason="Label smudged", by=tech, now=fixed_clock.now())
    plan = coverage.plan_for(lot.course, fixed_clock.now())
    assert [(w.code, w.units) for w in plan.warnings] == [("hold", 1)]
    assert plan.uncovered and plan.uncovered[0].sequence == 1


def test_qa_hold_on_a_lot_blocks_its_release_until_lifted(make_lot, tech, manager, fixed_clock):
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    hold = place_hold(
        Target("lot", collection=lot), reason="Incubator alarm overnight", by=tech, now=NOW
    )
    with pytest.raises(DomainError, match="QA hold"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    assert {u.status for u in units_of(lot)} == {"quarantined"}
    lifted = lift_hold(
        hold,
        decision="released",
        justification="Alarm was a sensor fault; logger trace in range.",
        proof=proof(manager),
        now=LATER,
    )
    # The hold never took them out of use: they wait for the lot's release as before.
    assert lifted.returned == [] and set(lifted.kept.values()) == {"was_quarantined"}
    qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    assert {u.status for u in units_of(lot)} == {"reserved"}


def test_qa_hold_on_a_chain_holds_every_unit_of_the_chain(released, tech, fixed_clock):
    lot = released()
    hold = place_hold(
        Target("chain", chain=lot.chain),
        reason="Identity query on the course",
        by=tech,
        now=fixed_clock.now(),
    )
    assert {u.status for u in units_of(lot)} == {"quarantined"}
    assert HeldUnit.objects.filter(hold=hold).count() == 6
    assert not Reservation.objects.filter(unit__collection=lot, ended_at__isnull=True).exists()


def test_qa_hold_needs_a_reason_and_stands_once(released, tech, fixed_clock):
    lot = released()
    with pytest.raises(ValidationFailed) as refused:
        place_hold(Target("lot", collection=lot), reason="  ", by=tech, now=fixed_clock.now())
    assert refused.value.field == "reason"
    place_hold(Target("lot", collection=lot), reason="Recall", by=tech, now=fixed_clock.now())
    with pytest.raises(ConflictError, match="already on QA hold"):
        place_hold(Target("lot", collection=lot), reason="Again", by=tech, now=fixed_clock.now())


def test_qa_hold_is_not_lifted_by_an_excursion_review(released, tech, manager, fixed_clock):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    place_hold(Target("unit", unit=unit), reason="Cracked cap", by=tech, now=fixed_clock.now())
    with pytest.raises(DomainError, match="QA hold"):
        qa.requalify(
            unit,
            justification="Looks fine to me.",
            proof=proof(manager),
            now=fixed_clock.now(),
        )
    unit.refresh_from_db()
    assert unit.status == "quarantined"


def test_qa_hold_lifting_needs_a_signed_qa_disposition(released, tech, manager, nurse, fixed_clock):
    lot = released()
    planned = sessions(lot)
    thawed = ready(planned[0], nurse, fixed_clock)
    hold = place_hold(
        Target("lot", collection=lot), reason="Sterility query", by=tech, now=fixed_clock.now()
    )
    with pytest.raises(ValidationFailed) as refused:
        lift_hold(hold, decision="released", justification=" ", proof=proof(manager), now=LATER)
    assert refused.value.field == "justification"
    later = fixed_clock.now() + timedelta(hours=1)
    lifted = lift_hold(
        hold,
        decision="released",
        justification="Repeat culture: no growth.",
        proof=proof(manager),
        now=later,
    )
    assert lifted.kept == {thawed.identifier: "thawed"}  # a thawed product never goes back
    assert len(lifted.returned) == 5
    statuses = {u.identifier: u.status for u in units_of(lot)}
    assert statuses.pop(thawed.identifier) == "quarantined"
    assert set(statuses.values()) == {"reserved"}  # re-reserved for the sessions left
    hold.refresh_from_db()
    assert hold.decision == "released" and hold.lifted_by == manager
    signed = Signature.objects.get(object_type="hold", object_id=str(hold.pk))
    assert signed.meaning == "released" and hold.signature["record_hash"] == signed.record_hash
    with pytest.raises(ConflictError, match="already lifted"):
        lift_hold(
            hold, decision="released", justification="Twice.", proof=proof(manager), now=later
        )
    assert audit.verify().ok


def test_qa_hold_lift_keeps_a_unit_another_hold_covers(released, tech, manager, fixed_clock):
    lot = released()
    unit = reserved_unit(sessions(lot)[0])
    own = place_hold(Target("unit", unit=unit), reason="Dropped", by=tech, now=fixed_clock.now())
    place_hold(Target("lot", collection=lot), reason="Recall", by=tech, now=fixed_clock.now())
    lifted = lift_hold(
        own, decision="released", justification="Intact.", proof=proof(manager), now=LATER
    )
    assert lifted.returned == [] and lifted.kept == {unit.identifier: "held_elsewhere"}
    assert {u.status for u in units_of(lot)} == {"quarantined"}


def test_qa_hold_lifted_by_disposal_records_the_method_and_the_witness(
    released, tech, manager, nurse, fixed_clock
):
    lot = released()
    hold = place_hold(
        Target("lot", collection=lot), reason="Sterility failed", by=tech, now=fixed_clock.now()
    )
    with pytest.raises(ValidationFailed) as refused:
        lift_hold(
            hold, decision="discarded", justification="Growth.", proof=proof(manager), now=LATER
        )
    assert refused.value.field == "witness"
    lifted = lift_hold(
        hold,
        decision="discarded",
        justification="Growth confirmed.",
        proof=proof(manager),
        now=LATER,
        disposing=Disposing("qa_hold", "incineration", "Growth confirmed."),
        witness=proof(nurse),
    )
    assert len(lifted.disposed) == 6
    assert {u.status for u in units_of(lot)} == {"discarded"}
    assert not Unit.objects.filter(collection=lot, box__isnull=False).exists()
    rows = Disposal.objects.filter(unit__collection=lot)
    assert rows.count() == 6
    assert {(d.reason_code, d.method, d.by_id, d.witness_id) for d in rows} == {
        ("qa_hold", "incineration", manager.pk, nurse.pk)
    }
