"""Registry pages: the clinic's claims beside its own measured outcomes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autologic.accounts.roles import Role
from autologic.analytics import actions, charts, presentation, queries
from autologic.analytics.domain.claims import median_interval
from autologic.analytics.forms import CohortForm, ExportForm, ResearchStudyForm
from autologic.analytics.templatetags.registry import share
from autologic.common import clock
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import add_domain_error
from autologic.operations.replica import reads_from_replica


def claims(request: HttpRequest) -> HttpResponse:
    """Each claim of the clinic's pages beside the clinic's own measurement, with its interval,
    n, follow-up completeness and a plain verdict.  A registry too large to measure while the
    page loads is measured on the task queue: the page shows the newest check and its
    progress."""
    site = request.user.site
    today = clock.local_today(site.time_zone)
    checks = None
    if queries.treated_count(site) <= settings.AUTOLOGIC_REGISTRY_LIVE_LIMIT:
        reports = queries.claims_report(site, today)
    else:
        checks = queries.claims_checks(site)
        reports = checks.reports
    described = _(
        "Each claim's claimed share as a grey band, and the clinic's measured share as a dot "
        "with its 95 per cent confidence interval."
    )
    shown = [
        {"report": report, "chart": charts.claims_chart(report.results, share, described)}
        for report in reports
    ]
    context = {"reports": shown, "today": today, "checks": checks}
    return render(request, "analytics/claims.html", context)


def claims_check(request: HttpRequest) -> HttpResponse:
    """GET: the state of the clinic's claims check (the page polls it while one runs).
    POST: measure the claims again, on the task queue."""
    site = request.user.site
    if request.method == "POST":
        actions.request_claims_check(site=site, by=request.user, now=clock.now())
        return redirect("analytics:claims")
    context = {"checks": queries.claims_checks(site), "polled": "HX-Request" in request.headers}
    return render(request, "analytics/_claims_check.html", context)


@reads_from_replica  # a report: may lag the primary by seconds (docs/operations.md)
def registry(request: HttpRequest) -> HttpResponse:
    """The clinic's outcome registry: a cohort by its filters (process data included), its
    follow-up completeness, change over time, responders, survival free of failure, safety,
    and the cohort split into groups as a forest plot."""
    site = request.user.site
    today = clock.local_today(site.time_zone)
    language = get_language() or "en"
    found = queries.registry_for(site, today)
    research = request.user.role == Role.RESEARCHER
    if research:
        found = queries.for_research(found, site)
    choices = queries.registry_choices(found, language)
    data = request.GET if request.GET else choices.defaults
    form = CohortForm(
        data,
        calendar=Calendar(site.calendar),
        protocols=choices.protocols,
        versions=choices.versions,
        scores=choices.scores,
        timepoints=choices.timepoints,
    )
    context: dict[str, object] = {
        "form": form,
        "today": today,
        "treated_total": len(found.treated),
        "research": research,
        "saved": queries.saved_cohorts(site),
        "query": request.GET.urlencode(),
        "pairs": [(k, v) for k, values in request.GET.lists() for v in values],
    }
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
    context["activities"] = presentation.activity_rows(report)
    context["activities_median"] = median_interval(report.activities)
    return render(request, "analytics/registry.html", context)


def export(request: HttpRequest) -> HttpResponse:
    """Research exports: open a study, then download its pseudonymised data (consented patients
    only) as CSV, Parquet, SPSS or Stata, with its dictionary."""
    site = request.user.site
    found = queries.studies(site)
    study_form = ResearchStudyForm(request.POST if request.POST.get("step") == "study" else None)
    export_form = ExportForm(
        request.POST if request.POST.get("step") == "export" else None,
        studies=[(s.pk, f"{s.code} · {s.title}") for s in found],
    )
    if request.method == "POST" and request.POST.get("step") == "study" and study_form.is_valid():
        try:
            actions.create_research_study(
                site=site,
                code=study_form.cleaned_data["code"],
                title=study_form.cleaned_data["title"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(study_form, exc)
        else:
            messages.success(request, _("Study opened."))
            return redirect("analytics:export")
    if request.method == "POST" and request.POST.get("step") == "export" and export_form.is_valid():
        study = next(s for s in found if s.pk == export_form.cleaned_data["study"])
        try:
            actions.request_export(
                study=study,
                fmt=export_form.cleaned_data["format"],
                by=request.user,
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(export_form, exc)
        else:
            messages.success(request, _("The export is being made; it is listed below."))
            return redirect("analytics:export")
    status = (
        400
        if (study_form.is_bound and study_form.errors)
        or (export_form.is_bound and export_form.errors)
        else 200
    )
    jobs = queries.export_jobs(site)
    context = {
        "studies": found,
        "study_form": study_form,
        "export_form": export_form,
        "jobs": jobs,
        "busy": any(j.status in ("queued", "running") for j in jobs),
    }
    return render(request, "analytics/export.html", context, status=status)


def cohort_save(request: HttpRequest) -> HttpResponse:
    """Save the registry page's cohort under a name (a new version when its filters changed)."""
    site = request.user.site
    today = clock.local_today(site.time_zone)
    query = {k: v for k, v in request.POST.lists() if k not in ("name", "csrfmiddlewaretoken")}
    found = queries.registry_for(site, today)
    choices = queries.registry_choices(found, get_language() or "en")
    form = CohortForm(
        request.POST,
        calendar=Calendar(site.calendar),
        protocols=choices.protocols,
        versions=choices.versions,
        scores=choices.scores,
        timepoints=choices.timepoints,
    )
    if not form.is_valid():
        messages.error(request, _("The cohort's filters are not valid; nothing was saved."))
        return redirect("analytics:registry")
    try:
        row, new = actions.save_cohort(
            site=site,
            name=request.POST.get("name", ""),
            query=query,
            by=request.user,
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("analytics:registry")
    if new:
        messages.success(
            request, _("Cohort saved as version %(version)s.") % {"version": row.version}
        )
    else:
        messages.info(request, _("This cohort is already saved with these filters."))
    return redirect(queries.cohort_url(row))


def export_jobs(request: HttpRequest) -> HttpResponse:
    """The export list alone: the page polls it while an export is being made."""
    jobs = queries.export_jobs(request.user.site)
    busy = any(j.status in ("queued", "running") for j in jobs)
    return render(request, "analytics/_export_jobs.html", {"jobs": jobs, "busy": busy})


def export_download(request: HttpRequest, job_id: int) -> HttpResponse:
    """Download a finished export (audited)."""
    job = queries.export_job(request.user.site, job_id)
    if job is None or job.status != "done" or job.content is None:
        raise Http404
    actions.record_export_download(job, by=request.user, now=clock.now())
    response = HttpResponse(bytes(job.content), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response
