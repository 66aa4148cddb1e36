"""Typed text that could mislead: names printed on wristbands, labels and signatures, and the
free text of clinical records.

Free text (notes, descriptions, reasons) refuses only the bidi embedding, override and isolate
controls: they can show "5 mL" as "Lm 5" or move words around, and no keyboard types them.
Persian ZWNJ, direction marks (U+200E/U+200F) and line breaks stay.

Names must print exactly as stored: no invisible character may change how they read.

Bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) can show a name's letters in another
order than they are stored; zero-width characters (U+200B, U+200D, U+2060, U+FEFF) and the other
invisible format characters make two names that look the same compare different. All are
refused. The one exception is the zero-width non-joiner (U+200C), which Persian writes inside
words ("می‌خواهم"): it stays valid where it has a visible effect, between a letter that would
join the next one and a letter that would join back. Leading, trailing, doubled, or next to a
space, a Latin letter or a letter that never joins forward (ا د ذ ر ز ژ و …), it changes
nothing on paper and is refused.
"""

from __future__ import annotations

import sys
import unicodedata

from autologic.common.domain.errors import ValidationFailed

ZWNJ = "\u200c"
VIRAMA = 9  # canonical combining class: an Indic virama before a ZWNJ asks for a half form

# Arabic-script letters that join only the letter before them (Unicode ArabicShaping.txt,
# joining type R), and those that join nothing (U). Every other Arabic letter joins both ways.
_RIGHT_JOINING = frozenset(
    "\u0622\u0623\u0624\u0625\u0627\u0629\u062f\u0630\u0631\u0632\u0648\u0671\u0672\u0673"
    "\u0675\u0676\u0677\u06c0\u06c3\u06c4\u06c5\u06c6\u06c7\u06c8\u06c9\u06ca\u06cb\u06cd"
    "\u06cf\u06d2\u06d3\u06d5\u06ee\u06ef\u0759\u075a\u075b\u076b\u076c\u0771"
    + "".join(chr(c) for c in range(0x0688, 0x069A))
)
_NON_JOINING = frozenset("\u0621\u0674")
_TATWEEL = "\u0640"  # the joining stroke: joins both ways
_ARABIC_BLOCKS = ((0x0620, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF))
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_free_text(text: str, field: str | None = None) -> str:
    """Return free text unchanged, or refuse a bidi control that could reorder what it shows."""
    for position, ch in enumerate(text):
        if ch in BIDI_CONTROLS:
            code = f"U+{ord(ch):04X}"
            raise ValidationFailed(
                "bidi_control",
                f"The text contains a direction control ({code}) that can show it in another "
                "order than it was typed; remove it.",
                field,
                {"character": code, "position": position},
            )
    return text


def check_printed_name(text: str, field: str | None = None) -> str:
    """Return the name unchanged, or refuse an invisible character that could mislead."""
    for position, ch in enumerate(text):
        if ch == ZWNJ:
            if not _zwnj_has_effect(text, position):
                raise ValidationFailed(
                    "stray_zwnj",
                    "The text has a zero-width non-joiner (U+200C) that joins nothing here; "
                    "keep it only inside a word, between the two letters it separates.",
                    field,
                    {"character": "U+200C", "position": position},
                )
        elif unicodedata.category(ch) in ("Cf", "Cc"):
            code = f"U+{ord(ch):04X}"
            raise ValidationFailed(
                "invisible_character",
                f"The text contains an invisible character ({code}) that can change how it "
                "reads; remove it.",
                field,
                {"character": code, "position": position},
            )
    return text


def _zwnj_has_effect(text: str, position: int) -> bool:
    after = _letter(text, position, +1)
    if after is None:
        return False
    if position > 0 and unicodedata.combining(text[position - 1]) == VIRAMA:
        return True
    before = _letter(text, position, -1)
    return before is not None and _joins_next(before) and _joins_previous(after)


def _letter(text: str, position: int, step: int) -> str | None:
    """The nearest neighbour that is not a vowel mark, if it is a letter."""
    index = position + step
    while 0 <= index < len(text) and unicodedata.category(text[index]) == "Mn":
        index += step
    if not 0 <= index < len(text):
        return None
    ch = text[index]
    return ch if unicodedata.category(ch).startswith("L") or ch == _TATWEEL else None


def _arabic(ch: str) -> bool:
    return any(low <= ord(ch) <= high for low, high in _ARABIC_BLOCKS)


def _joins_next(ch: str) -> bool:
    return _arabic(ch) and ch not in _RIGHT_JOINING and ch not in _NON_JOINING


def _joins_previous(ch: str) -> bool:
    return _arabic(ch) and ch not in _NON_JOINING


def _escape(code: int) -> str:
    # BMP characters as \uXXXX, which every regular-expression dialect reads; others literally.
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _ranges(codes: list[int]) -> str:
    """A character-class body for ascending code points, runs written as ranges."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in runs)


def printed_name_pattern(spaces: str) -> str:
    """The regular expression of the names ``check_printed_name`` accepts, for a schema: no
    control or invisible format character, a ZWNJ only between a letter that joins forward and
    one that joins back, and at least one character outside ``spaces`` (a class body).

    It is a little stricter than the check, which also looks past vowel marks next to a ZWNJ.
    """
    invisible = [
        c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cf", "Cc")
    ]
    letters = [
        c
        for low, high in _ARABIC_BLOCKS
        for c in range(low, high + 1)
        if unicodedata.category(chr(c)).startswith("L") or chr(c) == _TATWEEL
    ]
    forward = _ranges([c for c in letters if _joins_next(chr(c))])
    back = _ranges([c for c in letters if _joins_previous(chr(c))])
    hidden = _ranges(invisible)
    joined = f"(?:[{forward}]\\u200c)+[{back}]"
    unit = f"(?:[^{hidden}]|{joined})"
    return f"{unit}*(?:[^{hidden}{spaces}]|{joined}){unit}*"
