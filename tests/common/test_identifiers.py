"""MOD 37-2 and the identifier formats, checked against the rule text and an independent
implementation (python-stdnum), never against this module's own output."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_2

from autologic.common.domain.identifiers import (
    IdentifierError,
    Kind,
    Scheme,
    check_character,
    division_code,
    internal_facility,
    make_coi,
    make_din,
    make_unit,
    parse,
    type3_flags,
)

VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
inputs = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=30)


def weighted_sum_check(data: str) -> str:
    """The rule's weighted-sum form: weight 2^(n-i+1), checksum (38 - S mod 37) mod 37."""
    n = len(data)
    total = sum(VALUES.index(c) * 2 ** (n - i + 1) for i, c in enumerate(data, start=1))
    return VALUES[(38 - total % 37) % 37]


def test_the_iso_example_from_python_stdnum():
    assert check_character("G123498654321") == "H"


@given(inputs)
def test_check_character_matches_python_stdnum(data):
    assert check_character(data) == mod_37_2.calc_check_digit(data)


@given(inputs)
def test_check_character_matches_the_weighted_sum_form(data):
    assert check_character(data) == weighted_sum_check(data)


@given(inputs)
def test_string_with_its_check_character_is_congruent_to_one(data):
    n = len(data)
    total = sum(VALUES.index(c) * 2 ** (n - i + 1) for i, c in enumerate(data, start=1))
    assert (total + VALUES.index(check_character(data))) % 37 == 1


@given(inputs, st.data())
def test_any_single_substitution_is_detected(data, draw):
    position = draw.draw(st.integers(0, len(data) - 1))
    other = draw.draw(st.sampled_from([c for c in VALUES[:36] if c != data[position]]))
    changed = data[:position] + other + data[position + 1 :]
    assert check_character(changed) != check_character(data)


@given(st.from_regex(r"[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{2}", fullmatch=True), st.integers(0, 999999))
def test_type3_flags_are_sixty_plus_the_checksum(facility, sequence):
    din = make_din(facility, 2026, sequence)
    assert din.flags == type3_flags(din.data)
    assert int(din.flags) == 60 + VALUES.index(mod_37_2.calc_check_digit(din.data))
    assert parse("=" + din.data + din.flags) == din


def test_lower_case_and_foreign_characters_are_refused():
    with pytest.raises(IdentifierError, match="lower case"):
        check_character("g123")
    with pytest.raises(IdentifierError, match="not allowed"):
        check_character("A-1")


def test_internal_facility_codes_never_look_like_a_real_fin():
    codes = {internal_facility(n) for n in range(1, 1226)}
    assert len(codes) == 1225
    for code in codes:
        assert code.startswith("0")
        assert "O" not in code
    din = make_din(internal_facility(7), 2026, 42)
    assert din.scheme is Scheme.INTERNAL
    assert din.barcode == din.data + din.flags  # no ISBT data identifier


def test_a_real_fin_gets_isbt_data_identifiers():
    din = make_din("A9999", 2026, 1)
    assert din.barcode == f"=A999926000001{din.flags}"
    coi = make_coi("A9999", 2026, "K7P2Q9")
    assert coi.barcode == "&/CHA999926K7P2Q9"
    assert parse(coi.barcode) == coi


def test_typed_entry_needs_the_right_check_character():
    din = make_din("0AB01", 2026, 123)
    assert parse(f"0AB01 26 000123 {din.check}").data == din.data
    wrong = VALUES[(VALUES.index(din.check) + 1) % 36]
    with pytest.raises(IdentifierError, match="does not match") as refused:
        parse(f"0AB0126000123{wrong}")
    assert refused.value.code == "wrong_check"
    with pytest.raises(IdentifierError, match="type the check character"):
        parse("0AB0126000123")


def test_damaged_type3_flags_are_refused():
    din = make_din("0AB01", 2026, 123)
    bad = str(60 + (int(din.flags) - 60 + 1) % 37)
    with pytest.raises(IdentifierError, match="Type 3 flags"):
        parse(din.data + bad)


def test_internal_codes_with_isbt_data_identifiers_are_refused():
    din = make_din("0AB01", 2026, 1)
    with pytest.raises(IdentifierError, match="never carries ISBT"):
        parse("=" + din.data + din.flags)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("0ab0126000001", "lower_case"),
        ("0AB01-26-000001", "bad_character"),
        ("0AB012600000", "bad_shape"),
        ("OAB0126000001X", "bad_shape"),  # letter O where the facility begins
        ("CH0AB0126K7P2Q9", "missing_check"),
        ("=A99992600000", "bad_shape"),
    ],
)
def test_malformed_scans_say_what_is_wrong(text, code):
    with pytest.raises(IdentifierError) as refused:
        parse(text)
    assert refused.value.code == code
    assert refused.value.message


@pytest.mark.parametrize("text", ["G12341765432100", "0AB012600012400", "0AB0126000124 13"])
def test_typed_identifier_always_needs_its_check_character(text):
    # Issue 14: any 15 characters were read as identifier + flags, so flags 00 (or any Type 1/2
    # value) let a typed identifier through unchecked.  Only Type 3 flags carry a check.
    with pytest.raises(IdentifierError) as refused:
        parse(text)
    assert refused.value.code == "missing_check"
    assert "check character" in refused.value.message


def test_an_isbt_barcode_may_still_carry_type_1_flags():
    # With the data identifier "=" the scan comes from a real ISBT 128 barcode, which checks
    # itself; Type 1 flags (00) are what a blood-bank label may print.
    assert parse("=G12341765432100").flags == "00"


def test_coi_check_character_covers_the_ch_prefix():
    coi = make_coi("0AB01", 2026, "K7P2Q9")
    assert coi.kind is Kind.COI
    assert coi.check == mod_37_2.calc_check_digit("CH0AB0126K7P2Q9")
    assert parse(coi.barcode) == coi


def test_one_donation_identifier_per_collection_division_codes_follow_isbt():
    # ST-001 DS 003 ds: first-level divisions are a capital and 0, second-level a capital and a
    # small letter; the undivided product is 00.
    assert [division_code(i, 6) for i in range(1, 7)] == ["A0", "B0", "C0", "D0", "E0", "F0"]
    assert division_code(26, 26) == "Z0"
    assert [division_code(i, 48) for i in (1, 2, 26, 27, 48)] == ["Aa", "Ab", "Az", "Ba", "Bv"]
    for count in (1, 6, 26, 27, 48):
        assert len({division_code(i, count) for i in range(1, count + 1)}) == count
    with pytest.raises(IdentifierError):
        division_code(7, 6)


units = st.tuples(
    st.from_regex(r"[A-NP-Z0-9][A-NP-Z0-9]{2}[0-9]{2}", fullmatch=True).filter(
        lambda f: f[0] != "O"
    ),
    st.integers(0, 999_999),
    st.integers(1, 48),
    st.integers(1, 48),
)


@given(units)
def test_one_donation_identifier_per_collection_k_and_flags_cover_the_division(drawn):
    facility, sequence, index, count = drawn
    index = min(index, count)
    din = make_din(facility, 2026, sequence)
    division = division_code(index, count)
    unit = make_unit(din, division)
    assert unit.data == din.data + division and unit.din == din.data
    # The oracle: python-stdnum over the DIN and the division, its small letter as a capital.
    expected = mod_37_2.calc_check_digit(din.data + division.upper())
    assert unit.check == expected
    assert int(unit.flags) == 60 + VALUES.index(expected)
    assert parse(unit.data + unit.check).data == unit.data
    assert parse(unit.barcode) == unit
    assert parse(f"{unit.eye_readable} {unit.check}").data == unit.data


@given(units)
def test_one_donation_identifier_per_collection_a_wrong_division_never_names_a_sibling(drawn):
    # MOD 37-2 catches every single substitution: a division typed or read with one wrong
    # character never passes as a sibling of the same donation.
    facility, sequence, index, count = drawn
    index = min(index, count)
    din = make_din(facility, 2026, sequence)
    unit = make_unit(din, division_code(index, count))
    siblings = [make_unit(din, division_code(i, count)) for i in range(1, count + 1) if i != index]
    near = [
        s
        for s in siblings
        if sum(a != b for a, b in zip(s.division, unit.division, strict=True)) == 1
    ]
    for sibling in near:
        with pytest.raises(IdentifierError) as refused:
            parse(sibling.data + unit.check)
        assert refused.value.code == "wrong_check"
        with pytest.raises(IdentifierError) as refused:
            parse(sibling.data + unit.flags)
        assert refused.value.code == "wrong_check"


def test_one_donation_identifier_per_collection_isbt_unit_is_a_compound_message():
    din = make_din("A9999", 2026, 5)
    flags = 60 + VALUES.index(mod_37_2.calc_check_digit("A99992600000" + "5"))
    first, second = make_unit(din, "A0"), make_unit(din, "Bc")
    # DS 023 (=+, two structures, no registered sequence), DS 001 (the DIN with its own Type 3
    # flags) and DS 032 (Product Divisions, the code in capitals).
    assert first.barcode == f"=+02000=A999926000005{flags}=,0000A0"
    assert second.barcode == f"=+02000=A999926000005{flags}=,0000BC"
    assert parse(second.barcode) == second and parse(first.barcode) == first
    with pytest.raises(IdentifierError, match="Type 3 flags"):
        parse(f"=+02000=A999926000005{60 + (flags - 59) % 37}=,0000A0")
    internal = make_din("0AB01", 2026, 5)
    with pytest.raises(IdentifierError, match="never carries ISBT"):
        parse(f"=+02000={internal.data}{internal.flags}=,0000A0")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0AB0126000001a0X", "lower_case"),  # a Caps Lock scanner turns A0 into a0
        ("0ab0126000001Ab", "lower_case"),
        ("0AB0126000001A0", "missing_check"),
        ("0AB0126000001AA", "bad_shape"),  # a capital second letter is not a division
        ("0AB01260000010A", "bad_flags"),
    ],
)
def test_one_donation_identifier_per_collection_malformed_unit_entries_are_refused(text, code):
    with pytest.raises(IdentifierError) as refused:
        parse(text)
    assert refused.value.code == code


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autologic.cli", "ids", *args],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_cli_prints_the_check_character_without_any_configuration():
    done = _cli("check-char", "G123498654321")
    assert (done.returncode, done.stdout) == (0, "H\n")


def test_cli_validate_exit_codes_and_reasons():
    din = make_din("0AB01", 2026, 5)
    good = _cli("validate", din.data + din.flags)
    assert good.returncode == 0
    assert "valid din" in good.stdout
    bad = _cli("validate", din.data + "61")
    assert bad.returncode == 1
    assert "Type 3 flags" in bad.stderr
    lower = _cli("check-char", "abc")
    assert lower.returncode == 1
    assert "lower case" in lower.stderr


def test_a_unit_of_a_ch_facility_with_a_wrong_check_is_a_wrong_check():
    """Found by hypothesis in CI: facility CH000, division A0 of 27 read with a sibling's
    division; the chain-identifier reading failed first and named the wrong reason."""
    din = make_din("CH000", 2026, 0)
    unit = make_unit(din, division_code(1, 27))
    sibling = make_unit(din, division_code(2, 27))
    with pytest.raises(IdentifierError) as refused:
        parse(sibling.data + unit.check)
    assert refused.value.code == "wrong_check"
