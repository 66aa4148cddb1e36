"""A clinic user's walk through one seed pathway in the browser, in the clinic's language and
calendar: buttons are found by their translated names, dates are typed as the clinic types them
(Jalali with Persian digits at a Jalali clinic), and every page visited is checked for words the
interface left in English."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from django.utils import translation
from playwright.sync_api import Page, expect

from autologic.common.domain.calendars import Calendar, format_date, format_datetime
from tests.browser.conftest import shot
from tests.browser.test_bedside import fresh_code
from tests.conftest import PASSWORD

LOCALE = Path(__file__).resolve().parents[2] / "src" / "autologic" / "locale"

# Latin words a Persian page may show: abbreviations the clinic uses as they are (KOOS, MRI,
# HBsAg ...) have capitals inside and pass on their own; these are product names.
LATIN_IN_PERSIAN = {
    "Orthokine",
    "Autologic",
    "Cartigram",
    "dGEMRIC",
    "Enter",
}  # Enter: the key's label
# Words of English sentences that no Spanish page should show.
ENGLISH_ONLY = {
    "the",
    "and",
    "with",
    "from",
    "of",
    "to",
    "is",
    "not",
    "this",
    "for",
    "save",
    "record",
    "step",
    "knee",
    "left",
    "right",
    "days",
    "hours",
    "week",
    "weeks",
    "still",
    "running",
    "yes",
    "none",
    "sign",
    "signed",
}


@functools.cache
def english_messages(language: str) -> frozenset[str]:
    """The catalogue's English sentences that read differently in the language."""
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    found = set()
    for message in catalogue:
        text = message.id[0] if isinstance(message.id, tuple) else message.id
        translated = message.string[0] if isinstance(message.string, tuple) else message.string
        sentence = len(text) >= 12 and " " in text and "%" not in text and "{" not in text
        if translated and translated != text and sentence:
            found.add(text)
    return frozenset(found)


@dataclass
class Walk:
    """One user's walk at one clinic, in one language."""

    page: Page
    base: str
    language: str
    site: object
    name: str
    visited: list[str] = field(default_factory=list)

    def _(self, text: str) -> str:
        with translation.override(self.language):
            return translation.gettext(text)

    # --- dates and times as the clinic types them -----------------------------------------
    @property
    def calendar(self) -> Calendar:
        return Calendar(self.site.calendar)  # type: ignore[attr-defined]

    def day(self, value: date) -> str:
        return format_date(value, self.calendar, self.language)

    def moment(self, value: datetime) -> str:
        local = value.astimezone(ZoneInfo(self.site.time_zone))  # type: ignore[attr-defined]
        return format_datetime(local, self.calendar, self.language)

    # --- moving around ---------------------------------------------------------------------
    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.check()

    def click(self, name: str, *, within: str | None = None, exact: bool = False) -> None:
        scope = self.page.locator(within) if within else self.page
        scope.get_by_role("button", name=self._(name), exact=exact).first.click()
        self.page.wait_for_load_state()
        self.check()

    def link(self, name: str) -> None:
        self.page.get_by_role("link", name=self._(name)).first.click()
        self.page.wait_for_load_state()
        self.check()

    def ok(self, *, confirmed: bool = False) -> None:
        """The last action succeeded: no error on the page (and a confirmation, if asked)."""
        errors = self.page.locator(".flash-error, .has-error .error, .errorlist")
        if errors.count():
            raise AssertionError(f"{self.page.url}: {errors.all_inner_texts()}")
        if confirmed:
            expect(self.page.locator(".flash-success")).to_have_count(1)

    def sign(self, user, *, prefix: str = "") -> None:
        self.page.fill(f"#id_{prefix}password", PASSWORD)
        code = self.page.locator(f"#id_{prefix}otp_token")
        if code.count():
            code.fill(fresh_code(user))

    def shot(self, step: str) -> None:
        shot(self.page, f"walk-{self.name}-{step}")

    # --- the check on every page -----------------------------------------------------------
    def check(self) -> None:
        """Nothing on the page is left in English when the clinic works in another language."""
        # A page still being committed has no body yet: wait for the document to be whole.
        self.page.wait_for_function("() => document.readyState === 'complete' && document.body")
        self.visited.append(self.page.url)
        # Text marked as another language (a language's own name in a language choice) is
        # left out: it is meant to be read in that language.
        text = self.page.evaluate(
            """() => [[...document.querySelectorAll('main [lang]')].reduce(
                        (text, e) => e.lang === document.documentElement.lang ? text
                                     : text.split(e.textContent.trim()).join(' '),
                        (document.querySelector('main') || document.body).innerText),
                document.querySelector('nav') ? document.querySelector('nav').innerText : '',
                // A literature citation in a tooltip (data-citation) stays in its language.
                ...[...document.querySelectorAll(
                    '[placeholder],[title]:not([data-citation]),[aria-label]')].map(
                  (e) => [e.getAttribute('placeholder'), e.getAttribute('title'),
                          e.getAttribute('aria-label')].filter(Boolean).join(' ')),
                ...[...document.querySelectorAll('main option:not([lang])')].map(
                  (o) => o.textContent)
               ].join('\\n')"""
        )
        codes = set(_CODE.findall(text))
        if codes:
            around = {c: text[max(text.find(c) - 80, 0) : text.find(c) + 40] for c in codes}
            raise AssertionError(f"{self.page.url} shows developer codes: {around}")
        if self.language != "en":
            found = untranslated(text, self.language)
            if found:
                around = {w: text[max(text.find(w) - 60, 0) : text.find(w) + 40] for w in found}
                raise AssertionError(f"{self.page.url} shows untranslated text: {around}")


# A key such as spine_lumbar, NRS_PAIN or processing[1].g_force is for developers.
_CODE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b|\b[a-z]+\[\d+\]")
# A run of Latin letters, digits and joiners: "IL-1Ra", "pg/mL" and "F1/R1/B2" are one token.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’/.-]*[A-Za-z0-9]")


def untranslated(text: str, language: str) -> set[str]:
    """English left on a page in the given language."""
    found = {message for message in english_messages(language) if message in text}
    if language == "fa":
        found |= {
            word
            for word in _WORD.findall(text)
            if not _abbreviation(word) and word not in LATIN_IN_PERSIAN and not _unit(word)
        }
    else:
        found |= {word for word in _WORD.findall(text) if word.lower() in ENGLISH_ONLY}
    return found


def _abbreviation(word: str) -> bool:
    """KOOS, HBsAg, anti-HBc, IL-1Ra, identifiers with digits, and numbers: they keep their
    Latin letters in Persian text."""
    letters = sum(1 for c in word if c.isascii() and c.isalpha())
    capitals = sum(1 for c in word if c.isascii() and c.isupper())
    return letters < 2 or capitals >= 2 or any(c.isdigit() for c in word)


def _unit(word: str) -> bool:
    """SI units and their usual spellings (mL, µL, kPa) stay Latin in Persian clinical text."""
    return word in {"mL", "mg", "kg", "cm", "mm", "µL", "kPa", "IU", "pg/mL", "ng/mL", "EU/mL"}
