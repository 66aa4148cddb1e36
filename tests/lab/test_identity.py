"""One donation identifier per collection: every unit carries the collection's DIN and its own
ISBT division code, and one scan still names exactly one unit (issue 15, identifiers)."""

# The bedside fixtures are imported by name, and pytest passes them back as arguments.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from autologic.care import actions as care
from autologic.common.domain.identifiers import (
    check_character,
    make_din,
    parse,
    type3_flags,
)
from autologic.injections import queries
from autologic.lab.actions import collection as lab
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Collection, Unit
from tests.conftest import band
from tests.injections.conftest import (  # noqa: F401
    check,
    freezer,
    nurse,
    other_patient,
    ready,
    released,
    sessions,
)
from tests.lab.conftest import ACS_STEPS, make_lot  # noqa: F401

pytestmark = pytest.mark.django_db


def _units(lot: Collection) -> list[Unit]:
    """The specimen first, then the units divided from it in order (NULLs sort differently)."""
    units = Unit.objects.filter(collection=lot)
    return [
        *units.filter(parent__isnull=True),
        *units.filter(parent__isnull=False).order_by("index"),
    ]


def test_one_donation_identifier_per_collection_aliquots_are_divisions(make_lot):
    lot = make_lot()
    specimen, *aliquots = _units(lot)
    assert specimen.parent_id is None and len(aliquots) == 6
    din = specimen.identifier[:13]
    assert specimen.identifier == din + "00"  # the undivided product is division 00
    assert [u.identifier for u in aliquots] == [
        din + code for code in ["A0", "B0", "C0", "D0", "E0", "F0"]
    ]
    for unit in [specimen, *aliquots]:
        read = parse(unit.identifier + unit.flags)
        assert (read.din, read.division) == (din, unit.identifier[13:])
        assert unit.flags == type3_flags(read.checkable)


def test_one_donation_identifier_per_collection_more_than_26_units_are_second_level(make_lot):
    lot = make_lot(count=30)
    aliquots = [u for u in _units(lot) if u.parent_id]
    codes = [u.identifier[13:] for u in aliquots]
    assert (
        codes[:3] == ["Aa", "Ab", "Ac"] and codes[25:27] == ["Az", "Ba"] and len(set(codes)) == 30
    )
    assert {u.identifier[:13] for u in aliquots} == {_units(lot)[0].identifier[:13]}
    for unit in aliquots:
        assert parse(unit.identifier + unit.flags).data == unit.identifier


def test_one_donation_identifier_per_collection_each_collection_takes_its_own_din(make_lot):
    first, second = make_lot(), make_lot()
    dins = {u.identifier[:13] for u in _units(first)}, {u.identifier[:13] for u in _units(second)}
    assert len(dins[0]) == len(dins[1]) == 1 and dins[0] != dins[1]


def test_one_donation_identifier_per_collection_a_scan_names_only_its_own_aliquot(
    released, nurse, patient, fixed_clock
):
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    siblings = [u for u in _units(lot) if u.parent_id and u.pk != unit.pk]
    # The label's barcode and the typed entry (with K) each find this unit and no other.
    for scan in (unit.identifier + unit.flags, unit.identifier + check_character(unit.identifier)):
        verdict = check(first, band(patient), scan, fixed_clock.now())
        assert verdict.outcome == "pass", verdict.message
        assert verdict.unit is not None and verdict.unit.identifier == unit.identifier
    for sibling in siblings:
        found = queries.scanned(lot.site_id, parse(sibling.identifier + sibling.flags).data)
        assert found is not None and found.identifier == sibling.identifier
        # A sibling's division typed with this unit's K is refused, never read as the sibling.
        typo = sibling.identifier + check_character(unit.identifier)
        refused = check(first, band(patient), typo, fixed_clock.now())
        assert refused.outcome == "fail" and refused.findings[0].code == "scan_wrong_check"
    # The DIN alone names the donation, not a unit: it resolves to nothing.
    din = unit.identifier[:13]
    alone = check(first, band(patient), din + check_character(din), fixed_clock.now())
    assert alone.outcome == "fail" and alone.findings[0].code == "unknown_unit"


def test_one_donation_identifier_per_collection_another_patients_division_is_a_hard_stop(
    released, nurse, patient, other_patient, fixed_clock
):
    mine, theirs = released(), released(who=other_patient)
    session = sessions(mine)[0]
    ready(session, nurse, fixed_clock)
    foreign = next(u for u in _units(theirs) if u.parent_id and u.identifier.endswith("A0"))
    verdict = check(session, band(patient), foreign.identifier + foreign.flags, fixed_clock.now())
    assert verdict.outcome == "stop" and verdict.findings[0].code == "wrong_patient"


def test_one_donation_identifier_per_collection_units_made_before_keep_their_din(
    released, nurse, patient, fixed_clock, site
):
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    # A unit made before divisions existed: its own 13-character DIN, flags over the DIN.
    legacy = make_din(site.facility_code, 2025, 999_001)
    Unit.objects.filter(pk=unit.pk).update(identifier=legacy.data, flags=legacy.flags)
    for scan in (legacy.barcode, legacy.data + legacy.check):
        verdict = check(first, band(patient), scan, fixed_clock.now())
        assert verdict.outcome == "pass", verdict.message


def test_one_donation_identifier_per_collection_a_specimen_from_before_divides_under_its_din(
    start_course, resources, physician, tech, fixed_clock, site
):
    course = start_course("acs-large-joint")
    assert care.schedule_course(course=course, by=physician, expected_version=course.version).ok
    now = fixed_clock.now()
    lot = lab.record_collection(
        course=course,
        collected_at=now,
        collected_by=physician,
        volume_ml=Decimal("60"),
        containers=6,
        container_type="syringe",
        notes="",
        by=tech,
        now=now,
    )
    legacy = make_din(site.facility_code, 2025, 999_002)
    Unit.objects.filter(collection=lot).update(identifier=legacy.data, flags=legacy.flags)
    run = lab.start_run(lot, by=tech, now=now)
    start = now
    for key, spec in ACS_STEPS:
        end = start + timedelta(hours=spec["hours"])
        values = StepValues(start, end, **{k: v for k, v in spec.items() if k != "hours"})
        lab.record_step(run, key=key, values=values, by=tech, now=end)
        start = end
    units = lab.divide(run, count=2, volume_ml=Decimal("2"), cells_million=None, by=tech, now=start)
    assert [u.identifier for u in units] == [legacy.data + "A0", legacy.data + "B0"]
