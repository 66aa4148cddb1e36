"""The researcher's export: one row per patient, treated joint and timepoint, pseudonymised.

No name, MRN, birth date or calendar date leaves: a patient is a study pseudonym, a joint is
its number within the patient, and every time is days from that joint's first injection.  Only
patients whose registry consent stands are exported (the read side passes them).  Aggregate
tables suppress every count under five.  The data dictionary names each variable, its meaning,
its type and, for coded ones, the value labels SPSS and Stata files carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from autologic.analytics.domain import registry as reg

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class Variable:
    """One column: its name, what it means, its type, and its codes where it has any."""

    name: str
    label: str
    kind: str  # "string", "integer", "number" or "category"
    codes: dict[str, int] = field(default_factory=dict)


FIXED: tuple[Variable, ...] = (
    Variable("pseudonym", "Patient's pseudonym in this study", "string"),
    Variable("joint", "The treated joint's number within the patient", "integer"),
    Variable("protocol", "Protocol code", "category"),
    Variable("protocol_version", "Protocol version", "integer"),
    Variable("therapy", "Therapy", "category"),
    Variable("region", "Treated region", "category"),
    Variable("side", "Side", "category"),
    Variable("diagnosis", "Diagnosis", "category"),
    Variable("grade_system", "Grading system", "category"),
    Variable("grade", "Grade at assessment", "integer"),
    Variable("age", "Age in years at the first injection", "integer"),
    Variable("bmi", "Body-mass index at the assessment (kg/m2)", "number"),
    Variable("sex", "Sex", "category"),
    Variable("injections_planned", "Injections planned", "integer"),
    Variable("injections_received", "Injections received", "integer"),
    Variable("incubation_hours", "Incubation of the product (hours)", "number"),
    Variable("thaw_minutes", "Median minutes from thawing to injection", "number"),
    Variable("cells_million", "Cells given (million)", "number"),
    Variable("viability_pct", "Viability of the product (per cent)", "number"),
    Variable("deviations", "Processing deviations of the lot", "integer"),
    Variable("failure", "First later treatment of the joint (failure)", "category"),
    Variable("failure_day", "Days from the first injection to the failure", "integer"),
    Variable(
        "followed_days", "Days from the first injection to the last known follow-up", "integer"
    ),
    Variable("timepoint", "Follow-up timepoint", "category"),
    Variable("day", "Days from the first injection to the answer", "integer"),
)


def score_column(instrument: str, score: str) -> str:
    """The column of one score: "KOOS_pain"."""
    return f"{instrument}_{score}"


@dataclass(frozen=True)
class Table:
    """The export: its variables (in order) and its rows."""

    variables: list[Variable]
    rows: list[dict[str, object]]


def patient_rows(
    registry: reg.Registry,
    rows: Sequence[reg.Treated],
    pseudonyms: Mapping[int, str],
) -> Table:
    """One row per pseudonymised patient, joint and timepoint answered (baseline included);
    patients without a pseudonym (no standing consent) are left out."""
    failures = registry.failures(reg.FAILURES)
    kinds: dict[str, str] = {}
    for e in registry.later:
        for t in rows:
            if t.joint == (e.patient, e.region, e.side) and failures.get(t.key) == e.on:
                kinds.setdefault(t.key, e.kind)
    scores = sorted({(m.instrument, m.score) for m in registry.measures})
    joint_numbers: dict[int, int] = {}
    out: list[dict[str, object]] = []
    for t in sorted(rows, key=lambda r: (r.patient, r.treated_on, r.key)):
        code = pseudonyms.get(t.patient)
        if code is None:
            continue
        joint_numbers[t.patient] = joint_numbers.get(t.patient, 0) + 1
        failed_on = failures.get(t.key)
        base = {
            "pseudonym": code,
            "joint": joint_numbers[t.patient],
            "protocol": t.protocol,
            "protocol_version": t.protocol_version,
            "therapy": t.therapy,
            "region": t.region,
            "side": t.side,
            "diagnosis": t.diagnosis,
            "grade_system": t.grade_system,
            "grade": t.grade,
            "age": t.age,
            "bmi": None if t.bmi is None else round(t.bmi, 1),
            "sex": t.sex,
            "injections_planned": t.injections_planned,
            "injections_received": t.injections_received,
            "incubation_hours": t.incubation_hours,
            "thaw_minutes": t.thaw_minutes,
            "cells_million": t.cells_million,
            "viability_pct": t.viability_pct,
            "deviations": t.deviations,
            "failure": kinds.get(t.key, "repeat_orthobiologic" if failed_on else ""),
            "failure_day": t.days_to(failed_on) if failed_on else None,
            "followed_days": t.days_to(registry.last_seen(t)),
        }
        for timepoint, on in sorted(
            registry.measured_at(t.key).items(), key=lambda item: reg.timepoint_days(item[0])
        ):
            row: dict[str, object] = {**base, "timepoint": timepoint, "day": t.days_to(on)}
            for instrument, score in scores:
                measured = registry.measure(t.key, timepoint, instrument, score)
                row[score_column(instrument, score)] = measured.value if measured else None
            out.append(row)
    variables = list(FIXED) + [
        Variable(score_column(i, s), f"{i} {s} score", "number") for i, s in scores
    ]
    coded = []
    for v in variables:
        if v.kind == "category":
            values = sorted({str(r[v.name]) for r in out if r.get(v.name) not in (None, "")})
            v = Variable(v.name, v.label, v.kind, {value: n for n, value in enumerate(values, 1)})
        coded.append(v)
    return Table(coded, out)


def suppress(count: int) -> int | str:
    """A count as an aggregate table may show it: under five (but not none) is "<5"."""
    return f"<{SUPPRESS_BELOW}" if 0 < count < SUPPRESS_BELOW else count
