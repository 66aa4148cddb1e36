"""Random sequences of bedside and lab operations over several patients.

Whatever happens (issue, thaw, scans of any unit at any patient's session, discards, re-planning,
time passing), no unit is ever given to anyone but its source patient, every unit state change
has its custody event and its audit event, and the audit chain verifies afterwards.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import DomainError
from autologic.injections import actions
from autologic.injections.models import Administration
from autologic.lab.actions import release as qa
from autologic.lab.domain.holds import Disposing
from autologic.lab.models import Unit, UnitEvent
from tests.conftest import band

from .conftest import given, proof, sessions

pytestmark = pytest.mark.django_db


def test_no_unit_ever_reaches_another_patient(
    released, make_staff, physician, nurse, patient, fixed_clock
):
    from autologic.patients import actions as patients
    from tests.conftest import patient_data

    others = [
        patients.create_patient(
            site=patient.site, data=patient_data(family_name=name), by=physician
        )
        for name in ("Okafor", "Tanaka")
    ]
    lots = [released(), *(released(who=p) for p in others)]
    people = [p for p in (patient, *others)]
    tech = make_staff("lab_technician", username="tech-two")
    start = fixed_clock.now()
    seen = {"given": 0, "stopped": 0}

    class Bedside(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.savepoint()
            fixed_clock.current = start
            self.sessions = [sessions(lot) for lot in lots]
            self.units = [
                list(Unit.objects.filter(collection=lot, parent__isnull=False).order_by("pk"))
                for lot in lots
            ]
            self.cross_attempts = 0

        def teardown(self) -> None:
            try:
                assert audit.verify().ok
            finally:
                transaction.savepoint_rollback(self.savepoint)

        def _unit(self, who: int, which: int) -> Unit:
            """The unit reserved for that session if any, else one of the patient's units."""
            held = Unit.objects.filter(
                reservations__appointment=self._session(who, which),
                reservations__ended_at__isnull=True,
            ).first()
            return held or Unit.objects.get(pk=self.units[who][which % len(self.units[who])].pk)

        def _session(self, who: int, which: int):
            return self.sessions[who][which % len(self.sessions[who])]

        @rule(who=st.integers(0, 2), which=st.integers(0, 1), thaw=st.booleans())
        def issue(self, who, which, thaw):
            session = self._session(who, which)
            unit = self._unit(who, which)
            try:
                actions.issue(session, unit.pk, by=nurse, now=fixed_clock.now())
                if thaw:
                    actions.thaw(session, unit.pk, by=nurse, now=fixed_clock.now())
            except DomainError:
                pass

        @rule(
            at=st.integers(0, 2),
            which=st.integers(0, 1),
            whose=st.one_of(st.none(), st.integers(0, 2)),
            unit=st.integers(0, 5),
            wearer=st.one_of(st.none(), st.integers(0, 2)),
            side=st.sampled_from(["left", "right"]),
        )
        def administer(self, at, which, whose, unit, wearer, side):
            # None: the session's own patient and unit; a number: possibly someone else's.
            session = self._session(at, which)
            whose = at if whose is None else whose
            wearer = at if wearer is None else wearer
            product = self._unit(whose, which if whose == at else unit)
            cross = whose != at or wearer != at
            self.cross_attempts += cross
            try:
                record = actions.administer(
                    session,
                    given(
                        product,
                        band(people[wearer]),
                        side=side,
                        reason="" if side == "left" else "Agreed with the patient.",
                    ),
                    operator=proof(physician),
                    verifier=proof(nurse),
                    now=fixed_clock.now(),
                )
            except actions.BedsideStop:
                seen["stopped"] += 1
                return
            except DomainError as refused:
                seen[refused.code] = seen.get(refused.code, 0) + 1
                return
            seen["given"] += 1
            assert not cross, "a unit was given across patients"
            assert record.patient_id == product.patient_id == people[at].pk

        @rule(who=st.integers(0, 2), which=st.integers(0, 1))
        def the_usual_session(self, who, which):
            """Issue, thaw and give the session's own unit: what happens most days."""
            self.issue(who, which, True)
            self.administer(who, which, None, 0, None, "left")

        @rule(minutes=st.integers(1, 45))
        def time_passes(self, minutes):
            fixed_clock.current = fixed_clock.now() + timedelta(minutes=minutes)

        @rule(who=st.integers(0, 2), which=st.integers(0, 1))
        def discard(self, who, which):
            with contextlib.suppress(DomainError):
                qa.discard(
                    self._unit(who, which),
                    disposing=Disposing("damaged", "incineration", "dropped"),
                    witness=proof(nurse),
                    by=tech,
                    now=fixed_clock.now(),
                )

        @rule(who=st.integers(0, 2))
        def reserve_again(self, who):
            actions.reserve_for_course(lots[who].course, by=nurse, now=fixed_clock.now())

        @invariant()
        def given_only_to_the_source_patient(self):
            rows = Administration.objects.values_list(
                "patient_id", "unit__patient_id", "appointment__course__patient_id"
            )
            assert all(a == b == c for a, b, c in rows)
            administered = Unit.objects.filter(status="administered").count()
            assert administered == Administration.objects.count()

        @invariant()
        def every_state_change_is_on_the_record(self):
            events = {
                (e.audit_seq, e.unit.identifier, e.move)
                for e in UnitEvent.objects.select_related("unit")
            }
            audited = {
                (a.seq, a.object_id, a.action.removeprefix("unit."))
                for a in AuditEvent.objects.filter(
                    seq__in=[seq for seq, _, _ in events], object_type="unit"
                )
            }
            assert events == audited

    run_state_machine_as_test(
        Bedside,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            # The same 30 sequences every run: a random draw once gave no injection at all
            # (CI, 2026-12-07: 117 stopped, 0 given), and the check below needs both.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The run exercised both sides: real injections and refused cross-patient attempts.
    print(f"\nbedside machine: {seen}")
    assert seen["given"] > 0 and seen["stopped"] > 0, seen
