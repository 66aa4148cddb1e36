"""Properties that must hold for every date, not just the examples."""

from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from autologic.common.domain.calendars import Calendar, format_date, parse_date
from autologic.patients.domain import normalise_name

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(dates, st.sampled_from(list(Calendar)), st.sampled_from(["en", "fa"]))
def test_every_shown_date_reads_back_as_the_same_day(day, calendar, language):
    assert parse_date(format_date(day, calendar, language), calendar) == day


@given(st.text(max_size=40))
@example("\ufc7a")  # ARABIC LIGATURE THEH WITH YEH: its yeh only appears after decomposition
def test_name_folding_is_idempotent(text):
    once = normalise_name(text)
    assert normalise_name(once) == once
