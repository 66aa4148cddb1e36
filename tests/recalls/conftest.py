"""Recall fixtures: released lots reserved for their courses, an injection given, staff with
e-mail addresses, and the post-release failure as H6's recording sends it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autologic.audit.journal import audited_transaction
from autologic.common.locks import for_update
from autologic.lab.models import Collection, QCResult
from autologic.lab.signals import results_failed_after_release
from tests.adverse_events.conftest import inject, with_email  # noqa: F401
from tests.injections.conftest import (  # noqa: F401
    LATER,
    NOW,
    fixed_clock,
    freezer,
    given,
    knee,
    make_lot,
    manager,
    nurse,
    other_patient,
    pass_qc,
    proof,
    ready,
    released,
    reserved_unit,
    resources,
    sessions,
    start_course,
    tech,
)


@pytest.fixture
def mailed(physician, manager, nurse, tech):
    """The physician and the manager have e-mail addresses (staff are created without)."""
    with_email(physician, "physician@clinic.test")
    with_email(manager, "manager@clinic.test")
    return physician, manager


def fail_after_release(lot: Collection, *, by, now, attribute: str = "sterility") -> QCResult:
    """Record a failing result on a released lot the way the release gate's owner does: in one
    audited transaction that locks the lot, writes the result and sends the signal."""
    with audited_transaction():
        row = for_update(Collection.objects).get(pk=lot.pk)
        spec = next(
            r for r in row.protocol.protocol.release.specification if r.attribute == attribute
        )
        result = QCResult.objects.create(
            collection=row,
            attribute=attribute,
            value="growth",
            verdict="fail",
            criterion="not detected",
            method=spec.method,
            by=by,
            at=now,
        )
        results_failed_after_release.send(
            sender=QCResult, collection=row, result=result, by=by, now=now
        )
    return result


@pytest.fixture
def given_first(released, physician, nurse, fixed_clock) -> Callable[..., Collection]:
    """A released lot whose first session's unit was given; the rest are reserved."""
    from autologic.injections import actions as bedside
    from tests.conftest import band

    def make(**kwargs) -> Collection:
        lot = released(**kwargs)
        first = sessions(lot)[0]
        unit = ready(first, nurse, fixed_clock)
        bedside.administer(
            first,
            given(unit, band(lot.patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
        return lot

    return make
