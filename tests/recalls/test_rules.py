"""The pure rules of recall and look-back: grouping the units reached, whom to inform."""

from __future__ import annotations

import pytest

from autologic.recalls.domain import (
    Contact,
    Finding,
    Reached,
    Reason,
    Staff,
    classify,
    look_back,
    whom_to_inform,
)


@pytest.mark.parametrize(
    ("state", "given", "finding"),
    [
        ("administered", False, Finding.GIVEN),
        ("thawed", True, Finding.GIVEN),
        ("reserved", False, Finding.TO_HOLD),
        ("thawed", False, Finding.TO_HOLD),
        ("quarantined", False, Finding.HELD),
        ("processing", False, Finding.IN_PROCESS),
        ("divided", False, Finding.CLOSED),
        ("expired", False, Finding.CLOSED),
    ],
)
def test_look_back_groups_each_unit(state, given, finding):
    assert classify(state, given) is finding


def test_look_back_lists_courses_patients_and_the_lots_left_to_hold():
    look = look_back(
        [
            Reached(1, "administered", course_id=10, patient_id=100, lot_id=7),
            Reached(2, "reserved", course_id=10, patient_id=100, lot_id=7),
            Reached(3, "discarded", course_id=11, patient_id=101, lot_id=8),
            Reached(4, "divided", course_id=11, patient_id=101, lot_id=8),
        ]
    )
    assert look.of(Finding.GIVEN) == [1] and look.of(Finding.TO_HOLD) == [2]
    assert look.courses == [10, 11] and look.patients == [100, 101]
    assert look.given_courses == [10] and look.open_lots == [7]
    assert look.open_units == [2]


DOCTOR = Staff(1, "physician", True, "doc@clinic.test")
NURSE = Staff(2, "nurse", True, "nurse@clinic.test")
OTHER_DOCTOR = Staff(3, "physician", True, "")
MANAGER = Staff(4, "manager", True, "boss@clinic.test")
GONE = Staff(5, "manager", False, "gone@clinic.test")


def test_recall_informs_patients_physicians_follow_up_and_managers():
    look = look_back(
        [
            Reached(1, "administered", course_id=10, patient_id=100, lot_id=7),
            Reached(2, "reserved", course_id=11, patient_id=101, lot_id=8),
        ]
    )
    found = whom_to_inform(
        look,
        contacts=[
            Contact(100, email="p@home.test", phone="+49301"),
            Contact(101, phone="+49302"),
        ],
        course_patient={10: 100, 11: 101},
        course_physicians={10: [DOCTOR, NURSE], 11: []},
        site_physicians=[DOCTOR, OTHER_DOCTOR],
        managers=[MANAGER, GONE],
    )
    by_patient = {r.patient_id: r for r in found if r.patient_id is not None}
    assert (by_patient[100].channel, by_patient[100].to) == ("email", "p@home.test")
    assert (by_patient[101].channel, by_patient[101].to) == ("sms", "+49302")
    staff = {r.staff_id: r for r in found if r.staff_id is not None}
    assert set(staff) == {1, 3, 4}  # no nurse, no inactive manager
    assert staff[1].reasons == (Reason.PHYSICIAN, Reason.FOLLOW_UP)
    assert staff[1].patients == (100, 101) and staff[1].follow_up == (100,)
    # Course 11 names no physician: every physician of the clinic hears of it.
    assert staff[3].reasons == (Reason.PHYSICIAN,) and staff[3].channel == ""
    assert staff[4].reasons == (Reason.MANAGER,) and staff[4].patients == (100, 101)


def test_recall_lists_a_patient_without_contact_for_a_person_to_reach():
    look = look_back([Reached(1, "released", course_id=10, patient_id=100, lot_id=7)])
    (patient, *_staff) = whom_to_inform(
        look,
        contacts=[Contact(100)],
        course_patient={10: 100},
        course_physicians={10: [DOCTOR]},
        site_physicians=[],
        managers=[],
    )
    assert patient.patient_id == 100 and patient.channel == "" and patient.to == ""
