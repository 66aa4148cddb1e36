"""The shapes every instrument shares: items, licences, scores and the refusal of bad answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from autologic.common.domain.errors import ValidationFailed

Answers = Mapping[str, int | None]


class LicenceStatus(StrEnum):
    """What the holder allows; `proprietary` and `fees_may_apply` must be cleared per clinic."""

    FREE = "free"
    FREE_WITH_ATTRIBUTION = "free_with_attribution"
    FEES_MAY_APPLY = "fees_may_apply"
    PROPRIETARY = "proprietary"
    PUBLIC_DOMAIN = "public_domain"
    TO_CONFIRM = "to_confirm"


@dataclass(frozen=True)
class Licence:
    """Who holds an instrument and whether Autologic may ship its wording."""

    status: LicenceStatus
    holder: str
    terms: str
    attribution: str = ""
    ships_item_texts: bool = True

    @property
    def needs_clearance(self) -> bool:
        """True when a clinic must record its own licence before publishing the questionnaire."""
        return self.status in {
            LicenceStatus.PROPRIETARY,
            LicenceStatus.FEES_MAY_APPLY,
            LicenceStatus.TO_CONFIRM,
        }


@dataclass(frozen=True)
class Item:
    """One question: its id, its inclusive integer range and a short English gist."""

    id: str
    low: int
    high: int
    gist: str = ""


@dataclass(frozen=True)
class Subscale:
    """One reported score of an instrument."""

    name: str
    low: float
    high: float
    higher_is_better: bool


@dataclass(frozen=True)
class SubscaleScore:
    """A score, or None with the reason the rules refuse it; never a silent 0."""

    value: float | None
    answered: int
    missing: int
    reason: str | None = None

    @property
    def calculable(self) -> bool:
        """True when the rules allowed a score."""
        return self.value is not None


@dataclass(frozen=True)
class Scored:
    """One scored response: every subscale, the rule versions and how many items were missing."""

    instrument: str
    instrument_version: str
    algorithm: str
    scores: dict[str, SubscaleScore]
    missing: int
    derived_from: str | None = None

    def values(self) -> dict[str, float | None]:
        """Subscale name to unrounded value (None when not calculable)."""
        return {name: s.value for name, s in self.scores.items()}

    def reasons(self) -> dict[str, str]:
        """Subscale name to why it is not calculable, for those that are not."""
        return {name: s.reason for name, s in self.scores.items() if s.reason is not None}


Scorer = Callable[[dict[str, int | None]], dict[str, SubscaleScore]]


@dataclass(frozen=True)
class Instrument:
    """An instrument definition: items, reported scores, licence and its scoring function."""

    id: str
    version: str
    algorithm: str
    title: str
    joints: frozenset[str]
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    licence: Licence
    recall: str
    scorer: Scorer = field(repr=False)
    aliases: tuple[str, ...] = ()
    unscored: frozenset[str] = frozenset()
    charted: bool = True  # False for yes/no questions, which have no score series to chart

    def item(self, item_id: str) -> Item:
        """The item with this id."""
        return self._by_id()[item_id]

    def _by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def subscale(self, name: str) -> Subscale:
        """The reported score with this name."""
        return next(s for s in self.subscales if s.name == name)

    def clean(self, answers: Answers) -> dict[str, int | None]:
        """Check every answer and return all items, unanswered ones as None."""
        by_id = self._by_id()
        unknown = sorted(set(answers) - set(by_id))
        if unknown:
            raise ValidationFailed(
                "unknown_item",
                f"{self.id} has no item {', '.join(unknown)}; its items are {', '.join(by_id)}.",
                field=unknown[0],
            )
        cleaned: dict[str, int | None] = {}
        for item in self.items:
            value = answers.get(item.id)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValidationFailed(
                        "not_integer",
                        f"{self.id} {item.id}: {value!r} is not a whole number.",
                        field=item.id,
                    )
                if not item.low <= value <= item.high:
                    raise ValidationFailed(
                        "out_of_range",
                        f"{self.id} {item.id}: {value} is outside {item.low}–{item.high}.",
                        field=item.id,
                    )
            cleaned[item.id] = value
        return cleaned

    def score(self, answers: Answers) -> Scored:
        """Validate and score one response."""
        cleaned = self.clean(answers)
        return Scored(
            instrument=self.id,
            instrument_version=self.version,
            algorithm=self.algorithm,
            scores=self.scorer(cleaned),
            missing=sum(1 for k, v in cleaned.items() if v is None and k not in self.unscored),
        )


def items(prefix: str, count: int, low: int, high: int, gists: tuple[str, ...] = ()) -> list[Item]:
    """Items PREFIX1..PREFIXcount with one range."""
    return [
        Item(f"{prefix}{n}", low, high, gists[n - 1] if n <= len(gists) else "")
        for n in range(1, count + 1)
    ]


def answered(answers: dict[str, int | None], ids: list[str]) -> list[int]:
    """The answered values among these item ids."""
    return [v for v in (answers[i] for i in ids) if v is not None]


def too_few(needed: int, total: int, got: int) -> str:
    """The reason text for a subscale with too many unanswered items."""
    return f"needs at least {needed} of {total} items answered; {got} answered"
