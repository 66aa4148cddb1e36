"""Two people acting on one unit at the same moment, on real concurrent connections:
exactly one succeeds, on SQLite (IMMEDIATE transactions) and PostgreSQL (row locks)."""

from __future__ import annotations

import pytest

from autologic.audit import queries as audit
from autologic.common.domain.errors import DomainError
from autologic.injections import actions
from autologic.injections.models import Administration
from autologic.lab.models import StorageEvent, UnitEvent
from tests.audit.test_concurrency import run_in_threads
from tests.conftest import band

from .conftest import given, proof, ready, reserved_unit, sessions

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_issuing_one_unit_only_one_takes_it(released, nurse, physician, fixed_clock):
    lot = released()
    session = sessions(lot)[0]
    unit = reserved_unit(session)
    people = [nurse, physician]

    def work(index: int) -> None:
        actions.issue(session, unit.pk, by=people[index], now=fixed_clock.now())

    errors = run_in_threads(2, work)
    assert len(errors) == 1 and isinstance(errors[0], DomainError), errors
    assert UnitEvent.objects.filter(unit=unit, move="issue").count() == 1
    assert StorageEvent.objects.filter(unit=unit, direction="out").count() == 1
    assert audit.verify().ok


def test_two_teams_administering_one_unit_only_one_records_it(
    released, make_staff, nurse, physician, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    teams = [
        (physician, nurse),
        (make_staff("physician", username="dr-two"), make_staff("nurse", username="rn-two")),
    ]

    def work(index: int) -> None:
        operator, verifier = teams[index]
        actions.administer(
            session,
            given(unit, band(patient)),
            operator=proof(operator),
            verifier=proof(verifier),
            now=fixed_clock.now(),
        )

    errors = run_in_threads(2, work)
    assert len(errors) == 1 and isinstance(errors[0], DomainError), errors
    assert Administration.objects.filter(unit=unit).count() == 1
    assert UnitEvent.objects.filter(unit=unit, move="administer").count() == 1
    assert audit.verify().ok
