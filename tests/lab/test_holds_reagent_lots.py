"""Which reagent or kit lot (a glass-bead syringe kit, a medium) a collection or a step used, so
a recall can start from a faulty lot."""

from __future__ import annotations

from datetime import date

import pytest

from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.lab.actions.reagents import Used, record_reagent_use
from autologic.lab.models import ReagentLot, ReagentUse, StepRecord

from .conftest import NOW

pytestmark = pytest.mark.django_db

KIT = Used("kit", "Glass-bead syringe kit", "gb-2026-11", "Orthogen", date(2027, 6, 30))


def test_recall_source_reagent_lot_is_recorded_per_collection_and_step(make_lot, tech):
    first = make_lot()
    use = record_reagent_use(first, KIT, by=tech, now=NOW)
    assert use.reagent_lot.lot_number == "GB-2026-11"  # as printed, in capitals
    step = StepRecord.objects.get(run__collection=first, key="incubation")
    record_reagent_use(first, KIT, step=step, by=tech, now=NOW)
    assert ReagentLot.objects.count() == 1 and ReagentUse.objects.count() == 2
    assert AuditEvent.objects.filter(action="reagent.use").count() == 2
    with pytest.raises(ConflictError):
        record_reagent_use(first, KIT, by=tech, now=NOW)


def test_recall_source_reagent_lot_refuses_an_expired_lot_or_a_missing_number(make_lot, tech):
    lot = make_lot()
    expired = Used("kit", "Glass-bead syringe kit", "GB-2025-01", "", date(2025, 12, 31))
    with pytest.raises(ValidationFailed) as refused:
        record_reagent_use(lot, expired, by=tech, now=NOW)
    assert refused.value.field == "expires_on"
    with pytest.raises(ValidationFailed) as refused:
        record_reagent_use(lot, Used("kit", "Kit", " "), by=tech, now=NOW)
    assert refused.value.field == "lot_number"
    assert not ReagentUse.objects.exists()
