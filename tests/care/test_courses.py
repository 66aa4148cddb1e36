"""Courses against the database: create, schedule on real capacity, re-plan, explain."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autologic.audit.models import AuditEvent
from autologic.care import actions, queries
from autologic.care.domain.scheduling import weekly_hours
from autologic.care.models import Booking, Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.protocols.actions import sync_protocols
from autologic.protocols.files import LIBRARY
from tests.care.conftest import knee

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def local(value: datetime) -> datetime:
    return value.astimezone(BERLIN)


def schedule(course: Course, by) -> actions.Outcome:
    course.refresh_from_db()
    return actions.schedule_course(course=course, by=by, expected_version=course.version)


def assert_capacity_respected() -> None:
    """No resource holds more than its capacity at any moment (a sweep over all bookings)."""
    events = defaultdict(list)
    for booking in Booking.objects.select_related("resource"):
        events[booking.resource].append((booking.starts_at, booking.amount))
        events[booking.resource].append((booking.ends_at, -booking.amount))
    for resource, changes in events.items():
        level = 0
        for _when, delta in sorted(changes, key=lambda c: (c[0], c[1])):
            level += delta
            assert level <= resource.capacity, resource.code


def times(course: Course) -> dict[str, datetime]:
    return {a.key: a.starts_at for a in course.appointments.all() if a.starts_at}


def test_a_course_pins_its_protocol_version_and_lists_its_events(
    start_course, physician, protocols
):
    course = start_course(regions=[knee("left"), knee("right")])
    assert course.protocol == protocols["acs-large-joint"]
    keys = list(course.appointments.values_list("key", flat=True))
    assert keys[:5] == ["collection", "incubation", "centrifugation", "aliquoting", "freezing"]
    assert sum(course.appointments.values_list("kits", flat=True)) == 12  # 2 regions x 6
    assert AuditEvent.objects.filter(action="course.create").count() == 1


def test_a_new_protocol_version_does_not_change_a_running_course(start_course, tmp_path):
    course = start_course()
    pinned = course.protocol.version
    newer = tmp_path / f"acs-large-joint.v{pinned + 1}.yaml"
    newer.write_text(
        (LIBRARY / f"acs-large-joint.v{pinned}.yaml")
        .read_text(encoding="utf-8")
        .replace(f"\nversion: {pinned}\n", f"\nversion: {pinned + 1}\n")
        .replace("interval_days: {min: 3, max: 7}", "interval_days: {min: 5, max: 9}"),
        encoding="utf-8",
    )
    assert sync_protocols(files=[newer]).ok
    course.refresh_from_db()
    assert course.protocol.version == pinned
    gap = next(link for link in queries.pathway_for(course).links if link.after == "inj2")
    assert (gap.min_gap, gap.max_gap) == (3, 7)


def test_scheduling_books_every_step_inside_hours_windows_and_capacity(
    start_course, physician, resources
):
    course = start_course(regions=[knee("left"), knee("right")])
    outcome = schedule(course, physician)
    assert outcome.ok
    course.refresh_from_db()
    assert course.status == "scheduled"
    when = times(course)
    draw, spin = local(when["collection"]), local(when["centrifugation"])
    assert draw.date() == date(2026, 11, 23) and draw.hour >= 8
    hours = (spin - draw).total_seconds() / 3600
    assert 6 <= hours - 0.5 <= 24  # incubation after a 30-minute draw slot
    injections = [local(when[f"inj{k}"]) for k in range(1, 7)]
    for earlier, later in zip(injections, injections[1:], strict=False):
        assert 3 <= (later.date() - earlier.date()).days <= 7
    for moment in injections:
        assert moment.weekday() < 5 and 8 <= moment.hour < 18
    # Twelve tubes in the incubator, two syringes per session in the freezer.
    holds = Booking.objects.filter(course=course, hold_index__isnull=False)
    assert sorted((b.resource.kind, b.amount) for b in holds) == [("freezer", 2)] * 6 + [
        ("incubator", 12)
    ]
    assert_capacity_respected()
    assert AuditEvent.objects.filter(action="course.schedule").count() == 1


def test_a_second_course_never_shares_a_room_or_clinician_slot(start_course, physician, resources):
    first = start_course()
    second = start_course()
    assert schedule(first, physician).ok
    assert schedule(second, physician).ok
    assert_capacity_respected()  # two rooms and two clinicians: side by side is fine
    # With one clinician left, a third course must wait for free slots.
    actions.set_resource_active(resource=resources["dr-b"], active=False, by=physician)
    third = start_course()
    assert schedule(third, physician).ok
    assert_capacity_respected()
    taken = {
        (b.starts_at, b.resource_id)
        for b in Booking.objects.filter(resource=resources["dr-a"]).exclude(course=third)
    }
    mine = {(b.starts_at, b.resource_id) for b in Booking.objects.filter(course=third)}
    assert not taken & mine
    assert times(third)["collection"] != times(first)["collection"]


def test_closing_days_are_respected(start_course, physician, resources, site):
    actions.add_closed_day(site=site, day=date(2026, 11, 23), reason="Staff training", by=physician)
    course = start_course()
    assert schedule(course, physician).ok
    assert local(times(course)["collection"]).date() == date(2026, 11, 24)


def test_a_course_that_cannot_fit_says_which_constraint_blocks_it(
    start_course, physician, resources
):
    actions.set_resource_active(resource=resources["room-1"], active=False, by=physician)
    course = start_course(
        "acs-spine",
        regions=[
            {
                **knee(),
                "region": "spine_lumbar",
                "side": "",
                "diagnosis": "radicular_pain",
                "grade_system": "",
                "grade": None,
            }
        ],
    )
    outcome = schedule(course, physician)
    assert not outcome.ok
    course.refresh_from_db()
    assert course.status == "attention"
    assert "fluoroscopy" in course.problem["message"]
    assert not Booking.objects.filter(course=course).exists()
    assert AuditEvent.objects.filter(action="course.schedule_failed").count() == 1


def test_a_missed_session_moves_the_rest_inside_the_protocol_windows(
    start_course, physician, resources, fixed_clock
):
    course = start_course()
    assert schedule(course, physician).ok
    before = times(course)
    missed = course.appointments.get(key="inj2")
    fixed_clock.current = missed.starts_at + timedelta(hours=1)
    course.refresh_from_db()
    outcome = actions.report_missed(
        appointment=missed, reason="missed", by=physician, expected_version=course.version
    )
    assert outcome.ok and "inj2" in outcome.moved
    after = times(course)
    assert after["collection"] == before["collection"] and after["inj1"] == before["inj1"]
    # Offered from the next day, still 3-7 days after the first injection.
    assert local(after["inj2"]).date() > local(before["inj2"]).date()
    assert 3 <= (local(after["inj2"]).date() - local(after["inj1"]).date()).days <= 7
    for k in range(3, 7):
        gap = (local(after[f"inj{k}"]).date() - local(after[f"inj{k - 1}"]).date()).days
        assert 3 <= gap <= 7
    missed.refresh_from_db()
    assert missed.status == "planned" and missed.history[0]["status"] == "missed"
    assert_capacity_respected()
    assert AuditEvent.objects.filter(action="course.replan").count() == 1


def test_a_replan_outside_the_culture_window_is_explained_and_nothing_moves(
    start_course, physician, resources, fixed_clock
):
    course = start_course("bm-msc-knee")
    assert schedule(course, physician).ok
    before = times(course)
    injection = course.appointments.get(key="inj1")
    harvest = local(before["collection"]).date()
    # Day 23 after the harvest, in the afternoon: the patient did not come. Offered from the
    # next day, the injection would fall outside the 19-23 day culture window.
    fixed_clock.current = datetime.combine(
        harvest + timedelta(days=23), datetime.min.time(), BERLIN
    ) + timedelta(hours=13)
    course.refresh_from_db()
    outcome = actions.report_missed(
        appointment=injection, reason="missed", by=physician, expected_version=course.version
    )
    assert not outcome.ok
    course.refresh_from_db()
    assert course.status == "attention"
    assert course.problem["step"] == "inj1"
    assert course.problem["constraint"] == "link collection->inj1 19–23 days"
    assert "by 2026-12-16" in course.problem["message"]
    assert "ran out of time" not in course.problem["message"]
    injection.refresh_from_db()
    assert injection.status == "missed"
    assert times(course)["collection"] == before["collection"]


def test_a_stale_page_cannot_schedule_or_replan(start_course, physician, resources):
    course = start_course()
    with pytest.raises(ConflictError):
        actions.schedule_course(course=course, by=physician, expected_version=course.version + 1)
    assert schedule(course, physician).ok
    with pytest.raises(ConflictError):  # already scheduled: a second click does nothing
        schedule(course, physician)
    appointment = course.appointments.get(key="inj1")
    with pytest.raises(ConflictError):
        actions.report_missed(
            appointment=appointment, reason="missed", by=physician, expected_version=1
        )


def test_course_choices_outside_the_protocol_are_refused(start_course, physician, protocols):
    with pytest.raises(ValidationFailed) as caught:
        start_course(
            "acs-spine",
            injections=7,  # version 3 allows 3 to 6 (seed 001)
            regions=[
                {
                    **knee(),
                    "region": "spine_lumbar",
                    "side": "",
                    "diagnosis": "radicular_pain",
                    "grade_system": "",
                    "grade": None,
                }
            ],
        )
    assert caught.value.field == "injections"
    with pytest.raises(ValidationFailed) as caught:
        start_course(earliest=date(2026, 11, 1))
    assert caught.value.field == "earliest_start"


def test_working_weeks_may_wrap_over_the_weekend():
    hours = weekly_hours({"sat-wed": "08:00-16:00", "thu": "08:00-12:00"})
    assert [bool(day) for day in hours] == [True, True, True, True, False, True, True]


SPINE = {
    **knee(),
    "region": "spine_lumbar",
    "side": "",
    "detail": "L4/L5",
    "diagnosis": "radicular_pain",
    "grade_system": "",
    "grade": None,
}


def test_a_spine_course_gives_four_sessions_and_up_to_six(start_course, patient, physician):
    # Seed 000: "for the spine 4 sessions"; seed 001: "three to six into the afflicted spine area".
    course = start_course("acs-spine", regions=[SPINE])
    assert course.injections == 4 and course.protocol.version == 3
    longer = start_course("acs-spine", regions=[SPINE], injections=6)
    assert longer.injections == 6
