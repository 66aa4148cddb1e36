"""Pure patient rules: name folding, MRN shape, birth-date sanity, search classification."""

from datetime import date

import pytest

from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import ValidationFailed
from autologic.patients.domain import (
    check_birth_date,
    name_key,
    normalise_mrn,
    normalise_name,
    parse_search,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Müller", "muller"),
        ("  GARCÍA   López ", "garcia lopez"),
        ("Straße", "strasse"),
        ("علي", "علی"),  # Arabic yeh typed on an Arabic keyboard matches the Persian letter
        ("كريمي", "کریمی"),
        ("Yılmaz IŞIK", "yilmaz isik"),
    ],
)
def test_names_fold_for_accent_and_script_insensitive_search(raw, folded):
    assert normalise_name(raw) == folded


def test_name_key_puts_the_family_name_first():
    assert name_key("Müller", "Jürgen") == "muller jurgen"


@pytest.mark.parametrize(("raw", "mrn"), [("d0000123", "D0000123"), (" 12-34 ", "12-34")])
def test_mrns_are_upper_cased(raw, mrn):
    assert normalise_mrn(raw) == mrn


@pytest.mark.parametrize("raw", ["", "-12", "ab cd", "x" * 21, "Ü123"])
def test_malformed_mrns_are_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as err:
        normalise_mrn(raw)
    assert err.value.field == "mrn"


def test_birth_dates_in_the_future_or_over_130_years_ago_are_refused():
    today = date(2026, 11, 21)
    assert check_birth_date(date(2026, 11, 21), today) == date(2026, 11, 21)
    with pytest.raises(ValidationFailed, match="future"):
        check_birth_date(date(2026, 11, 22), today)
    with pytest.raises(ValidationFailed, match="130"):
        check_birth_date(date(1895, 1, 1), today)


@pytest.mark.parametrize(
    ("text", "calendar", "kind", "value"),
    [
        ("1958-04-12", Calendar.GREGORIAN, "date", date(1958, 4, 12)),
        ("12.04.1958", Calendar.GREGORIAN, "date", date(1958, 4, 12)),
        ("1337/01/23", Calendar.JALALI, "date", date(1958, 4, 12)),
        ("d0000123", Calendar.GREGORIAN, "mrn", "D0000123"),
        ("Müller Jür", Calendar.GREGORIAN, "name", ("muller", "jur")),
        ("   ", Calendar.GREGORIAN, "empty", None),
    ],
)
def test_search_text_is_read_as_a_birth_date_an_mrn_or_names(text, calendar, kind, value):
    query = parse_search(text, calendar)
    assert query.kind == kind
    if kind == "date":
        assert query.birth_date == value
    elif kind == "mrn":
        assert query.mrn == value
    elif kind == "name":
        assert query.tokens == value


def test_control_characters_in_a_search_are_dropped():
    assert parse_search("\x00", Calendar.GREGORIAN).kind == "empty"
    assert parse_search("mül\x00ler", Calendar.GREGORIAN).tokens == ("muller",)
