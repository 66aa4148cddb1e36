"""From release to injection: reservation, issue, thaw, the bedside check, the signed record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent, Signature
from autologic.care import actions as care
from autologic.clinical import actions as clinical
from autologic.common.domain.errors import DomainError, ValidationFailed
from autologic.common.domain.identifiers import check_character
from autologic.injections import actions
from autologic.injections.models import Administration, Reservation
from autologic.lab.actions import release as qa
from autologic.lab.actions import storage
from autologic.lab.actions.units import UnitRefused
from autologic.lab.models import Unit, UnitEvent
from tests.conftest import band

from .conftest import check, given, knee, proof, ready, reserved_unit, sessions

pytestmark = pytest.mark.django_db


def test_release_reserves_one_unit_per_session_first_expiry_first(released, patient):
    lot = released()
    planned = sessions(lot)
    assert len(planned) == 6
    units = [reserved_unit(a) for a in planned]
    assert len({u.pk for u in units}) == 6
    assert all(u.status == "reserved" and u.patient_id == patient.pk for u in units)
    assert [u.reserved_for_id for u in units] == [a.pk for a in planned]
    assert AuditEvent.objects.filter(action="course.reserve").count() == 1
    assert UnitEvent.objects.filter(move="reserve").count() == 6


def test_an_acs_session_from_issue_to_signed_record(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    assert unit.status == "thawed" and unit.box_id is None and unit.thawed_at is not None
    scan = unit.identifier + unit.flags  # what the label's barcode carries
    verdict = check(first, band(patient), scan, fixed_clock.now())
    assert verdict.outcome == "pass", verdict.message

    record = actions.administer(
        first,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    unit.refresh_from_db()
    first.refresh_from_db()
    assert unit.status == "administered"
    assert first.status == "done"
    assert record.patient_id == patient.pk and record.second_verifier == nurse
    signed = Signature.objects.filter(object_type="unit", object_id=unit.identifier)
    assert sorted(signed.values_list("meaning", "signer_id")) == [
        ("administered", physician.pk),
        ("verified", nurse.pk),
    ]
    assert {s.record_hash for s in signed} == {ref["record_hash"] for ref in record.signatures}
    assert not Reservation.objects.filter(unit=unit, ended_at__isnull=True).exists()
    moves = list(UnitEvent.objects.filter(unit=unit).values_list("move", flat=True))
    assert moves == ["create", "release", "reserve", "issue", "thaw", "administer"]
    assert audit.verify().ok


def test_a_unit_of_another_patient_is_a_hard_stop_that_is_audited(
    released, physician, nurse, patient, other_patient, fixed_clock
):
    mine = released()
    theirs = released(who=other_patient)
    session = sessions(mine)[0]
    ready(session, nurse, fixed_clock)
    foreign = ready(sessions(theirs)[0], nurse, fixed_clock)
    fixed_clock.current = session.starts_at
    scan = foreign.identifier + check_character(foreign.identifier)

    verdict = check(session, band(patient), scan, fixed_clock.now())
    assert verdict.outcome == "stop"
    assert verdict.findings[0].code == "wrong_patient"
    assert f"MRN {other_patient.mrn}" in verdict.message
    assert f"this patient is MRN {patient.mrn}" in verdict.message

    before = foreign.version
    with pytest.raises(actions.BedsideStop):
        actions.administer(
            session,
            given(foreign, band(patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    foreign.refresh_from_db()
    assert foreign.status == "thawed" and foreign.version == before
    assert not Administration.objects.exists()
    refused = AuditEvent.objects.get(action="bedside.refused")
    assert refused.changes["unit_patient"] == other_patient.mrn
    assert refused.changes["findings"] == ["wrong_patient"]
    assert audit.verify().ok


def test_a_wristband_of_another_patient_is_a_hard_stop(
    released, nurse, patient, other_patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    verdict = check(session, band(other_patient), unit.identifier + unit.flags, fixed_clock.now())
    assert verdict.outcome == "stop"
    assert verdict.findings[0].field == "wristband"
    assert other_patient.mrn in verdict.message and patient.mrn in verdict.message


@pytest.mark.parametrize(
    ("scan", "code"),
    [
        ("", "scan_empty"),
        ("hello world", "scan_lower_case"),
        ("=0A00126000001", "scan_bad_shape"),
        ("0A001260999999Z", "scan_wrong_check"),
    ],
)
def test_unreadable_scans_say_why_and_change_nothing(
    released, physician, nurse, patient, fixed_clock, scan, code
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    counts = (AuditEvent.objects.count(), UnitEvent.objects.count(), unit.version)
    verdict = check(session, band(patient), scan, fixed_clock.now())
    assert verdict.outcome == "fail"
    assert verdict.findings[0].field == "unit"
    assert verdict.findings[0].code.startswith("scan_")
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            actions.Given(band(patient), scan, "knee", "left", "ultrasound", None, ("none",)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.field == "unit"
    unit.refresh_from_db()
    assert (AuditEvent.objects.count(), UnitEvent.objects.count(), unit.version) == counts


def test_an_unknown_unit_says_so_and_changes_nothing(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    stranger = unit.identifier[:7] + "999999"
    counts = (AuditEvent.objects.count(), UnitEvent.objects.count())
    verdict = check(session, band(patient), stranger + check_character(stranger), fixed_clock.now())
    assert verdict.outcome == "fail" and verdict.findings[0].code == "unknown_unit"
    assert "No unit" in verdict.message
    assert (AuditEvent.objects.count(), UnitEvent.objects.count()) == counts


def test_a_wrong_side_needs_a_signed_override_with_a_reason(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    # The right knee was assessed too (the course treats the left): an override may go there.
    clinical.add_region(assessment=lot.course.decision.assessment, data=knee("right"), by=physician)
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    verdict = check(
        session, band(patient), unit.identifier + unit.flags, fixed_clock.now(), "knee", "right"
    )
    assert verdict.outcome == "override"
    assert verdict.findings[0].code == "wrong_side"
    assert "left" in verdict.message and "right" in verdict.message
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            session,
            given(unit, band(patient), side="right"),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.field == "override_reason"
    assert Unit.objects.get(pk=unit.pk).status == "thawed"
    record = actions.administer(
        session,
        given(
            unit, band(patient), side="right", reason="Left knee replaced last week; plan agreed."
        ),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    assert record.side == "right" and record.override_reason
    assert AuditEvent.objects.filter(action="injection.override").exists()


def test_past_the_thaw_window_the_unit_is_unusable(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    late = unit.thawed_at + timedelta(minutes=61)
    verdict = check(session, band(patient), unit.identifier + unit.flags, late)
    assert verdict.outcome == "fail" and verdict.findings[0].code == "thaw_window"
    with pytest.raises(ValidationFailed):
        actions.administer(
            session,
            given(unit, band(patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=late,
        )


def test_a_unit_must_be_issued_and_thawed_before_it_is_given(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = reserved_unit(session)
    verdict = check(session, band(patient), unit.identifier + unit.flags, fixed_clock.now())
    assert verdict.outcome == "fail" and verdict.findings[0].code == "not_issued"
    actions.issue(session, unit.pk, by=nurse, now=fixed_clock.now())
    verdict = check(session, band(patient), unit.identifier + unit.flags, fixed_clock.now())
    assert verdict.findings[0].code == "not_thawed"


def test_a_unit_reserved_for_another_session_is_refused(released, nurse, patient, fixed_clock):
    lot = released()
    first, second = sessions(lot)[:2]
    ready(first, nurse, fixed_clock)
    other = reserved_unit(second)
    with pytest.raises(ValidationFailed) as refused:
        actions.issue(first, other.pk, by=nurse, now=fixed_clock.now())
    assert refused.value.code == "not_reserved"


def test_two_different_clinicians_must_sign(released, physician, nurse, tech, patient, fixed_clock):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    for operator, verifier, field in [
        (physician, physician, "verifier"),
        (physician, tech, "verifier"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            actions.administer(
                session,
                given(unit, band(patient)),
                operator=proof(operator),
                verifier=proof(verifier),
                now=fixed_clock.now(),
            )
        assert refused.value.field == field


def test_the_database_refuses_an_administration_for_another_patient(
    released, physician, nurse, patient, other_patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Administration.objects.create(
            site=unit.site,
            unit=unit,
            patient=other_patient,
            appointment=session,
            planned_region=lot.course.regions.get(),
            region="knee",
            side="left",
            guidance="ultrasound",
            operator=physician,
            second_verifier=nurse,
            wristband_scan="x",
            unit_scan="y",
            given_at=fixed_clock.now(),
            recorded_at=fixed_clock.now(),
        )


def test_given_units_cannot_be_given_again(released, physician, nurse, patient, fixed_clock):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    actions.administer(
        session,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    with pytest.raises(DomainError):
        actions.administer(
            session,
            given(unit, band(patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    with pytest.raises(UnitRefused):
        from autologic.lab.actions.units import change_state, locked
        from autologic.lab.domain.states import Move

        with transaction.atomic():
            change_state(
                locked(unit.pk),
                Move.ADMINISTER,
                by=physician,
                now=fixed_clock.now(),
                patient=patient.pk,
            )


def test_fewer_units_than_sessions_is_warned_and_reserved_in_order(
    make_lot, tech, manager, fixed_clock
):
    from autologic.injections import queries
    from autologic.lab.actions import release as qa

    from .conftest import LATER, pass_qc

    lot = make_lot(count=4, store=True)
    pass_qc(lot, tech)
    fixed_clock.current = LATER
    qa.release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)
    planned = sessions(lot)
    held = Reservation.objects.filter(ended_at__isnull=True)
    assert sorted(held.values_list("appointment_id", flat=True)) == [a.pk for a in planned[:4]]
    plan = queries.plan_for(lot.course, LATER)
    assert [w.code for w in plan.warnings] == ["count"]
    assert plan.warnings[0].units == 2 and plan.warnings[0].sessions == (5, 6)


def test_a_missed_session_re_plans_and_reservations_follow(released, physician, fixed_clock):
    lot = released()
    first = sessions(lot)[0]
    unit = reserved_unit(first)
    fixed_clock.current = first.starts_at
    outcome = care.report_missed(
        appointment=first,
        reason="missed",
        by=physician,
        expected_version=lot.course.__class__.objects.get(pk=lot.course_id).version,
    )
    assert outcome.ok
    assert reserved_unit(first).pk == unit.pk  # the same unit still serves the moved session
    assert audit.verify().ok


def _two_knee_session_with_the_right_given(released, physician, nurse, patient, fixed_clock):
    """Session 1 of a bilateral course: the right knee given, the left unit still in the freezer."""
    lot = released(regions=[knee("right"), knee("left")], injections=4)
    first = sessions(lot)[0]
    right = Reservation.objects.get(
        appointment=first, ended_at__isnull=True, region__side="right"
    ).unit
    fixed_clock.current = first.starts_at - timedelta(minutes=30)
    actions.issue(first, right.pk, by=nurse, now=fixed_clock.now())
    actions.thaw(first, right.pk, by=nurse, now=fixed_clock.now() + timedelta(minutes=5))
    fixed_clock.current = first.starts_at
    right.refresh_from_db()
    actions.administer(
        first,
        given(right, band(patient), side="right"),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    return lot, first


def test_replanning_never_plans_a_site_already_given(
    released, physician, nurse, tech, manager, patient, freezer, fixed_clock
):
    # Issue 14: a quarantine then a requalification re-reserved a unit for the right knee,
    # already given in this session, and left the left knee without one.
    lot, first = _two_knee_session_with_the_right_given(
        released, physician, nurse, patient, fixed_clock
    )
    t = fixed_clock.now() + timedelta(minutes=10)
    readings = [(t, -20.0), (t + timedelta(hours=1), -12.5), (t + timedelta(hours=2), -21.0)]
    storage.record_readings(freezer, readings, source="logger", by=tech, now=t + timedelta(hours=3))
    quarantined = Unit.objects.filter(collection=lot, status="quarantined").order_by("pk")
    assert quarantined.exists()
    for unit in quarantined:
        qa.requalify(
            unit,
            justification="Core stayed frozen; 1 h at -12.5 °C.",
            proof=proof(manager),
            now=t + timedelta(hours=4),
        )
    held = Reservation.objects.filter(appointment=first, ended_at__isnull=True)
    assert [r.region.side for r in held] == ["left"]


def test_bedside_refuses_a_second_administration_to_a_site_in_one_session(
    released, physician, nurse, patient, fixed_clock
):
    lot, first = _two_knee_session_with_the_right_given(
        released, physician, nurse, patient, fixed_clock
    )
    left = reserved_unit(first)
    fixed_clock.current = first.starts_at - timedelta(minutes=5)
    actions.issue(first, left.pk, by=nurse, now=fixed_clock.now())
    actions.thaw(first, left.pk, by=nurse, now=fixed_clock.now())
    left.refresh_from_db()
    scan = left.identifier + left.flags
    verdict = check(first, band(patient), scan, fixed_clock.now(), "knee", "right")
    assert verdict.outcome == "fail"
    assert verdict.findings[0].code == "site_already_given"
    with pytest.raises(ValidationFailed) as refused:
        actions.administer(
            first,
            given(left, band(patient), side="right", reason="Patient asked for the right again."),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert refused.value.code == "site_already_given"
    assert check(first, band(patient), scan, fixed_clock.now(), "knee", "left").outcome == "pass"


def test_mrn_reassignment_cannot_fool_the_wristband(
    released, physician, nurse, patient, other_patient, fixed_clock
):
    # Issue 14: patient 1 renumbered, patient 2 given patient 1's old MRN; patient 1's old
    # wristband then scanned as a match at patient 2's session.
    from autologic.patients import actions as patients

    old_mrn, old_band = patient.mrn, band(patient)
    lot = released(who=other_patient)
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    for who, new_mrn in ((patient, "R-0001"), (other_patient, old_mrn)):
        who.refresh_from_db()
        patients.renumber_patient(
            patient_id=who.pk,
            site=who.site,
            new_mrn=new_mrn,
            reason="Duplicate registration merged.",
            proof=proof(physician),
            expected_version=who.version,
        )
    other_patient.refresh_from_db()
    assert other_patient.mrn == old_mrn
    verdict = check(session, old_band, unit.identifier + unit.flags, fixed_clock.now())
    assert verdict.outcome == "stop" and verdict.findings[0].code == "wrong_patient"
    with pytest.raises(actions.BedsideStop):
        actions.administer(
            session,
            given(unit, old_band),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert AuditEvent.objects.filter(action="bedside.refused").count() == 1
    assert check(session, band(other_patient), unit.identifier + unit.flags, fixed_clock.now()).ok


def test_a_wrong_patient_attempt_on_a_finished_session_is_still_audited(
    released, physician, nurse, patient, other_patient, fixed_clock
):
    # Found by the stress test: a closed session answered "session closed" before the
    # wrong-patient check, so the hard stop never reached the audit trail.
    lot = released()
    foreign = released(who=other_patient)
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    actions.administer(
        session,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    stranger = reserved_unit(sessions(foreign)[0])
    with pytest.raises(actions.BedsideStop):
        actions.administer(
            session,
            given(stranger, band(patient)),
            operator=proof(physician),
            verifier=proof(nurse),
            now=fixed_clock.now(),
        )
    assert AuditEvent.objects.filter(action="bedside.refused").count() == 1
