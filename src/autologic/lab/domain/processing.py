"""Processing steps as recorded against the protocol's windows: what counts as a deviation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from autologic.protocols.domain.schema import Step


@dataclass(frozen=True)
class StepValues:
    """What the technician recorded for one step (or one culture passage)."""

    started_at: datetime
    ended_at: datetime | None = None
    temperature_c: float | None = None
    g_force: int | None = None
    spin_min: int | None = None
    cell_count_million: float | None = None
    viability_pct: float | None = None


@dataclass(frozen=True)
class Finding:
    """One way a step left its window; QA must disposition it before release."""

    code: str
    field: str
    message: str


def _fmt(value: float) -> str:
    return f"{value:g}"


def check_step(step: Step, values: StepValues) -> list[Finding]:
    """Compare a finished step with the protocol and list every deviation, in a stable order."""
    findings: list[Finding] = []
    if values.ended_at is not None:
        hours = (values.ended_at - values.started_at).total_seconds() / 3600
        window = step.hours
        if not window.min <= hours <= window.max:
            findings.append(
                Finding(
                    "duration",
                    "ended_at",
                    f"{step.key} lasted {hours:.2f} h; the protocol allows "
                    f"{_fmt(window.min)}–{_fmt(window.max)} h",
                )
            )
    band = step.temperature_c
    temperature = values.temperature_c
    if band is not None and temperature is not None and not band.min <= temperature <= band.max:
        findings.append(
            Finding(
                "temperature",
                "temperature_c",
                f"{step.key} at {_fmt(temperature)} °C; the protocol allows "
                f"{_fmt(band.min)}–{_fmt(band.max)} °C",
            )
        )
    if step.kind == "centrifugation":
        findings.extend(_spin(step, values))
    return findings


def _spin(step: Step, values: StepValues) -> list[Finding]:
    findings = []
    if values.g_force is not None and values.g_force != step.g_force:
        findings.append(
            Finding(
                "g_force",
                "g_force",
                f"spun at {values.g_force} × g; the protocol says {step.g_force} × g",
            )
        )
    if values.spin_min is not None and values.spin_min != step.spin_min:
        findings.append(
            Finding(
                "spin_min",
                "spin_min",
                f"spun for {values.spin_min} min; the protocol says {step.spin_min} min",
            )
        )
    return findings


def missing_values(step: Step, values: StepValues) -> list[str]:
    """Name the fields a finished step of this kind still needs (none while it runs)."""
    missing: list[str] = []
    if values.ended_at is None:
        return missing  # a step that has only started: the rest is entered when it ends
    if step.temperature_c is not None and values.temperature_c is None:
        missing.append("temperature_c")
    if step.kind == "centrifugation":
        if values.g_force is None:
            missing.append("g_force")
        if values.spin_min is None:
            missing.append("spin_min")
    if step.kind == "culture":
        if values.cell_count_million is None:
            missing.append("cell_count_million")
        if values.viability_pct is None:
            missing.append("viability_pct")
    return missing


@dataclass(frozen=True)
class Recorded:
    """A record of a step already on file: which passage (0: the step itself) and whether it
    has ended."""

    passage: int
    ended: bool


def passage_refusal(step: Step, passage: int, recorded: Iterable[Recorded]) -> Finding | None:
    """Why this passage cannot be recorded now, or None.

    Passage 0 is a culture step itself, from seeding to harvest: its end finishes the step.
    Passages 1, 2 ... are counts taken during it, so the culture is started first and the
    passages follow in order; a passage alone would leave the step unfinished with no word."""
    if passage == 0:
        return None
    if step.kind != "culture":
        return Finding("passage", "passage", "Only culture steps have passages.")
    numbers = {r.passage for r in recorded}
    if 0 not in numbers:
        return Finding(
            "culture_not_started",
            "passage",
            f"Start the culture first: record {step.key} as passage 0 from seeding. Passage "
            f"{passage} is a count taken during the culture, and the culture is finished by "
            "ending passage 0 at harvest.",
        )
    missing = [n for n in range(1, passage) if n not in numbers]
    if missing:
        return Finding(
            "passage_order",
            "passage",
            f"Record passage {missing[0]} before passage {passage}; passages follow in order.",
        )
    return None


@dataclass(frozen=True)
class Unfinished:
    """Why a step is not done yet, in words (the catalogues hold these sentences)."""

    message: str


def unfinished(step: Step, recorded: Iterable[Recorded]) -> str | None:
    """What is missing before a step counts as done (its passage 0 ended), or None; the step
    is named by its English name, which the page shows in the user's language."""
    records = list(recorded)
    step_name = step.name.en
    whole = next((r for r in records if r.passage == 0), None)
    if whole is not None and whole.ended:
        return None
    passages = sorted(r.passage for r in records if r.passage)
    counts = ""
    if passages:
        listed = ", ".join(str(n) for n in passages)
        counts = f" (passage {listed}: counts during the culture, they do not finish it)"
    if whole is not None:
        if step.kind == "culture":
            return Unfinished(
                f"{step_name} is still running: end passage 0 at harvest{counts}"
            ).message
        return Unfinished(f"{step_name} is still running: enter its end time").message
    if step.kind == "culture":
        return Unfinished(
            f"{step_name} has no record of the culture itself: record passage 0{counts}"
        ).message
    return Unfinished(f"{step_name} is not recorded").message
