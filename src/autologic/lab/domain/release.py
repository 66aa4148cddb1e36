"""Judging QC results against the release specification, and whether a lot may be released."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def judge(row: SpecRow, value: str) -> tuple[Verdict, float | None]:
    """Judge an entered value against one row; return the verdict and the number, if any."""
    text = value.strip()
    if not text:
        raise ResultError("enter a result")
    if row.operator in ("not_detected", "conforms"):
        return _qualitative(row, text.lower()), None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise ResultError(f"{row.attribute} needs a number ({row.unit or 'no unit'})") from None
    if row.operator == "report":
        return Verdict.RECORDED, number
    return (Verdict.PASS if _compare(row, number) else Verdict.FAIL), number


def _qualitative(row: SpecRow, text: str) -> Verdict:
    good, bad = (
        (NEGATIVE, POSITIVE) if row.operator == "not_detected" else (CONFORMS, DOES_NOT_CONFORM)
    )
    if text in good:
        return Verdict.PASS
    if text in bad:
        return Verdict.FAIL
    choices = " or ".join(sorted(good | bad))
    raise ResultError(f"{row.attribute} is answered with {choices}")


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
class LotFacts:
    """What a release decision looks at for one lot."""

    verdicts: dict[str, Verdict]  # attribute -> latest verdict
    open_deviations: int
    rejected_deviations: int
    labels_balanced: bool
    label_problem: str
    units_waiting: int


def release_blockers(spec: Release | None, lot: LotFacts) -> list[str]:
    """Everything that stops the lot's release, in words; empty when it may be released."""
    if spec is None:
        return ["the protocol version has no release specification"]
    problems = []
    for row in spec.specification:
        verdict = lot.verdicts.get(row.attribute)
        if not row.blocking:
            continue
        if verdict is None:
            problems.append(f"{row.attribute}: no result yet")
        elif verdict is Verdict.FAIL:
            problems.append(f"{row.attribute}: failed ({describe(row)} required)")
    if lot.open_deviations:
        problems.append(f"{lot.open_deviations} deviation(s) wait for a QA disposition")
    if lot.rejected_deviations:
        problems.append(f"{lot.rejected_deviations} deviation(s) were rejected by QA")
    if not lot.labels_balanced:
        problems.append(f"labels do not reconcile: {lot.label_problem}")
    if not lot.units_waiting:
        problems.append("no quarantined units to release")
    return problems
