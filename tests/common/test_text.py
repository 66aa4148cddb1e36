"""Names printed on wristbands and labels refuse bidi overrides and zero-width characters;
Persian names keep the zero-width non-joiner inside a word."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autologic.common.domain.errors import ValidationFailed
from autologic.common.domain.text import check_free_text, check_printed_name

ZWNJ = "\u200c"

PERSIAN_WITH_ZWNJ = [
    f"می{ZWNJ}خواهم",
    f"علی{ZWNJ}اکبر",
    f"حسین{ZWNJ}زاده",
    f"نیک{ZWNJ}نام",
    f"شاه{ZWNJ}حسینی",
    f"خانه{ZWNJ}دار",
    f"مِی{ZWNJ}خواهم",  # a vowel mark between the letter and the ZWNJ
    f"صالح{ZWNJ}آبادی",
]
VALID = [
    *PERSIAN_WITH_ZWNJ,
    "محمدرضا",
    "عبد الله",
    "محمد بن راشد آل مكتوم",
    "فاطمة الزهراء",
    "Müller-Lüdenscheidt",
    "García Márquez",
    "O'Brien",
    "Nguyễn Thị Minh Khai",
    "Ægir Þórsson",
]


@pytest.mark.parametrize("name", PERSIAN_WITH_ZWNJ)
def test_persian_names_with_zwnj_stay_valid(name):
    assert check_printed_name(name) == name


@pytest.mark.parametrize("name", VALID)
def test_persian_arabic_and_latin_names_pass(name):
    assert check_printed_name(name) == name


@pytest.mark.parametrize(
    "character",
    [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200b",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u200e",
        "\u200f",
        "\u061c",
    ],
)
@pytest.mark.parametrize("name", ["Müller", "علی", "Ali Akbar"])
def test_names_refuse_bidi_overrides_and_zero_width(character, name):
    for text in (character + name, name + character, name[:2] + character + name[2:]):
        with pytest.raises(ValidationFailed) as refused:
            check_printed_name(text)
        assert refused.value.code == "invisible_character"
        assert refused.value.data["character"] == f"U+{ord(character):04X}"


@pytest.mark.parametrize(
    "text",
    [
        f"{ZWNJ}علی",  # leading
        f"علی{ZWNJ}",  # trailing
        f"علی{ZWNJ}{ZWNJ}اکبر",  # doubled
        f"علی {ZWNJ}اکبر",  # next to a space
        f"علی{ZWNJ} اکبر",
        f"محمد{ZWNJ}رضا",  # د never joins the next letter: the ZWNJ changes nothing visible
        f"Ali{ZWNJ}Akbar",  # Latin letters do not join
        f"علی{ZWNJ}Akbar",
        f"ع{ZWNJ}1",
    ],
)
def test_names_refuse_a_zwnj_that_joins_nothing(text):
    with pytest.raises(ValidationFailed) as refused:
        check_printed_name(text)
    assert refused.value.code == "stray_zwnj"


def test_the_refusal_names_the_field():
    with pytest.raises(ValidationFailed) as refused:
        check_printed_name("\u202eevil", field="family_name")
    assert refused.value.field == "family_name"


@given(st.text(max_size=30))
def test_names_pass_only_without_invisible_format_characters(text):
    try:
        check_printed_name(text)
    except ValidationFailed as refused:
        assert refused.code in {"invisible_character", "stray_zwnj"}
    else:
        for ch in text:
            assert ch == ZWNJ or ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068"
            assert ch not in "\u2069\u200b\u200d\u2060\ufeff"


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("character", list(BIDI_CONTROLS))
def test_free_text_refuses_bidi_overrides(character):
    with pytest.raises(ValidationFailed) as refused:
        check_free_text(f"Give 5 mL{character} of ACS", field="notes")
    assert refused.value.code == "bidi_control"
    assert refused.value.field == "notes"
    assert refused.value.data["character"] == f"U+{ord(character):04X}"


@pytest.mark.parametrize(
    "text",
    [
        f"بیمار می{ZWNJ}خواهد تزریق را به هفته{ZWNJ}ی بعد بیندازد.",  # ZWNJ inside words
        "Knie links\u200e (MRT 2026)\u200f",  # direction marks in mixed text are harmless
        "Zeile eins\nZeile zwei\ttabuliert",
        "",
    ],
)
def test_free_text_keeps_persian_zwnj_marks_and_line_breaks(text):
    assert check_free_text(text) == text
