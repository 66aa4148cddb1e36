"""Identifiers of the chain of identity: ISO/IEC 7064 MOD 37-2, ISBT 128-shaped DIN and CoI.

Rules from ``shared/domain/identifiers-and-labels.md`` (ICCBBA ST-001 v6.2.2):

* MOD 37-2 (ST-001 Appendix A): values 0-9 -> 0-9, A-Z -> 10-35, ``*`` -> 36 (result only);
  ``p = ((p + v(c)) * 2) mod 37`` over the input, check value ``(38 - p) mod 37``.
* Donation-style identifier (Data Structure 001): ``αppppyynnnnnn`` (13 characters), optional
  flags ``ff``; Type 3 flags are ``60 + checksum`` of the 13 characters.
* Chain-of-identity identifier (Data Structure 040): ``CH`` + facility + ``yy`` + 6 alphanumerics.
  K is computed over the whole 15-character data content string, ``CH`` included (ST-001 §7.5:
  "calculated from the data content"; recorded as a decision in docs/adr/0003).
* Unit identifier (docs/adr/0006): one DIN per collection; each unit of it is the DIN plus its
  ISBT division code ``ds`` (Data Structure 003 positions 7-8): ``00`` undivided (the specimen),
  ``A0``..``Z0`` first-level divisions, ``Aa``.. second-level.  K and the Type 3 flags of a unit
  cover the DIN *and* the division, so a typed or damaged division never names a sibling unit.
  MOD 37-2 has no lower case: a second-level ``s`` counts as its capital (``Aa`` as ``AA``, which
  is not itself a division code).

A real ICCBBA facility number never starts with ``0`` or ``O``.  A clinic without a licence gets
an *internal* facility code starting with ``0``: same structure, same check character, and it can
never be mistaken for real ISBT 128.  Internal barcodes carry no ISBT data identifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_INPUT = frozenset(ALPHABET[:36])

FACILITY_ISBT = re.compile(r"^[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{2}$")
FACILITY_INTERNAL = re.compile(r"^0[A-NP-Z0-9]{2}[0-9]{2}$")
_FACILITY = r"[A-NP-Z0-9][A-NP-Z0-9]{2}[0-9]{2}"
DIN_SHAPE = re.compile(rf"^({_FACILITY})([0-9]{{2}})([0-9]{{6}})$")
COI_SHAPE = re.compile(rf"^CH({_FACILITY})([0-9]{{2}})([A-Z0-9]{{6}})$")
FLAG_SHAPE = re.compile(r"^[0-9]{2}$")
DIVISION_SHAPE = re.compile(r"^(00|[A-Z][0a-z])$")
SPECIMEN_DIVISION = "00"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

DIN_DATA_IDENTIFIER = "="
COI_DATA_IDENTIFIER = "&/"
COMPOUND_DATA_IDENTIFIER = "=+"  # Data Structure 023
DIVISIONS_DATA_IDENTIFIER = "=,"  # Data Structure 032
# A compound of two structures (aa = 02) in no ICCBBA-registered sequence (bbb = 000).
UNIT_COMPOUND_HEADER = "=+02000"


class IdentifierError(ValueError):
    """A string is not a valid identifier; the message says exactly why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Kind(StrEnum):
    """What an identifier names."""

    DIN = "din"  # one collection or product unit
    COI = "coi"  # one treatment course (chain of identity)


class Scheme(StrEnum):
    """Who issued the facility number."""

    ISBT128 = "isbt128"
    INTERNAL = "internal"


def char_value(char: str) -> int:
    """Return the MOD 37-2 value of one input character (0-9, A-Z)."""
    if char not in _INPUT:
        raise IdentifierError("bad_character", f"{char!r} is not one of 0-9 and A-Z")
    return ALPHABET.index(char)


def check_value(data: str) -> int:
    """Return the ISO/IEC 7064 MOD 37-2 checksum (0..36) of ``data`` (0-9, A-Z only)."""
    if not data:
        raise IdentifierError("empty", "there are no characters to check")
    for position, char in enumerate(data, start=1):
        if char not in _INPUT:
            reason = "lower case is not allowed" if char.islower() else "only 0-9 and A-Z"
            raise IdentifierError(
                "bad_character", f"character {position} ({char!r}) is not allowed: {reason}"
            )
    p = 0
    for char in data:
        p = ((p + ALPHABET.index(char)) * 2) % 37
    return (38 - p) % 37


def check_character(data: str) -> str:
    """Return the MOD 37-2 check character K of ``data``."""
    return ALPHABET[check_value(data)]


def type3_flags(din: str) -> str:
    """Return the Type 3 flag characters (60 + checksum) of a 13-character DIN."""
    return f"{60 + check_value(din):02d}"


def facility_scheme(facility: str) -> Scheme:
    """Say whether a facility code is a real ICCBBA FIN or an internal code; refuse others."""
    if FACILITY_ISBT.match(facility):
        return Scheme.ISBT128
    if FACILITY_INTERNAL.match(facility):
        return Scheme.INTERNAL
    raise IdentifierError(
        "bad_facility",
        f"{facility!r} is not a facility code: 5 characters, letter or digit (not O), two letters "
        "or digits (not O), two digits; internal codes start with 0",
    )


@dataclass(frozen=True)
class Identifier:
    """A validated identifier: its kind, data content string and parts."""

    kind: Kind
    # 13 characters for a DIN, 15 for a unit (DIN + division) or a CoI (with CH)
    data: str
    facility: str
    year: str
    sequence: str
    flags: str = ""
    division: str = ""  # a unit's division code; "" for a DIN alone (and units made before)

    @property
    def scheme(self) -> Scheme:
        """ISBT 128 for a real facility number, internal otherwise."""
        return facility_scheme(self.facility)

    @property
    def din(self) -> str:
        """The 13-character donation identification number (a unit's DIN without division)."""
        return self.data[:13] if self.kind is Kind.DIN else ""

    @property
    def checkable(self) -> str:
        """What K and the Type 3 flags are computed over: the data, a division in capitals."""
        return self.data[:13] + self.data[13:].upper() if self.division else self.data

    @property
    def check(self) -> str:
        """The keyboard-entry check character K, printed boxed next to the text."""
        return check_character(self.checkable)

    @property
    def barcode(self) -> str:
        """The barcode data: ISBT data identifiers for real FINs, self-checking for internal.

        Internal: the data and its Type 3 flags (a unit: DIN + division + flags).  ISBT 128: the
        DIN (Data Structure 001); a unit's is a compound message (023) of the DIN with its own
        flags and the division as Product Divisions (032, ``0000`` + the code in capitals).
        """
        if self.kind is Kind.DIN:
            flags = self.flags or type3_flags(self.checkable)
            if self.scheme is Scheme.INTERNAL:
                return f"{self.data}{flags}"
            if not self.division:
                return f"{DIN_DATA_IDENTIFIER}{self.data}{flags}"
            return (
                f"{UNIT_COMPOUND_HEADER}{DIN_DATA_IDENTIFIER}{self.din}{type3_flags(self.din)}"
                f"{DIVISIONS_DATA_IDENTIFIER}0000{self.division.upper()}"
            )
        if self.scheme is Scheme.ISBT128:
            return f"{COI_DATA_IDENTIFIER}{self.data}"
        return f"{self.data}{self.check}"

    @property
    def eye_readable(self) -> str:
        """The printed text in groups (facility, year, sequence, division), without K."""
        head = "CH " if self.kind is Kind.COI else ""
        tail = f" {self.division}" if self.division else ""
        return f"{head}{self.facility} {self.year} {self.sequence}{tail}"


def division_code(index: int, count: int) -> str:
    """The division code of final unit ``index`` (1-based) of ``count`` made from one product.

    Up to 26 units are first-level divisions A0..Z0; more are second-level divisions in groups
    of 26 (Aa..Az, Ba..), so no code of one unit reads as the parent of another.
    """
    if not 1 <= index <= count <= 26 * 26:
        raise IdentifierError("bad_division", f"no division code for unit {index} of {count}")
    if count <= 26:
        return _LETTERS[index - 1] + "0"
    group, member = divmod(index - 1, 26)
    return _LETTERS[group] + _LETTERS[member].lower()


def donation_of(unit: Identifier) -> Identifier:
    """The DIN a unit carries, as an identifier of its own (the donation, no division)."""
    if unit.kind is not Kind.DIN:
        raise IdentifierError("not_a_unit", "a chain-of-identity identifier has no DIN")
    return replace(unit, data=unit.din, division="", flags=type3_flags(unit.din))


def make_unit(din: Identifier, division: str) -> Identifier:
    """The identifier of one unit of a donation: its DIN and division code, with their flags."""
    if din.kind is not Kind.DIN or din.division:
        raise IdentifierError("bad_shape", "a unit is identified from a DIN without division")
    if not DIVISION_SHAPE.match(division):
        raise IdentifierError("bad_division", _DIVISION_RULE)
    unit = replace(din, data=din.data + division, division=division)
    return replace(unit, flags=type3_flags(unit.checkable))


def make_din(facility: str, year: int, sequence: int) -> Identifier:
    """Build the donation-style identifier for a facility, nominal year and sequence number."""
    facility_scheme(facility)
    if not 0 <= sequence <= 999_999:
        raise IdentifierError("sequence_exhausted", "the year's 999,999 numbers are used up")
    data = f"{facility}{year % 100:02d}{sequence:06d}"
    return Identifier(Kind.DIN, data, facility, data[5:7], data[7:], type3_flags(data))


def make_coi(facility: str, year: int, serial: str) -> Identifier:
    """Build the chain-of-identity identifier from a facility, year and 6-character serial."""
    facility_scheme(facility)
    data = f"CH{facility}{year % 100:02d}{serial}"
    if not COI_SHAPE.match(data):
        raise IdentifierError("bad_serial", "the serial must be 6 characters 0-9 or A-Z")
    return Identifier(Kind.COI, data, facility, data[7:9], data[9:])


_DIVISION_RULE = (
    "a division code is 00, or a capital letter followed by 0 or by a small letter (A0, Ba)"
)


def _unit(data: str, flags: str = "") -> Identifier:
    """A 15-character unit identifier: DIN (13) and division code (2)."""
    if not DIVISION_SHAPE.match(data[13:]):
        raise IdentifierError(
            "bad_shape",
            "a unit identifier is the DIN (13 characters) and its division code; " + _DIVISION_RULE,
        )
    return replace(_din(data[:13]), data=data, flags=flags, division=data[13:])


def _din(data: str, flags: str = "") -> Identifier:
    match = DIN_SHAPE.match(data)
    if not match:
        raise IdentifierError(
            "bad_shape",
            "a DIN is 13 characters: facility (5), year (2 digits), sequence (6 digits)",
        )
    facility_scheme(match.group(1))
    return Identifier(Kind.DIN, data, match.group(1), match.group(2), match.group(3), flags)


def _coi(data: str) -> Identifier:
    match = COI_SHAPE.match(data)
    if not match:
        raise IdentifierError(
            "bad_shape",
            "a chain-of-identity identifier is CH, facility (5), year (2 digits), "
            "serial (6 letters or digits)",
        )
    facility_scheme(match.group(1))
    return Identifier(Kind.COI, data, match.group(1), match.group(2), match.group(3))


def _check_flags(identifier: Identifier) -> Identifier:
    flags = identifier.flags
    if not FLAG_SHAPE.match(flags):
        raise IdentifierError("bad_flags", f"flag characters {flags!r} must be two digits")
    number = int(flags)
    if 60 <= number <= 96 and number != 60 + check_value(identifier.checkable):
        raise IdentifierError(
            "wrong_check",
            f"the Type 3 flags {flags} do not match the identifier (expected "
            f"{type3_flags(identifier.checkable)}); the label or the scan is damaged",
        )
    if number in (14, 97, 98, 99):
        raise IdentifierError("bad_flags", f"flag value {flags} is reserved")
    return identifier


def _checked_flags(identifier: Identifier) -> Identifier:
    """Without the ISBT data identifier the flags are all that checks the entry: Type 3 only."""
    if not 60 <= int(identifier.flags) <= 96:
        raise IdentifierError(
            "missing_check",
            f"flags {identifier.flags} carry no check character; type the identifier with its "
            "check character K, or scan its barcode",
        )
    return identifier


def _check_k(identifier: Identifier, typed: str) -> Identifier:
    if typed != identifier.check:
        raise IdentifierError(
            "wrong_check",
            f"the check character {typed!r} does not match (the identifier's is "
            f"{identifier.check!r}); check the typed characters",
        )
    return identifier


def parse(text: str) -> Identifier:
    """Parse a scan or typed entry into a validated identifier, or say exactly what is wrong.

    Accepted: ISBT barcodes (``=`` DIN + flags, ``&/`` CoI, ``=+`` unit compound), internal
    barcodes (DIN or unit + Type 3 flags, CoI + K), and typed entries with their check character
    K (spaces allowed): DIN + K for units made before divisions, DIN + division + K for a unit.
    """
    raw = text.strip()
    if not raw:
        raise IdentifierError("empty", "nothing was scanned or typed")
    compact = raw.replace(" ", "")
    _refuse_lower_case(compact)
    if raw.startswith(COMPOUND_DATA_IDENTIFIER):
        return _compound(raw)
    if raw.startswith(COI_DATA_IDENTIFIER):
        identifier = _coi(raw[2:])
        return _isbt_only(identifier)
    if raw.startswith(DIN_DATA_IDENTIFIER):
        body = raw[1:]
        if len(body) != 15:
            raise IdentifierError("bad_shape", "an ISBT DIN barcode is = plus 15 characters")
        return _isbt_only(_check_flags(_din(body[:13], body[13:])))
    if any(not char.isalnum() and char != "*" for char in compact):
        raise IdentifierError("bad_character", "only letters, digits, spaces and * are allowed")
    if compact.startswith("CH") and len(compact) == 16:
        return _coi_or_unit(compact)
    if compact.startswith("CH") and len(compact) == 15:
        raise IdentifierError(
            "missing_check", "type the check character K after a chain-of-identity identifier"
        )
    if len(compact) == 17:
        return _checked_flags(_check_flags(_unit(compact[:15], compact[15:])))
    if len(compact) == 16:
        return _check_k(_unit(compact[:15]), compact[15])
    if len(compact) == 15 and compact[13].isalpha():
        _unit(compact)  # a division code where flags would be: refuse a bad one by its rule
        raise IdentifierError(
            "missing_check", "type the check character K after the unit's division code"
        )
    if len(compact) == 15:
        return _checked_flags(_check_flags(_din(compact[:13], compact[13:])))
    if len(compact) == 14:
        return _check_k(_din(compact[:13]), compact[13])
    if len(compact) == 13:
        raise IdentifierError("missing_check", "type the check character K after the identifier")
    raise IdentifierError(
        "bad_shape",
        f"{len(compact)} characters is not the length of a DIN (13 + K or flags), a unit "
        "(DIN + division + K or flags) or a chain-of-identity identifier (CH + 13 + K)",
    )


def _refuse_lower_case(compact: str) -> None:
    """Lower case only as the second character of a division code, never anywhere else."""
    allowed = (
        len(compact) in (16, 17)
        and compact[:2] != "=+"
        and compact[13:14].isupper()
        and compact[14:15].islower()
    )
    for position, char in enumerate(compact):
        if char.islower() and not (allowed and position == 14):
            raise IdentifierError(
                "lower_case",
                "lower-case letters are not allowed (is the scanner's Caps Lock on?)",
            )


def _coi_or_unit(compact: str) -> Identifier:
    """16 characters from CH: a CoI + K, or a unit + K of a facility whose FIN starts CH."""
    found: list[Identifier] = []
    refusals: list[IdentifierError] = []
    for read in (_coi, _unit):
        try:
            found.append(_check_k(read(compact[:15]), compact[15]))
        except IdentifierError as error:
            refusals.append(error)
    if len(found) == 1:
        return found[0]
    if found:
        raise IdentifierError(
            "ambiguous",
            "these characters read as a chain identifier and as a unit; scan the barcode instead",
        )
    # The refusal of the reading whose shape fits: a unit of a CH… facility with a wrong K is a
    # wrong check, not a malformed chain identifier; else the chain identifier it most likely is.
    fitting = [error for error in refusals if error.code != "bad_shape"]
    raise (fitting or refusals)[0]


def _compound(raw: str) -> Identifier:
    """An ISBT unit barcode: =+02000, the DIN (=, 15) and Product Divisions (=,0000ds)."""
    if not raw.startswith(UNIT_COMPOUND_HEADER) or len(raw) != len(UNIT_COMPOUND_HEADER) + 24:
        raise IdentifierError(
            "bad_shape", "a unit's compound barcode is =+02000, the DIN and its division"
        )
    din_part, divisions = raw[7:23], raw[23:]
    if not din_part.startswith(DIN_DATA_IDENTIFIER) or not divisions.startswith(
        DIVISIONS_DATA_IDENTIFIER + "0000"
    ):
        raise IdentifierError(
            "bad_shape", "a unit's compound barcode holds =DIN+flags and then =,0000 + division"
        )
    din = _check_flags(_isbt_only(_din(din_part[1:14], din_part[14:])))
    code = divisions[6:]
    division = code[0] + (code[1].lower() if code[1].isalpha() else code[1])
    return make_unit(replace(din, flags=""), division)


def _isbt_only(identifier: Identifier) -> Identifier:
    if identifier.scheme is Scheme.INTERNAL:
        raise IdentifierError(
            "internal_with_isbt",
            "an internal facility code (starting with 0) never carries ISBT data identifiers",
        )
    return identifier


_FACILITY_CHARS = "0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no letter O


def internal_facility(number: int) -> str:
    """The internal facility code of site ``number`` (1..1225): 0 + two characters + 01."""
    if not 1 <= number <= len(_FACILITY_CHARS) ** 2:
        raise IdentifierError("bad_facility", "internal facility codes cover sites 1 to 1225")
    high, low = divmod(number - 1, len(_FACILITY_CHARS))
    return f"0{_FACILITY_CHARS[high]}{_FACILITY_CHARS[low]}01"
