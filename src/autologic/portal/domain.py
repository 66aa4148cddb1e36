"""Rules of the patient portal: link tokens, expiry, the licence gate, texts and reminder days.

Pure Python: no Django. The token itself is never stored; only its SHA-256 is. A stored message
holds ``LINK_PLACEHOLDER`` where its link goes; the token is minted as the message is sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain.types import Instrument

TOKEN_BYTES = 32  # 256 bits: guessing one is hopeless even without the rate limit
LONGEST_LINK = timedelta(days=60)
LANGUAGES = ("en", "de", "es", "fa")
# Where a stored message's text takes its link (filled in at delivery, never stored).
LINK_PLACEHOLDER = "[[portal-link]]"
# A token in a path, a referrer or a full URL: /p/<token>/...
_TOKEN_IN_PATH = re.compile(r"/p/[^/?#\s\"'<>]+")


def new_token() -> str:
    """A fresh URL-safe link token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def fill_link(text: str, url: str) -> str:
    """A stored message text with its link put in."""
    return text.replace(LINK_PLACEHOLDER, url)


def redact_tokens(text: str) -> str:
    """The text with every portal token in a path cut out (what a log may keep)."""
    return _TOKEN_IN_PATH.sub("/p/[token]", text)


def expires_at(now: datetime, window_closes: date | None, time_zone: str) -> datetime:
    """A link lasts to the end of the day its window closes, and never more than 60 days."""
    longest = now + LONGEST_LINK
    if window_closes is None:
        return longest
    end = datetime.combine(window_closes + timedelta(days=1), time.min, ZoneInfo(time_zone))
    return min(end.astimezone(ZoneInfo("UTC")), longest)


@dataclass(frozen=True)
class Refusal:
    """Why a questionnaire may not be published in a language."""

    code: str
    message: str


def gate(instrument: Instrument, language: str, *, cleared: bool, has_text: bool) -> Refusal | None:
    """The licence gate: a cleared licence where one is needed, and the wording in the language."""
    licence = instrument.licence
    if licence.needs_clearance and not cleared:
        return Refusal(
            "licence_not_cleared",
            f"{instrument.id}: the clinic has not recorded a licence ({licence.holder}).",
        )
    if not has_text:
        supplier = (
            "the clinic must load the licensed wording"
            if not licence.ships_item_texts
            else ("load the holder's official translation")
        )
        return Refusal(
            "no_text",
            f"{instrument.id} has no wording in {language!r}; {supplier}.",
        )
    return None


@dataclass(frozen=True)
class Question:
    """One item as the patient sees it."""

    id: str
    text: str
    low: int
    high: int
    options: tuple[str, ...] = ()  # options[i] is the value low + i
    scale_low: str = ""
    scale_high: str = ""

    @property
    def is_scale(self) -> bool:
        """True for a numeric scale (NRS, VAS) rather than labelled options."""
        return not self.options

    def choices(self) -> list[tuple[int, str]]:
        """Value and label of every labelled option."""
        return [(self.low + i, label) for i, label in enumerate(self.options)]


@dataclass(frozen=True)
class Section:
    """A heading, its instruction and its questions."""

    heading: str
    intro: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Texts:
    """An instrument's wording in one language."""

    instrument: str
    version: str
    language: str
    source: str
    title: str
    instructions: str
    sections: tuple[Section, ...]

    def questions(self) -> list[Question]:
        """Every question in the order asked."""
        return [q for s in self.sections for q in s.questions]

    def with_region(self, region: str) -> Texts:
        """The same wording with ``{region}`` filled in."""
        return Texts(
            self.instrument,
            self.version,
            self.language,
            self.source,
            self.title.replace("{region}", region),
            self.instructions.replace("{region}", region),
            tuple(
                Section(
                    s.heading.replace("{region}", region),
                    s.intro.replace("{region}", region),
                    tuple(_fill(q, region) for q in s.questions),
                )
                for s in self.sections
            ),
        )


def _fill(question: Question, region: str) -> Question:
    return Question(
        question.id,
        question.text.replace("{region}", region),
        question.low,
        question.high,
        question.options,
        question.scale_low,
        question.scale_high,
    )


def _need(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise ValidationFailed("missing", f"{where}: '{key}' is required.", field=key)
    return data[key]


def parse_texts(data: Any, instrument: Instrument) -> Texts:
    """Check a wording file against its instrument and return it; errors name the place."""
    if not isinstance(data, dict):
        raise ValidationFailed("not_a_mapping", "the file must hold a YAML mapping.", "file")
    if str(_need(data, "instrument", "file")).upper() != instrument.id:
        raise ValidationFailed(
            "wrong_instrument",
            f"the file is for {data['instrument']}, not {instrument.id}.",
            "instrument",
        )
    if str(_need(data, "version", "file")) != instrument.version:
        raise ValidationFailed(
            "wrong_version",
            f"the wording is for version {data['version']}, the instrument is "
            f"{instrument.version}.",
            "version",
        )
    language = str(_need(data, "language", "file"))
    if language not in LANGUAGES:
        raise ValidationFailed(
            "bad_language", f"language must be one of {', '.join(LANGUAGES)}.", "language"
        )
    sections = tuple(
        _section(raw, n, instrument) for n, raw in enumerate(_need(data, "sections", "file"), 1)
    )
    seen = [q.id for s in sections for q in s.questions]
    expected = [i.id for i in instrument.items]
    twice = sorted({i for i in seen if seen.count(i) > 1})
    missing = [i for i in expected if i not in seen]
    if twice or missing:
        detail = (
            f"items asked twice: {', '.join(twice)}"
            if twice
            else (f"items without wording: {', '.join(missing)}")
        )
        raise ValidationFailed("items_incomplete", f"{instrument.id} {detail}.", "sections")
    return Texts(
        instrument.id,
        instrument.version,
        language,
        str(_need(data, "source", "file")),
        str(_need(data, "title", "file")),
        str(data.get("instructions") or ""),
        sections,
    )


def _section(raw: Any, n: int, instrument: Instrument) -> Section:
    where = f"section {n}"
    if not isinstance(raw, dict):
        raise ValidationFailed("bad_section", f"{where} must be a mapping.", "sections")
    default = tuple(str(o) for o in raw.get("options") or ())
    questions = []
    known = {i.id: i for i in instrument.items}
    for entry in _need(raw, "items", where):
        item_id = str(_need(entry, "id", where))
        if item_id not in known:
            raise ValidationFailed(
                "unknown_item", f"{where}: {instrument.id} has no item {item_id}.", item_id
            )
        item = known[item_id]
        options = tuple(str(o) for o in entry.get("options") or ()) or default
        scale = entry.get("scale")
        if scale:
            questions.append(
                Question(
                    item_id,
                    str(_need(entry, "text", item_id)),
                    item.low,
                    item.high,
                    (),
                    str(scale.get("low", "")),
                    str(scale.get("high", "")),
                )
            )
            continue
        if len(options) != item.high - item.low + 1:
            raise ValidationFailed(
                "options_count",
                f"{item_id} needs {item.high - item.low + 1} options ({item.low}–{item.high}), "
                f"not {len(options)}.",
                item_id,
            )
        questions.append(
            Question(item_id, str(_need(entry, "text", item_id)), item.low, item.high, options)
        )
    return Section(str(raw.get("heading") or ""), str(raw.get("intro") or ""), tuple(questions))


@dataclass(frozen=True)
class Step:
    """One reminder of a follow-up: which one, and the day it goes."""

    name: str
    on: date


def reminder_steps(opens: date, due: date, closes: date) -> list[Step]:
    """When the window opens, on the due day, and three days before it closes (distinct days)."""
    steps = [Step("open", opens)]
    if due > opens:
        steps.append(Step("due", due))
    last = closes - timedelta(days=3)
    if last > max(opens, due):
        steps.append(Step("last", last))
    return steps


def step_due(steps: list[Step], today: date, closes: date) -> Step | None:
    """The latest step whose day has come, while the window is still open."""
    if today > closes:
        return None
    come = [s for s in steps if s.on <= today]
    return come[-1] if come else None
