"""What makes an adverse-event record valid: grade, seriousness, relatedness, onset, outcome.

Severity and seriousness are two axes.  The CTCAE grade says how intense the event is; ICH E2A
seriousness says what it did to the patient (a severe headache is not serious; a mild event
that prolongs a hospital stay is).  Neither is derived from the other; the only link enforced is
death, which both scales name: CTCAE grade 5 is "death related to AE", ICH E2A's first criterion
is "results in death", and the outcome is then "fatal".

Relatedness uses the five-step scale most trial protocols use (not related, unlikely, possible,
probable, definite), modelled on the WHO-UMC causality categories: "definite" stands for WHO-UMC
"certain", and WHO-UMC "conditional" and "unassessable" are not offered because a record with
them cannot be counted either way; the reporter picks the nearest step and updates it later.
It is judged twice, for the product and for the procedure (the harvest or the injection), since
an autologous product and the needle that delivers it cause different events.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from autologic.adverse_events.domain import ctcae
from autologic.common.domain.errors import ValidationFailed


class Criterion(StrEnum):
    """ICH E2A (1994) II.B seriousness criteria."""

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"  # in-patient hospitalisation or its prolongation
    DISABILITY = "disability"  # persistent or significant disability or incapacity
    CONGENITAL_ANOMALY = "congenital_anomaly"  # congenital anomaly or birth defect
    MEDICALLY_IMPORTANT = "medically_important"  # other important medical event


class Relatedness(StrEnum):
    """How likely the product, or the procedure, caused the event (WHO-UMC style)."""

    NOT_RELATED = "not_related"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"


# ICH E2A's "reasonable possibility" of a causal relationship.
RELATED = frozenset({Relatedness.POSSIBLE, Relatedness.PROBABLE, Relatedness.DEFINITE})


class Outcome(StrEnum):
    """The event's outcome, as ICH E2B(R3) field E.i.7 codes it."""

    RECOVERING = "recovering"
    RECOVERED = "recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    NOT_RECOVERED = "not_recovered"
    FATAL = "fatal"
    UNKNOWN = "unknown"


# Outcomes that close the event; the others leave it open for follow-up.
RESOLVED = frozenset({Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE, Outcome.FATAL})
NEEDS_RESOLUTION_DATE = frozenset({Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE})
NO_RESOLUTION_DATE = frozenset({Outcome.RECOVERING, Outcome.NOT_RECOVERED, Outcome.UNKNOWN})

# ICH E2A III.A: expedited reports of fatal or life-threatening unexpected reactions within
# 7 calendar days of first knowledge, other serious unexpected reactions within 15.
FAST_REPORT = timedelta(days=7)
REPORT = timedelta(days=15)


@dataclass(frozen=True)
class Assessment:
    """The judgement part of a record: what can change in a follow-up."""

    grade: int
    serious: bool
    criteria: tuple[str, ...]
    related_product: str
    related_procedure: str
    outcome: str
    resolved_on: date | None
    resolved_time: time | None = None  # for reactions that pass within hours


def term_of(code: str, soc: str = "", specified: str = "") -> ctcae.Term:
    """Return the CTCAE term of a record, refusing an unknown one or an empty "Other"."""
    if code == ctcae.OTHER:
        if soc not in ctcae.SOCS:
            raise ValidationFailed("soc_required", "Choose the system organ class.", "soc")
        if not specified.strip():
            raise ValidationFailed("other_needs_text", "Say what the other event is.", "term_other")
        return ctcae.other_term(soc, specified.strip())
    term = ctcae.BY_CODE.get(code)
    if term is None:
        raise ValidationFailed(
            "unknown_term", f"{code!r} is not a CTCAE v5.0 term in this list.", "term"
        )
    return term


def check_grade(term: ctcae.Term, grade: int) -> None:
    """Refuse a grade that CTCAE v5.0 does not define for the term."""
    if grade not in term.grades:
        allowed = ", ".join(str(g) for g in term.allowed_grades)
        raise ValidationFailed(
            "grade_not_allowed",
            f"CTCAE v5.0 grades {term.name} only as {allowed}.",
            "grade",
            {"term": term.name, "allowed": allowed},
        )


def check_seriousness(serious: bool, criteria: Collection[str]) -> None:
    """A serious event names at least one ICH E2A criterion; a non-serious one names none."""
    unknown = set(criteria) - {c.value for c in Criterion}
    if unknown:
        raise ValidationFailed("unknown_criterion", "Choose criteria from the list.", "criteria")
    if serious and not criteria:
        raise ValidationFailed(
            "serious_needs_criterion",
            "A serious event needs at least one seriousness criterion.",
            "criteria",
        )
    if not serious and criteria:
        raise ValidationFailed(
            "criteria_need_serious",
            "Seriousness criteria apply only to a serious event; mark it serious or clear them.",
            "criteria",
        )


def check_relatedness(value: str, field: str) -> None:
    """Refuse a relatedness outside the five-step scale."""
    if value not in {r.value for r in Relatedness}:
        raise ValidationFailed(
            "unknown_relatedness", "Choose how likely the event is related.", field
        )


def check_onset(onset: datetime, *, now: datetime, given_at: datetime | None = None) -> None:
    """The onset is not in the future, nor before the injection it is linked to.

    An onset is typed to the minute while the injection's time has seconds: an immediate
    reaction in the minute of the injection (given 10:00:40, onset 10:00) is not before it."""
    if onset > now:
        raise ValidationFailed("onset_future", "The onset cannot be in the future.", "onset_at")
    if given_at is not None and onset < given_at.replace(second=0, microsecond=0):
        raise ValidationFailed(
            "onset_before_injection",
            "The onset cannot be before the linked injection was given.",
            "onset_at",
            {"given_at": given_at.isoformat()},
        )


def check_outcome(outcome: str, resolved_on: date | None, *, onset_day: date, today: date) -> None:
    """A recovered event has a resolution date, an open one has none; dates are in order."""
    if outcome not in {o.value for o in Outcome}:
        raise ValidationFailed("unknown_outcome", "Choose an outcome from the list.", "outcome")
    if outcome in NEEDS_RESOLUTION_DATE and resolved_on is None:
        raise ValidationFailed(
            "resolution_date_required",
            "A recovered event needs the date it resolved.",
            "resolved_on",
        )
    if outcome in NO_RESOLUTION_DATE and resolved_on is not None:
        raise ValidationFailed(
            "resolution_date_not_resolved",
            "Only a recovered or fatal event has a resolution date.",
            "resolved_on",
        )
    if resolved_on is not None and resolved_on < onset_day:
        raise ValidationFailed(
            "resolution_before_onset",
            "The resolution date cannot be before the onset.",
            "resolved_on",
        )
    if resolved_on is not None and resolved_on > today:
        raise ValidationFailed(
            "resolution_future", "The resolution date cannot be in the future.", "resolved_on"
        )


def check_death(
    term: ctcae.Term, grade: int, serious: bool, criteria: Collection[str], outcome: str
) -> None:
    """Grade 5, a fatal outcome and the "results in death" criterion go together."""
    fatal = outcome == Outcome.FATAL
    if fatal and 5 not in term.grades:
        raise ValidationFailed(
            "fatal_needs_grade_5_term",
            f"CTCAE v5.0 has no grade 5 for {term.name}; record a fatal event under the term "
            "that caused the death.",
            "outcome",
            {"term": term.name},
        )
    if (grade == 5) != fatal:
        raise ValidationFailed(
            "grade_5_is_fatal",
            "Grade 5 means death related to the event: use it exactly when the outcome is fatal.",
            "grade" if grade == 5 else "outcome",
        )
    if fatal and not (serious and Criterion.DEATH in criteria):
        raise ValidationFailed(
            "fatal_is_serious",
            "A fatal event is serious with the criterion 'results in death'.",
            "criteria",
        )
    if not fatal and Criterion.DEATH in criteria:
        raise ValidationFailed(
            "death_needs_fatal_outcome",
            "The criterion 'results in death' needs the outcome 'fatal'.",
            "outcome",
        )


def check_assessment(term: ctcae.Term, judged: Assessment, *, onset_day: date, today: date) -> None:
    """Run every rule on the changeable part of a record; the first broken one is raised."""
    check_grade(term, judged.grade)
    check_seriousness(judged.serious, judged.criteria)
    check_relatedness(judged.related_product, "related_product")
    check_relatedness(judged.related_procedure, "related_procedure")
    check_outcome(judged.outcome, judged.resolved_on, onset_day=onset_day, today=today)
    check_death(term, judged.grade, judged.serious, judged.criteria, judged.outcome)


def is_open(outcome: str) -> bool:
    """Say whether the event still needs follow-up (not recovered, recovering or unknown)."""
    return outcome not in RESOLVED


@dataclass(frozen=True)
class Reportability:
    """What the record means for reporting; expectedness is the physician's judgement."""

    serious: bool
    suspected_product: bool
    suspected_procedure: bool
    # Serious with a reasonable possibility that the product caused it: if it is also
    # unexpected it is a SUSAR, to be reported to the authority by ``report_by``.
    expedited_candidate: bool
    report_by: datetime | None


def reportability(judged: Assessment, *, known_since: datetime) -> Reportability:
    """Whether an event is serious and suspected, and by when an expedited report is due."""
    product = judged.related_product in RELATED
    candidate = judged.serious and product
    urgent = {Criterion.DEATH, Criterion.LIFE_THREATENING} & set(judged.criteria)
    due = known_since + (FAST_REPORT if urgent else REPORT) if candidate else None
    return Reportability(
        serious=judged.serious,
        suspected_product=product,
        suspected_procedure=judged.related_procedure in RELATED,
        expedited_candidate=candidate,
        report_by=due,
    )


def check_resolution_time(
    resolved_on: date | None,
    resolved_time: time | None,
    *,
    onset_at: datetime,
    now: datetime,
    zone: ZoneInfo,
) -> datetime | None:
    """The moment the event resolved, when its time is known: after the onset, not in the
    future; a time without the date is refused.  Returns it, or None without a time."""
    if resolved_time is None:
        return None
    if resolved_on is None:
        raise ValidationFailed(
            "resolution_time_needs_date",
            "Give the date it resolved with the time.",
            "resolved_time",
        )
    moment = datetime.combine(resolved_on, resolved_time, tzinfo=zone)
    if moment < onset_at:
        raise ValidationFailed(
            "resolution_before_onset_time",
            "The resolution time cannot be before the onset.",
            "resolved_time",
        )
    if moment > now:
        raise ValidationFailed(
            "resolution_time_future",
            "The resolution time cannot be in the future.",
            "resolved_time",
        )
    return moment
