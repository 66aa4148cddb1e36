"""The course timeline shows what happened beside what was planned, and the follow-ups count
from the real last injection (the protocol's ``follow_up.anchor: last_injection``)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from autologic.care import queries as care
from autologic.care.domain.pathway import due_window
from tests.conftest import signed_in

from .conftest import sessions
from .test_overrides import give, local_day

pytestmark = pytest.mark.django_db


def test_follow_ups_move_with_the_real_last_injection_and_the_timeline_shows_who_gave_it(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    course = lot.course
    protocol = course.protocol.protocol
    assert protocol.follow_up.anchor == "last_injection"
    given = sessions(lot)
    for session in given[:-1]:
        session.refresh_from_db()
        give(
            session,
            session.starts_at + timedelta(minutes=10),
            nurse,
            physician,
            patient,
            fixed_clock,
        )
    last = given[-1]
    last.refresh_from_db()
    planned = last.starts_at
    late = planned + timedelta(days=1, minutes=10)
    give(last, late, nurse, physician, patient, fixed_clock, reason="Patient ill on the day.")
    last.refresh_from_db()
    assert last.status == "done" and last.starts_at == late
    # Every follow-up window counts from the day it was given, not the day it was planned.
    pathway = care.pathway_for(course)
    moved = 0
    for event in pathway.events:
        if event.anchor != last.key:
            continue
        follow_up = course.appointments.get(key=event.key)
        expected = due_window(event, local_day(late))
        assert (follow_up.due_on, follow_up.due_from, follow_up.due_to) == expected, event.key
        assert follow_up.due_on != due_window(event, local_day(planned))[0]
        moved += 1
    assert moved >= 3  # w6, m3, m6, ... (the baseline counts from the collection)

    page = signed_in(nurse).get(f"/care/courses/{course.pk}/").content.decode()
    item = re.search(rf'data-event="{last.key}">(.*?)</li>', page, re.S).group(1)
    # Planned (kept in the history) and done, with the time, the operator and the recording.
    assert "Planned, but done on another day" in item
    done = re.search(r'data-testid="happened">(.*?)</div>', item, re.S).group(1)
    assert physician.printed_name in done and "recorded" in done
    assert local_day(late).isoformat() in done
    first = re.search(rf'data-event="{given[0].key}">(.*?)</li>', page, re.S).group(1)
    assert "Planned" in first and physician.printed_name in first
    # The lab steps recorded for the lot, with who recorded them.
    assert re.search(r'data-testid="happened">.*?Recorded', page, re.S)


def test_a_culture_over_weeks_shows_as_a_span_of_days(
    start_course, physician, resources, fixed_clock
):
    from tests.care.test_closing_days import scheduled

    course = scheduled(start_course, physician, "bm-msc-knee")
    culture = course.appointments.get(key="culture")
    first, last = local_day(culture.starts_at), local_day(culture.ends_at)
    page = signed_in(physician).get(f"/care/courses/{course.pk}/").content.decode()
    item = re.search(r'data-event="culture">(.*?)</li>', page, re.S).group(1)
    span = re.search(r'data-testid="span">(.*?)</span>', item).group(1)
    assert re.sub(r"<[^>]+>", "", span) == f"{(last - first).days} days · {first} → {last}"
    assert (last - first).days == 21  # the seed's 3 weeks
