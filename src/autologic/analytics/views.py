"""Registry pages: the clinic's claims beside its own measured outcomes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from autologic.analytics import charts, queries
from autologic.analytics.templatetags.registry import share
from autologic.common import clock


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
