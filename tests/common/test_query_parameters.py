"""Numbers in query strings and hidden fields: odd digits and huge values never give a 500."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autologic.common.forms import int_or_none
from tests.adverse_events.conftest import (  # noqa: F401
    NOW,
    administration,
    fixed_clock,
    freezer,
    inject,
    knee,
    make_lot,
    manager,
    nurse,
    released,
    resources,
    start_course,
    tech,
)
from tests.conftest import signed_in

# "²" and "①" pass str.isdigit but int() refuses them; the rest are the usual suspects.
ODD = ["²", "①", "9" * 25, "-1", "1e3", " 7", "\x00", "١٢"]


@given(st.text(max_size=30))
def test_odd_numbers_in_query_parameters_are_read_or_ignored(text):
    value = int_or_none(text)
    assert value is None or 0 <= value < 10**18


def test_persian_and_arabic_digits_are_read():
    assert int_or_none("۱۲") == 12 and int_or_none("١٢") == 12 and int_or_none("²") is None


@pytest.mark.django_db
def test_odd_numbers_in_query_parameters_never_give_500(request, physician):
    dose = request.getfixturevalue("administration")
    client = signed_in(physician)
    appointment = dose.appointment
    course = appointment.course
    patient = course.patient
    eligibility = f"/clinical/{patient.pk}/assessments/{course.decision.assessment_id}/eligibility/"
    for odd in ODD:
        pages = [
            (f"/adverse-events/patients/{patient.pk}/new/", {"administration": odd}),
            (
                f"/outcomes/patients/{patient.pk}/enter/",
                {"appointment": odd, "region": odd, "instrument": "NRS"},
            ),
            (eligibility, {"protocol": odd, "regions": odd}),
        ]
        for url, params in pages:
            assert client.get(url, params).status_code in {200, 404}, (url, odd)
        posts = [
            (f"/injections/courses/{course.pk}/reserve/", {"next": odd}),
            (
                f"/injections/sessions/{appointment.pk}/units/{dose.unit_id}/issue/",
                {"version": odd},
            ),
        ]
        for url, data in posts:
            assert client.post(url, data).status_code in {302, 400, 409}, (url, odd)
