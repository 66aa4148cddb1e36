"""Stricter bedside overrides (a physician signs, only to an assessed region or spinal level,
never another route) and the injection's day against the plan and the protocol's window."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.clinical import actions as clinical
from autologic.common.domain.errors import ValidationFailed
from autologic.injections import actions, queries
from autologic.injections.models import Administration
from autologic.lab.models import Unit
from tests.conftest import band

from .conftest import given, knee, proof, ready, reserved_unit, sessions

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def test_bedside_override_needs_a_physician_as_one_of_the_two_signers(
    released, physician, nurse, make_staff, patient, fixed_clock
):
    lot = released()
    clinical.add_region(assessment=lot.course.decision.assessment, data=knee("right"), by=physician)
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    other_nurse = make_staff("nurse", username="nurse-two")
    elsewhere = given(unit, band(patient), side="right", reason="Left knee operated last week.")
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            elsewhere,
            operator=proof(nurse),
            verifier=proof(other_nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.code == "override_needs_physician"
    assert refused.value.field == "verifier" and "physician" in refused.value.message
    assert Unit.objects.get(pk=unit.pk).status == "thawed"
    # Without an override two nurses may give it; with one, a physician must sign.
    record = actions.administer(
        session,
        elsewhere,
        operator=proof(nurse),
        verifier=proof(physician),
        now=fixed_clock.now(),
    )
    assert record.side == "right" and record.override_reason


def test_bedside_override_to_a_region_not_assessed_for_the_course_is_refused(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()  # the left knee only was assessed
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    verdict = queries.verify(
        lot.site_id,
        queries.session_of(session),
        wristband=band(patient),
        unit_scan=unit.identifier + unit.flags,
        region="shoulder",
        side="left",
        now=fixed_clock.now(),
    )
    assert verdict.outcome == "fail" and verdict.findings[0].code == "not_assessed"
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            given(unit, band(patient), region="shoulder", reason="The knee is swollen."),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.code == "not_assessed"
    assert not Administration.objects.exists()


def test_bedside_route_must_be_the_protocols_route(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            replace(given(unit, band(patient)), route="intramuscular"),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.code == "wrong_route" and refused.value.field == "route"
    record = actions.administer(
        session,
        replace(given(unit, band(patient)), route="intra_articular"),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    assert record.route == "intra_articular"


LUMBAR = {
    **knee(),
    "region": "spine_lumbar",
    "side": "",
    "detail": "L4/L5",
    "diagnosis": "radicular_pain",
    "grade_system": "",
    "grade": None,
}


def test_bedside_spinal_product_compares_the_level(
    released, physician, nurse, patient, fixed_clock
):
    lot = released("acs-spine", regions=[LUMBAR])
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    spinal = replace(
        given(unit, band(patient), region="spine_lumbar", side=""),
        guidance="fluoroscopy",
        route="epidural_perineural",
    )
    verdict = queries.verify(
        lot.site_id,
        queries.session_of(session),
        wristband=band(patient),
        unit_scan=unit.identifier + unit.flags,
        region="spine_lumbar",
        side="",
        level="L5/S1",
        now=fixed_clock.now(),
    )
    # L5/S1 was never assessed: no override can take the product there.
    assert verdict.outcome == "fail" and verdict.findings[0].code == "not_assessed"
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            replace(spinal, level="", override_reason=""),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.code == "no_level"
    clinical.add_region(
        assessment=lot.course.decision.assessment,
        data={**LUMBAR, "detail": "L5-S1"},
        by=physician,
    )
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            replace(spinal, level="l5/s1"),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.field == "override_reason"
    assert "L4/L5" in refused.value.message and "L5/S1" in refused.value.message
    record = actions.administer(
        session,
        replace(spinal, level="l5/s1", override_reason="Imaging on the day: L5/S1 is the source."),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    assert record.level == "L5/S1" and record.route == "epidural_perineural"
    assert AuditEvent.objects.filter(action="injection.override").exists()


def local_day(moment: datetime):
    return moment.astimezone(BERLIN).date()


def give(session, at: datetime, nurse, physician, patient, fixed_clock, reason: str = ""):
    """Issue and thaw the session's unit, then give it at ``at``."""
    unit = reserved_unit(session)
    fixed_clock.current = at - timedelta(minutes=20)
    actions.issue(session, unit.pk, by=nurse, now=fixed_clock.now())
    actions.thaw(session, unit.pk, by=nurse, now=fixed_clock.now())
    fixed_clock.current = at
    unit.refresh_from_db()
    return actions.administer(
        session,
        replace(given(unit, band(patient)), timing_reason=reason),
        operator=proof(physician),
        verifier=proof(nurse),
        now=at,
    )


def starts(lot) -> dict[str, datetime]:
    return {a.key: a.starts_at for a in lot.course.appointments.all() if a.starts_at}


def test_injection_given_two_days_early_needs_a_reason(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    first, second = sessions(lot)[:2]
    give(first, first.starts_at, nurse, physician, patient, fixed_clock)
    planned = second.starts_at
    early = planned - timedelta(days=2)  # one day after the first: the protocol says 3 to 7
    unit = reserved_unit(second)
    fixed_clock.current = early - timedelta(minutes=20)
    actions.issue(second, unit.pk, by=nurse, now=fixed_clock.now())
    actions.thaw(second, unit.pk, by=nurse, now=fixed_clock.now())
    fixed_clock.current = early
    unit.refresh_from_db()
    verdict = queries.verify(
        lot.site_id,
        queries.session_of(second),
        wristband=band(patient),
        unit_scan=unit.identifier + unit.flags,
        region="knee",
        side="left",
        now=early,
        timing=queries.timing_of(second, early),
    )
    assert verdict.outcome == "pass" and [f.code for f in verdict.timing] == ["too_early"]
    assert f"Planned for {local_day(planned).isoformat()}" in verdict.timing[0].message
    assert "3–7 days after injection 1" in verdict.timing[0].message
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            second,
            given(unit, band(patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=early,
        )
    assert refused.value.field == "timing_reason" and "Too early" in refused.value.message
    record = actions.administer(
        second,
        replace(given(unit, band(patient)), timing_reason="Travels abroad on the planned day."),
        operator=proof(physician),
        verifier=proof(nurse),
        now=early,
    )
    assert record.timing_reason == "Travels abroad on the planned day."
    second.refresh_from_db()
    assert second.status == "done" and second.starts_at == early
    assert second.history[-1]["status"] == "moved"
    event = AuditEvent.objects.get(action="injection.given", changes__session="inj2")
    assert event.changes["timing"] == ["too_early"]
    assert AuditEvent.objects.filter(action="course.reanchor").count() == 1
    assert audit.verify().ok


def test_injection_given_late_inside_the_window_reanchors_the_rest_of_the_course(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    first, second = sessions(lot)[:2]
    give(first, first.starts_at, nurse, physician, patient, fixed_clock)
    before = starts(lot)
    late = second.starts_at + timedelta(days=2)  # 5 days after the first: inside 3-7
    unit = reserved_unit(second)
    fixed_clock.current = late - timedelta(minutes=20)
    actions.issue(second, unit.pk, by=nurse, now=fixed_clock.now())
    actions.thaw(second, unit.pk, by=nurse, now=fixed_clock.now())
    unit.refresh_from_db()
    verdict = queries.verify(
        lot.site_id,
        queries.session_of(second),
        wristband=band(patient),
        unit_scan=unit.identifier + unit.flags,
        region="knee",
        side="left",
        now=late,
        timing=queries.timing_of(second, late),
    )
    assert [f.code for f in verdict.timing] == ["off_plan"]
    assert "2 days late" in verdict.timing[0].message and not verdict.needs_timing_reason
    actions.administer(
        second,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=late,
    )
    after = starts(lot)
    assert after["inj2"] == late
    # The third session was planned one day after the late second one: it moves, and every
    # later gap counts from what happened, inside the protocol's 3-7 days.
    assert (local_day(before["inj3"]) - local_day(late)).days < 3
    assert after["inj3"] != before["inj3"]
    for k in range(3, 7):
        gap = (local_day(after[f"inj{k}"]) - local_day(after[f"inj{k - 1}"])).days
        assert 3 <= gap <= 7, (k, gap)
    assert after["inj1"] == before["inj1"]
    event = AuditEvent.objects.get(action="course.reanchor")
    assert event.changes["anchor"] == "inj2" and "inj3" in event.changes["moved"]
    lot.course.refresh_from_db()
    assert lot.course.status == "scheduled"
    # The units follow the new times.
    for session in sessions(lot)[2:]:
        assert reserved_unit(session).status == "reserved"
    assert audit.verify().ok
