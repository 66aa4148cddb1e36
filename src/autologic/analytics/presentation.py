"""How the registry page shows a report: chart data in the page's language and digits."""

from __future__ import annotations

from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from autologic.analytics import charts
from autologic.analytics.domain.registry import DAYS_PER_MONTH
from autologic.analytics.queries import RegistryReport
from autologic.analytics.templatetags.registry import share
from autologic.analytics.templatetags.registry import timepoint_name as timepoint
from autologic.clinical.choices import SIDES
from autologic.common.domain.calendars import interface_digits
from autologic.patients.models import SEX_CHOICES
from autologic.protocols.queries import protocol_title

AT_RISK_EVERY_MONTHS = 6


def kind_label(kind: str) -> str:
    """A responder definition's name."""
    return {
        "change": _("Important improvement"),
        "pass": _("Acceptable state"),
        "omeract": _("OMERACT-OARSI responder"),
    }[kind]


def _digits(value: object) -> str:
    return interface_digits(str(value), get_language() or "en")


def _months(n: int) -> str:
    return ngettext("%(n)s month", "%(n)s months", n) % {"n": _digits(n)}


def stratum_label(attribute: str, label: str) -> str:
    """A group's name: a category in words, a band of numbers in the page's digits."""
    if attribute == "sex":
        return str(dict(SEX_CHOICES).get(label, label))
    if attribute == "side":
        return str(dict(SIDES).get(label, label))
    if attribute == "protocol":
        return protocol_title(label, get_language() or "en")
    if attribute == "grade":
        return _("grade %(grade)s") % {"grade": _digits(label)}
    return _digits(label)


def at_risk_rows(report: RegistryReport) -> list[dict[str, object]]:
    """The number at risk, events so far and survival every six months, under the curve."""
    curve = report.curve
    if not curve.steps:
        return []
    last = max(s.time for s in curve.steps)
    rows = []
    month = 0
    while month * DAYS_PER_MONTH <= last:
        days = month * DAYS_PER_MONTH
        survival, _low, _high = curve.survival_at(days)
        rows.append(
            {
                "months": month,
                "at_risk": curve.at_risk(days),
                "events": sum(s.events for s in curve.steps if s.time <= days),
                "survival": survival,
            }
        )
        month += AT_RISK_EVERY_MONTHS
    return rows


ACTIVITY_WEEKS = (1, 2, 4, 6, 12)


def activity_rows(report: RegistryReport) -> list[dict[str, object]]:
    """The share back to usual daily activities by each week (1 minus the Kaplan-Meier curve,
    with its interval turned round), where the joint had been followed that long."""
    curve = report.activities
    if not curve.steps:
        return []
    last = max(s.time for s in curve.steps)
    rows = []
    for weeks in ACTIVITY_WEEKS:
        days = weeks * 7
        if days > last:
            break
        survival, low, high = curve.survival_at(days)
        rows.append(
            {
                "weeks": weeks,
                "at_risk": curve.at_risk(days),
                "back": 1 - survival,
                "low": 1 - high,
                "high": 1 - low,
            }
        )
    return rows


def registry_charts(report: RegistryReport) -> dict[str, SafeString | None]:
    """The page's charts: change over time, responders, survival and the forest plot."""
    change_points = [
        {
            "label": timepoint(c.timepoint),
            "mean": c.change.mean,
            "low": c.change.low,
            "high": c.change.high,
        }
        for c in report.changes
        if c.change.n
    ]
    bars = [
        {
            "label": timepoint(b.timepoint),
            "kind": kind_label(b.kind),
            "value": b.rate.proportion.estimate,
            "low": b.rate.proportion.low,
            "high": b.rate.proportion.high,
        }
        for b in report.responders
    ]
    steps = [{"months": 0.0, "survival": 1.0, "low": 1.0, "high": 1.0, "censored": 0}] + [
        {
            "months": s.time / DAYS_PER_MONTH,
            "survival": s.survival,
            "low": s.low,
            "high": s.high,
            "censored": s.censored,
        }
        for s in report.curve.steps
    ]
    forest = [
        {
            "label": stratum_label(report.stratify, stratum.label),
            "value": rate.proportion.estimate,
            "low": rate.proportion.low,
            "high": rate.proportion.high,
            "n": rate.proportion.n,
        }
        for stratum, rate in report.strata
    ]
    overall = report.overall.proportion.estimate if report.overall else None
    return {
        "change": charts.change_chart(
            change_points,
            _digits,
            _("Mean improvement from baseline at each timepoint, with its 95 per cent interval."),
        ),
        "responders": charts.responder_chart(
            bars, share, _("Share of responders at each timepoint, with 95 per cent intervals.")
        ),
        "survival": charts.survival_chart(
            steps if report.curve.steps else [],
            share,
            _months,
            _("Survival free of failure over months since the first injection, with its band."),
        ),
        "forest": charts.forest_chart(
            forest,
            overall,
            share,
            _("Share of responders in each group, with 95 per cent intervals."),
        ),
    }
