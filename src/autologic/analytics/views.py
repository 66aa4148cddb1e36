"""Registry pages: the clinic's claims beside its own measured outcomes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autologic.analytics import charts, presentation, queries
from autologic.analytics.forms import CohortForm
from autologic.analytics.templatetags.registry import share
from autologic.common import clock
from autologic.common.domain.calendars import Calendar


def claims(request: HttpRequest) -> HttpResponse:
    """Each claim of the clinic's pages beside the clinic's own measurement, with its interval,
    n, follow-up completeness and a plain verdict."""
    site = request.user.site
    today = clock.local_today(site.time_zone)
    reports = queries.claims_report(site, today)
    described = _(
        "Each claim's claimed share as a grey band, and the clinic's measured share as a dot "
        "with its 95 per cent confidence interval."
    )
    shown = [
        {"report": report, "chart": charts.claims_chart(report.results, share, described)}
        for report in reports
    ]
    return render(request, "analytics/claims.html", {"reports": shown, "today": today})


def registry(request: HttpRequest) -> HttpResponse:
    """The clinic's outcome registry: a cohort by its filters (process data included), its
    follow-up completeness, change over time, responders, survival free of failure, safety,
    and the cohort split into groups as a forest plot."""
    site = request.user.site
    today = clock.local_today(site.time_zone)
    language = get_language() or "en"
    found = queries.registry_for(site, today)
    choices = queries.registry_choices(found, language)
    data = request.GET if request.GET else choices.defaults
    form = CohortForm(
        data,
        calendar=Calendar(site.calendar),
        protocols=choices.protocols,
        scores=choices.scores,
        timepoints=choices.timepoints,
    )
    context: dict[str, object] = {"form": form, "today": today, "treated_total": len(found.treated)}
    if not found.treated or not choices.scores:
        return render(request, "analytics/registry.html", {**context, "empty": True})
    if not form.is_valid():
        return render(request, "analytics/registry.html", context, status=400)
    report = queries.registry_report(
        found,
        site,
        cohort=form.cohort(),
        score=form.cleaned_data["score"],
        failures=form.cleaned_data["failures"],
        stratify=form.cleaned_data["stratify"],
        cuts=form.cleaned_data["cuts"],
        timepoint=form.cleaned_data["timepoint"],
    )
    context["report"] = report
    context["charts"] = presentation.registry_charts(report)
    context["at_risk"] = presentation.at_risk_rows(report)
    return render(request, "analytics/registry.html", context)
