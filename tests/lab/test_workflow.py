"""The lab workflow through its actions: collection to release, storage, excursions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent, Signature
from autologic.common.domain.errors import ConflictError, DomainError, ValidationFailed
from autologic.common.domain.identifiers import parse
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels, storage
from autologic.lab.actions import release as qa
from autologic.lab.domain.holds import Disposing
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Box, Deviation, Label, Run, Unit, UnitEvent

from .conftest import NOW, pass_qc, proof

LATER = NOW + timedelta(days=2)


def lot_units(collection):
    return list(Unit.objects.filter(collection=collection, parent__isnull=False).order_by("index"))


def test_an_acs_lot_from_collection_to_release(make_lot, tech, manager, freezer):
    lot = make_lot()
    root = Unit.objects.get(collection=lot, parent__isnull=True)
    units = lot_units(lot)
    assert root.status == "divided"
    assert len(units) == 6  # 6 injections x 1 knee
    for unit in units:
        assert unit.status == "quarantined"
        assert unit.parent_id == root.pk
        assert unit.patient_id == lot.patient_id
        assert unit.frozen
        assert unit.expires_at - unit.made_at == timedelta(days=365)
        assert parse(unit.identifier + unit.flags).data == unit.identifier
    assert lot.chain.identifier.startswith("CH0")
    assert Run.objects.get(collection=lot).finished_at is not None

    with pytest.raises(ValidationFailed, match="Appearance: no result"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    pass_qc(lot, tech)
    # Frozen units are released only once they are stored.
    with pytest.raises(ValidationFailed, match="6 frozen unit\\(s\\) are not stored"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    stored = storage.check_in(lot_units(lot), Box.objects.get(code="B1"), by=tech, now=NOW)
    assert [(u.row, u.col) for u in stored] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    release = qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    assert release.units == 6
    # Released units go straight to the course's sessions (the bedside reserves them).
    assert {u.status for u in lot_units(lot)} == {"reserved"}
    assert Signature.objects.filter(object_type="collection", object_id=str(lot.pk)).count() == 1


def test_every_unit_state_change_has_a_custody_and_an_audit_event(make_lot, tech, manager):
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    for unit in Unit.objects.filter(collection=lot):
        events = list(UnitEvent.objects.filter(unit=unit))
        assert events[0].move == "create"
        for event in events:
            row = AuditEvent.objects.get(seq=event.audit_seq)
            assert row.object_id == unit.identifier
        assert events[-1].to_status == unit.status
    assert audit.verify().ok


def test_a_deviation_blocks_release_until_qa_signs_it(make_lot, tech, manager):
    steps = [
        ("incubation", {"hours": 5, "temperature_c": 37.0}),
        ("centrifugation", {"hours": 0.3, "g_force": 2000, "spin_min": 10}),
        ("aliquoting", {"hours": 0.5}),
    ]
    lot = make_lot(steps=steps, store=True)
    pass_qc(lot, tech)
    (deviation,) = Deviation.objects.filter(run__collection=lot)
    assert "lasted 5.00 h" in deviation.message
    with pytest.raises(ValidationFailed, match="wait for a QA disposition"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    qa.disposition_deviation(
        deviation,
        decision="accepted",
        justification="IL-1Ra within range.",
        proof=proof(manager),
        now=LATER,
    )
    qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)


def test_steps_follow_the_protocol_order_and_name_missing_fields(
    start_course, tech, physician, fixed_clock
):
    from autologic.care import actions as care

    course = start_course()
    care.schedule_course(course=course, by=physician, expected_version=course.version)
    lot = lab.record_collection(
        course=course,
        collected_at=NOW,
        collected_by=physician,
        volume_ml=Decimal("60"),
        containers=6,
        container_type="syringe",
        notes="",
        by=tech,
        now=NOW,
    )
    run = lab.start_run(lot, by=tech, now=NOW)
    later = NOW + timedelta(hours=1)
    with pytest.raises(ValidationFailed) as refused:
        lab.record_step(
            run,
            key="centrifugation",
            values=StepValues(NOW, later, g_force=2000, spin_min=10),
            by=tech,
            now=later,
        )
    assert refused.value.code == "step_order"
    with pytest.raises(ValidationFailed) as refused:
        lab.record_step(run, key="incubation", values=StepValues(NOW, later), by=tech, now=later)
    assert refused.value.field == "temperature_c"
    with pytest.raises(ValidationFailed) as refused:
        lab.divide(run, count=6, volume_ml=Decimal(2), cells_million=None, by=tech, now=later)
    assert refused.value.code == "step_order"
    with pytest.raises(ValidationFailed) as refused:
        lab.record_collection(
            course=course,
            collected_at=NOW + timedelta(hours=2),
            collected_by=physician,
            volume_ml=Decimal("60"),
            containers=6,
            container_type="s",
            notes="",
            by=tech,
            now=NOW,
        )
    assert refused.value.field == "collected_at"


def test_labels_must_reconcile_before_release(make_lot, tech, manager):
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    unit = lot_units(lot)[0]
    label = unit.labels.get()
    labels.set_label_state(label, state="voided", by=tech, now=NOW)
    with pytest.raises(ValidationFailed, match="1 unit\\(s\\) without an applied label"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    with pytest.raises(ConflictError, match="reprint must be asked"):
        labels.print_labels([unit], by=tech, now=NOW)
    labels.print_labels([unit], by=tech, now=NOW, reprint=True)
    with pytest.raises(ValidationFailed, match="printed label"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    new = Label.objects.get(unit=unit, state="printed")
    assert new.reprint
    labels.set_label_state(new, state="applied", by=tech, now=NOW)
    qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)


def test_labels_are_dropped_as_zpl_after_commit(
    make_lot, settings, tmp_path, tech, django_capture_on_commit_callbacks
):
    settings.LABEL_PRINT_DIR = tmp_path
    lot = make_lot()
    unit = lot_units(lot)[0]
    with django_capture_on_commit_callbacks(execute=True):
        job = labels.print_labels([unit], by=tech, now=NOW, reprint=True)
    text = (tmp_path / f"{job}.zpl").read_text()
    assert f"^FD{unit.identifier}{unit.flags}^FS" in text
    assert "FOR AUTOLOGOUS USE ONLY" in text


def test_msc_release_needs_two_different_signers(make_lot, tech, manager, physician):
    lot = make_lot("bm-msc-knee")
    (unit,) = lot_units(lot)
    assert unit.kind == "vial" and not unit.frozen
    assert unit.expires_at - unit.made_at == timedelta(days=2)
    pass_qc(lot, tech)
    with pytest.raises(ValidationFailed, match="2 signature"):
        qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    with pytest.raises(ValidationFailed, match="different people"):
        qa.release_lot(
            lot, decision="released", proofs=[proof(manager), proof(manager)], notes="", now=LATER
        )
    qa.release_lot(
        lot, decision="released", proofs=[proof(manager), proof(physician)], notes="", now=LATER
    )
    unit.refresh_from_db()
    assert unit.status == "reserved"  # for the course's one injection


def test_failed_qc_blocks_release_and_rejection_discards(make_lot, tech, manager, physician):
    lot = make_lot("bm-msc-knee")
    pass_qc(lot, tech)
    qa.record_result(
        lot, attribute="mycoplasma", value="detected", by=tech, now=LATER, reason="Confirmatory PCR"
    )
    with pytest.raises(ValidationFailed, match="Mycoplasma: failed"):
        qa.release_lot(
            lot, decision="released", proofs=[proof(manager), proof(physician)], notes="", now=LATER
        )
    qa.release_lot(
        lot,
        decision="rejected",
        proofs=[proof(manager), proof(physician)],
        notes="Mycoplasma PCR positive.",
        now=LATER,
    )
    (unit,) = lot_units(lot)
    assert unit.status == "discarded"
    assert "Mycoplasma" in unit.status_reason
    with pytest.raises(ConflictError):
        qa.record_result(lot, attribute="viability", value="90", by=tech, now=LATER)


def test_an_excursion_quarantines_what_was_stored_during_it(make_lot, tech, manager, freezer):
    lot = make_lot()
    pass_qc(lot, tech)
    box = Box.objects.get(code="B1")
    units = storage.check_in(lot_units(lot), box, by=tech, now=NOW)
    qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    storage.check_out(Unit.objects.get(pk=units[0].pk), by=tech, now=NOW + timedelta(hours=1))
    t = NOW + timedelta(hours=2)
    readings = [(t, -20.0), (t + timedelta(hours=1), -12.5), (t + timedelta(hours=2), -21.0)]
    (excursion,) = storage.record_readings(
        freezer, readings, source="logger", by=tech, now=t + timedelta(hours=3)
    )
    assert excursion.worst_c == Decimal("-12.5")
    statuses = {
        u.identifier: u.status for u in Unit.objects.filter(collection=lot, parent__isnull=False)
    }
    quarantined = {name for name, status in statuses.items() if status == "quarantined"}
    assert quarantined == {u.identifier for u in units[1:]}  # the one taken out earlier is spared
    assert sorted(excursion.units) == sorted(quarantined)
    # Importing the same file again changes nothing; a conflicting value is refused.
    assert (
        storage.record_readings(
            freezer, readings, source="logger", by=tech, now=t + timedelta(hours=3)
        )
        == []
    )
    with pytest.raises(ValidationFailed, match="already on file"):
        storage.record_readings(
            freezer, [(t, -25.0)], source="manual", by=tech, now=t + timedelta(hours=3)
        )
    back = qa.requalify(
        Unit.objects.get(identifier=units[1].identifier),
        justification="Core stayed frozen; 1 h at -12.5 °C.",
        proof=proof(manager),
        now=t + timedelta(hours=4),
    )
    assert back.status == "released"


def test_box_allocation_refuses_a_full_box_and_double_storage(make_lot, tech, manager, freezer):
    lot = make_lot()
    box = Box.objects.get(code="B1")
    small = Box.objects.create(rack=box.rack, code="tiny", rows=1, cols=2)
    with pytest.raises(ValidationFailed, match="2 free position"):
        storage.check_in(lot_units(lot), small, by=tech, now=NOW)
    assert not Unit.objects.filter(box=small).exists()  # all or nothing
    storage.check_in(lot_units(lot)[:1], box, by=tech, now=NOW)
    with pytest.raises(ConflictError, match="already in box"):
        storage.check_in(lot_units(lot)[:1], box, by=tech, now=NOW)


def test_custody_rows_cannot_be_changed_or_deleted(make_lot):
    from django.db import DatabaseError, transaction

    lot = make_lot()
    event = UnitEvent.objects.filter(unit__collection=lot).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        UnitEvent.objects.filter(pk=event.pk).update(to_status="administered")
    with pytest.raises(DatabaseError), transaction.atomic():
        UnitEvent.objects.filter(pk=event.pk).delete()


def test_discard_needs_a_reason_and_frees_the_position(make_lot, tech, manager, freezer):
    lot = make_lot()
    unit = lot_units(lot)[0]
    storage.check_in([unit], Box.objects.get(code="B1"), by=tech, now=NOW)
    with pytest.raises(DomainError) as refused:
        qa.discard(
            unit,
            disposing=Disposing("other", "incineration", ""),
            witness=proof(manager),
            by=tech,
            now=NOW,
        )
    assert refused.value.field == "reason"
    gone = qa.discard(
        unit,
        disposing=Disposing("damaged", "incineration", "Syringe cracked"),
        witness=proof(manager),
        by=tech,
        now=NOW,
    )
    assert gone.status == "discarded" and gone.box_id is None
