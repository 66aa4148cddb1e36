"""Judging QC results against the release specification, and whether a lot may be released."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal

from autologic.protocols.domain.schema import Release, SpecRow

NEGATIVE = frozenset({"not detected", "negative", "no growth", "absent"})
POSITIVE = frozenset({"detected", "positive", "growth", "present"})
CONFORMS = frozenset({"conforms", "pass", "yes"})
DOES_NOT_CONFORM = frozenset({"does not conform", "fail", "no"})


class Verdict(StrEnum):
    """The judgement of one result."""

    PASS = "pass"
    FAIL = "fail"
    RECORDED = "recorded"  # a report row: kept, never judged


class ResultError(ValueError):
    """A result that cannot be judged against its row; the message says what to enter."""


def judge(row: SpecRow, value: str, *, locale: str = "en") -> tuple[Verdict, float | None]:
    """Judge an entered value against one row; return the verdict and the number, if any.

    Numbers are read strictly in the clinic's locale (Babel's ``parse_decimal``): "2,014" is
    two thousand and fourteen in English and two point zero one four in German; "Infinity",
    "NaN" and exponents are refused, and so is a number outside the row's plausible bounds.
    """
    text = value.strip()
    if not text:
        raise ResultError(f"Enter a result ({accepted(row)})")
    if row.operator in ("not_detected", "conforms"):
        return _qualitative(row, text.lower()), None
    number = read_number(row, text, locale)
    if row.operator == "report":
        return Verdict.RECORDED, number
    return (Verdict.PASS if _compare(row, number) else Verdict.FAIL), number


_NUMERAL = re.compile(r"^[+-]?[0-9][0-9.,'\u066b\u066c\u00a0\u202f ]*$")


def read_number(row: SpecRow, text: str, locale: str) -> float:
    """A finite number written the clinic's way, within the row's plausible bounds."""
    # Persian and Arabic digits and separators (٫ decimal, ٬ group) read as the locale's own.
    digits = "".join(str(unicodedata.digit(c)) if c.isdecimal() else c for c in text.strip())
    digits = digits.replace("\u066b", get_decimal_symbol(locale)).replace(
        "\u066c", get_group_symbol(locale)
    )
    expected = accepted(row)
    if not _NUMERAL.match(digits):
        raise ResultError(f"A number is needed here ({expected})")
    try:
        number = parse_decimal(digits, locale=locale, strict=True)
    except NumberFormatError:
        raise ResultError(f"{text} is not written as a number here ({expected})") from None
    if not number.is_finite():
        raise ResultError(f"A number is needed here ({expected})")
    low, high = plausible(row)
    if not low <= number <= high:
        shown = f"{_fmt(low)}–{_fmt(high)}" if high != Decimal("Infinity") else f"≥ {_fmt(low)}"
        unit = f" {row.unit}" if row.unit else ""
        raise ResultError(f"{text} is not plausible here; a result lies in {shown}{unit}")
    return float(number)


def plausible(row: SpecRow) -> tuple[Decimal, Decimal]:
    """The values a measurement of this row can take at all: the row's own bounds when the
    protocol gives them, otherwise 0–100 for a percentage and non-negative for anything else
    (counts, volumes, concentrations and endotoxin cannot be negative)."""
    if row.plausible is not None:
        return Decimal(str(row.plausible.min)), Decimal(str(row.plausible.max))
    if row.unit == "%":
        return Decimal(0), Decimal(100)
    return Decimal(0), Decimal("Infinity")


def _fmt(number: Decimal) -> str:
    return f"{number.normalize():f}"


def accepted(row: SpecRow) -> str:
    """What may be entered for a row, in words: the answers of a qualitative row, or a number
    with its unit and plausible range."""
    if row.operator == "not_detected":
        return "not detected or detected"
    if row.operator == "conforms":
        return "conforms or does not conform"
    low, high = plausible(row)
    unit = f" {row.unit}" if row.unit else ""
    if high == Decimal("Infinity"):
        return f"a number ≥ {_fmt(low)}{unit}"
    return f"a number {_fmt(low)}–{_fmt(high)}{unit}"


def _qualitative(row: SpecRow, text: str) -> Verdict:
    good, bad = (
        (NEGATIVE, POSITIVE) if row.operator == "not_detected" else (CONFORMS, DOES_NOT_CONFORM)
    )
    if text in good:
        return Verdict.PASS
    if text in bad:
        return Verdict.FAIL
    raise ResultError(f"The answer here is {accepted(row)}")


def _compare(row: SpecRow, number: float) -> bool:
    limit = row.limit
    assert limit is not None  # the schema requires a limit for numeric operators
    if row.operator == ">=":
        return number >= limit
    if row.operator == "<=":
        return number <= limit
    if row.operator == ">":
        return number > limit
    if row.operator == "<":
        return number < limit
    if row.operator == "=":
        return number == limit
    assert row.limit_max is not None
    return limit <= number <= row.limit_max


def describe(row: SpecRow) -> str:
    """The acceptance criterion as people write it, e.g. '≥ 70 %' or 'not detected'."""
    symbols = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
    unit = f" {row.unit}" if row.unit else ""
    if row.operator in symbols:
        return f"{symbols[row.operator]} {row.limit:g}{unit}"
    if row.operator == "between":
        return f"{row.limit:g}–{row.limit_max:g}{unit}"
    return {"not_detected": "not detected", "conforms": "conforms", "report": "report"}[
        row.operator
    ]


@dataclass(frozen=True)
class ResultFact:
    """One recorded result as the release gate sees it: its verdict, and whether QA has
    invalidated it (a confirmed laboratory error); a result is never overwritten."""

    verdict: Verdict
    invalidated: bool = False


class BlockerKind(StrEnum):
    """Why a lot cannot be released; only a non-conforming product may be released with a
    signed exception, and nothing else."""

    NO_SPECIFICATION = "no_specification"
    NO_RESULT = "no_result"
    NON_CONFORMING = "non_conforming"  # a standing failed result, or a deviation QA rejected
    DEVIATION_OPEN = "deviation_open"
    LABELS = "labels"
    STEP_UNFINISHED = "step_unfinished"
    UNSTORED = "unstored"
    ON_HOLD = "on_hold"
    NO_UNITS = "no_units"


@dataclass(frozen=True)
class Blocker:
    """One thing that stops a release, in words."""

    kind: BlockerKind
    message: str

    @property
    def waivable(self) -> bool:
        """A physician may approve release with exception for a non-conforming product."""
        return self.kind is BlockerKind.NON_CONFORMING

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LotFacts:
    """What a release decision looks at for one lot."""

    results: dict[str, list[ResultFact]]  # attribute -> every result, oldest first
    open_deviations: int
    rejected_deviations: int
    labels_balanced: bool
    label_problem: str
    units_waiting: int
    unfinished_steps: list[str] = field(default_factory=list)  # why each step is not done
    unstored: int = 0  # frozen units waiting for release that have no box position
    on_hold: int = 0  # units waiting for release that an active QA hold covers


def standing(results: list[ResultFact]) -> list[ResultFact]:
    """The results QA has not invalidated."""
    return [r for r in results if not r.invalidated]


def release_blockers(spec: Release | None, lot: LotFacts) -> list[Blocker]:
    """Everything that stops the lot's release; empty when it may be released.

    The lot page shows exactly this list, and the release action refuses on it. A failed result
    stays a blocker until QA invalidates it, whatever was recorded after it; a repeat that
    passes does not hide it.
    """
    if spec is None:
        return [
            Blocker(
                BlockerKind.NO_SPECIFICATION, "the protocol version has no release specification"
            )
        ]
    problems: list[Blocker] = []
    for why in lot.unfinished_steps:
        problems.append(Blocker(BlockerKind.STEP_UNFINISHED, why))
    for row in spec.specification:
        if not row.blocking:
            continue
        results = standing(lot.results.get(row.attribute, []))
        attribute = row.name.en  # the page shows it in the user's language
        failed = sum(1 for r in results if r.verdict is Verdict.FAIL)
        if failed:
            problems.append(
                Blocker(
                    BlockerKind.NON_CONFORMING,
                    f"{attribute}: failed ({describe(row)} required); a failed result "
                    "stands until QA invalidates it",
                )
            )
        elif not results:
            problems.append(Blocker(BlockerKind.NO_RESULT, f"{attribute}: no result yet"))
    if lot.open_deviations:
        problems.append(
            Blocker(
                BlockerKind.DEVIATION_OPEN,
                f"{lot.open_deviations} deviation(s) wait for a QA disposition",
            )
        )
    if lot.rejected_deviations:
        problems.append(
            Blocker(
                BlockerKind.NON_CONFORMING,
                f"{lot.rejected_deviations} deviation(s) were rejected by QA",
            )
        )
    if not lot.labels_balanced:
        for problem in lot.label_problem.split("; "):
            problems.append(Blocker(BlockerKind.LABELS, f"labels do not reconcile: {problem}"))
    if lot.unstored:
        problems.append(
            Blocker(
                BlockerKind.UNSTORED,
                f"{lot.unstored} frozen unit(s) are not stored in a freezer box",
            )
        )
    if lot.on_hold:
        problems.append(
            Blocker(
                BlockerKind.ON_HOLD,
                f"{lot.on_hold} unit(s) are on QA hold; lifting it needs a signed QA disposition",
            )
        )
    if not lot.units_waiting:
        problems.append(Blocker(BlockerKind.NO_UNITS, "no quarantined units to release"))
    return problems
