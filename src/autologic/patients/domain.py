"""Patient rules: name normalisation for search, MRN shape, birth-date sanity, query parsing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from autologic.common.domain.calendars import Calendar, format_date, parse_date
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.domain.identifiers import check_character

MRN_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
MAX_AGE_YEARS = 130
# Arabic-script letters that Persian keyboards and older systems mix up.
# Turkish dotless i has no decomposition, so "Yılmaz" would never match "yilmaz" without this.
_PERSIAN_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200c": " ", "ı": "i"})


def _fold_once(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).translate(_PERSIAN_FOLD)
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("ß", "ss").split())


def normalise_name(text: str) -> str:
    """Fold a name for search: lower case, no accents, Persian letter variants unified."""
    # One pass is not always a fixed point: a presentation-form ligature only reveals its Arabic
    # letters after decomposition, and case folding can itself produce decomposable characters.
    folded = _fold_once(text)
    for _ in range(3):
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded


def name_key(family_name: str, given_name: str) -> str:
    """The stored search key of a patient's name: family name first."""
    return normalise_name(f"{family_name} {given_name}")


# German umlauts are also written with a following e (Müller, Mueller); Muller is how an
# English keyboard types it. Folded to the bare vowel, all three read alike.
_UMLAUT_SPELLING = re.compile(r"([aou])e+")


def identity_name(text: str) -> str:
    """Fold a name for spotting the same person registered twice: the search folding (case,
    accents, ß, Arabic and Persian letter variants ي/ی ك/ک ى ة, ZWNJ), then umlauts written as
    ae/oe/ue read as the bare vowel, and only letters and digits kept (spaces, hyphens and
    apostrophes vary between registrations). "Müller", "Mueller" and "Muller" all give "muller"."""
    folded = "".join(ch for ch in normalise_name(text) if ch.isalnum() and ch != "\u0640")
    return _UMLAUT_SPELLING.sub(r"\1", folded)


def same_name(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """Whether two (family name, given name) pairs fold alike, also when one registration has
    them swapped (the given name typed as the family name)."""
    a = (identity_name(first[0]), identity_name(first[1]))
    b = (identity_name(second[0]), identity_name(second[1]))
    return all(a) and (a == b or a == (b[1], b[0]))


@dataclass(frozen=True)
class DuplicateCandidate:
    """A registered patient who may be the person being registered again."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date


def possible_duplicate(
    candidates: list[DuplicateCandidate], calendar: Calendar, language: str = "en"
) -> ConflictError:
    """The refusal to register a likely duplicate until the user confirms a different person;
    it names each candidate (name, MRN, date of birth in the site's calendar)."""
    names = "; ".join(
        f"{c.family_name}, {c.given_name} (MRN {c.mrn}, "
        f"{format_date(c.date_of_birth, calendar, language)})"
        for c in candidates
    )
    return ConflictError(
        "possible_duplicate",
        f"Already registered with the same name and date of birth: {names}. Open that chart, "
        "or confirm that this is a different person.",
        "different_person",
        {
            "names": names,
            "candidates": [
                {
                    "id": c.id,
                    "mrn": c.mrn,
                    "family_name": c.family_name,
                    "given_name": c.given_name,
                    "date_of_birth": c.date_of_birth.isoformat(),
                }
                for c in candidates
            ],
        },
    )


def normalise_mrn(text: str) -> str:
    """Upper-case and strip an MRN, then check its shape."""
    mrn = text.strip().upper()
    if not MRN_PATTERN.match(mrn):
        raise ValidationFailed(
            "invalid_mrn",
            "An MRN has 1 to 20 letters, digits or dashes and starts with a letter or digit.",
            "mrn",
        )
    return mrn


def check_birth_date(born: date, today: date) -> date:
    """Refuse birth dates in the future or implausibly long ago."""
    if born > today:
        raise ValidationFailed(
            "birth_date_future", "The date of birth is in the future.", "date_of_birth"
        )
    if today.year - born.year > MAX_AGE_YEARS:
        raise ValidationFailed(
            "birth_date_too_old",
            f"The date of birth is more than {MAX_AGE_YEARS} years ago.",
            "date_of_birth",
            {"years": MAX_AGE_YEARS},
        )
    return born


@dataclass(frozen=True)
class SearchQuery:
    """What a search box entry means: a birth date, an MRN, or name fragments."""

    kind: str  # "date", "mrn", "name" or "empty"
    birth_date: date | None = None
    mrn: str = ""
    tokens: tuple[str, ...] = ()


def parse_search(text: str, calendar: Calendar) -> SearchQuery:
    """Classify a search entry: dates match birth dates, digit-bearing words match MRNs."""
    # Control characters (NUL above all, which PostgreSQL refuses in text) never match a name.
    raw = "".join(ch for ch in text if ch.isprintable()).strip()
    if not raw:
        return SearchQuery("empty")
    if re.fullmatch(r"[\d۰-۹٠-٩]{1,4}[-/.][\d۰-۹٠-٩]{1,2}[-/.][\d۰-۹٠-٩]{1,4}", raw):
        try:
            return SearchQuery("date", birth_date=parse_date(raw, calendar))
        except ValidationFailed:
            pass
    if " " not in raw and any(ch.isdigit() for ch in raw) and len(raw) <= 20:
        return SearchQuery("mrn", mrn=raw.upper())
    tokens = tuple(t for t in normalise_name(raw).split() if t)
    return SearchQuery("name", tokens=tokens) if tokens else SearchQuery("empty")


# A wristband carries its own code, never the MRN: an MRN can be changed and given to someone
# else, a wristband code never is (issue 14).  W + 9 random characters + the MOD 37-2 check
# character, so a mistyped code is refused rather than read as another patient's.
WRISTBAND_SHAPE = re.compile(r"^W[0-9A-Z]{9}[0-9A-Z*]$")
WRISTBAND_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def wristband_code(serial: str) -> str:
    """The wristband code for a 9-character random serial (0-9, A-Z)."""
    data = f"W{serial}"
    if not re.fullmatch(r"W[0-9A-Z]{9}", data):
        raise ValueError("a wristband serial is 9 characters 0-9 or A-Z")
    return data + check_character(data)


def read_wristband(text: str) -> str:
    """Normalise a scanned or typed wristband code and check its check character."""
    code = "".join(text.split()).upper()
    if not WRISTBAND_SHAPE.match(code):
        raise ValidationFailed(
            "not_a_wristband",
            "This is not a patient wristband code (W and 10 letters or digits); wristbands "
            "printed before December 2026 carried the MRN and must be printed again.",
            "wristband",
        )
    if check_character(code[:-1]) != code[-1]:
        raise ValidationFailed(
            "wristband_check",
            "The wristband code's check character does not match: scan it again or type it "
            "carefully.",
            "wristband",
        )
    return code
