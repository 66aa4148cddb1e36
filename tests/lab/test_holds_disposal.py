"""Disposal records a coded reason, the method and a witness who signs."""

from __future__ import annotations

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent, Signature
from autologic.common.domain.errors import DomainError
from autologic.lab.actions import release as qa
from autologic.lab.actions import storage
from autologic.lab.domain.holds import Disposing
from autologic.lab.models import Box, Disposal, Unit, UnitEvent

from .conftest import NOW, proof

pytestmark = pytest.mark.django_db


def first_unit(lot) -> Unit:
    return Unit.objects.filter(collection=lot, parent__isnull=False).order_by("index").first()


def test_disposal_records_a_coded_reason_the_method_and_a_witness(make_lot, tech, manager, freezer):
    lot = make_lot()
    unit = first_unit(lot)
    storage.check_in([unit], Box.objects.get(code="B1"), by=tech, now=NOW)
    qa.discard(
        unit,
        disposing=Disposing("damaged", "autoclave", "Syringe cracked in the rack"),
        witness=proof(manager),
        by=tech,
        now=NOW,
    )
    unit.refresh_from_db()
    assert unit.status == "discarded" and unit.box_id is None
    assert unit.status_reason == "damaged: Syringe cracked in the rack"
    record = Disposal.objects.get(unit=unit)
    assert (record.reason_code, record.method, record.by, record.witness) == (
        "damaged",
        "autoclave",
        tech,
        manager,
    )
    assert AuditEvent.objects.get(seq=record.audit_seq).action == "unit.disposal"
    signed = Signature.objects.get(object_type="unit", object_id=unit.identifier)
    assert signed.signer == manager and signed.meaning == "verified"
    assert record.witness_signature["record_hash"] == signed.record_hash
    move = UnitEvent.objects.get(unit=unit, move="discard")
    assert move.detail["reason_code"] == "damaged" and move.detail["method"] == "autoclave"
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("disposing", "witness", "field"),
    [
        (Disposing("broken", "autoclave"), "manager", "reason_code"),
        (Disposing("damaged", "buried"), "manager", "method"),
        (Disposing("other", "autoclave", " "), "manager", "reason"),
        (Disposing("damaged", "autoclave"), "tech", "witness"),
    ],
)
def test_disposal_refuses_a_missing_reason_method_or_witness(
    make_lot, tech, manager, disposing, witness, field
):
    lot = make_lot()
    unit = first_unit(lot)
    who = {"tech": tech, "manager": manager}[witness]
    with pytest.raises(DomainError) as refused:
        qa.discard(unit, disposing=disposing, witness=proof(who), by=tech, now=NOW)
    assert refused.value.field == field
    unit.refresh_from_db()
    assert unit.status == "quarantined"
    assert not Disposal.objects.exists()


def test_disposal_witness_must_be_staff_of_the_clinic(make_lot, tech, make_staff, jalali_site):
    lot = make_lot()
    stranger = make_staff("manager", at=jalali_site, username="elsewhere")
    with pytest.raises(DomainError) as refused:
        qa.discard(
            first_unit(lot),
            disposing=Disposing("damaged", "autoclave"),
            witness=proof(stranger),
            by=tech,
            now=NOW,
        )
    assert refused.value.field == "witness"
