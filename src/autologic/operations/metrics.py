"""Prometheus metrics at `/metrics`, for the monitoring system's bearer token only.

Two parts:

* per-view request counts and latency, from django-prometheus's middleware.  Under gunicorn with
  several workers these live in ``PROMETHEUS_MULTIPROC_DIR`` (set by `autologic serve`), and a
  scrape adds up every worker's files;
* the clinic's own gauges, read from the database at scrape time: the task queue, the outbox,
  the oldest lot waiting for release and open freezer excursions, per clinic (its code, never a
  patient).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from autologic.common import clock
from autologic.operations import queries


class ClinicCollector(Collector):
    """Gauges read from the database on every scrape."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        tasks = queries.task_queue(self.now)
        waiting = GaugeMetricFamily(
            "autologic_task_queue_waiting", "Tasks due on the database queue and not started."
        )
        waiting.add_metric([], tasks.waiting)
        yield waiting
        lag = GaugeMetricFamily(
            "autologic_task_queue_lag_seconds", "How long the oldest due task has waited."
        )
        lag.add_metric([], tasks.lag_seconds or 0.0)
        yield lag
        messages = GaugeMetricFamily(
            "autologic_outbox_messages", "Outgoing messages by state.", labels=["site", "state"]
        )
        for (site, state), count in sorted(queries.outbox_counts().items()):
            messages.add_metric([site, state], count)
        yield messages
        lots = GaugeMetricFamily(
            "autologic_oldest_unreleased_lot_seconds",
            "Age of the oldest collection whose units wait for a release decision.",
            labels=["site"],
        )
        for site, since in sorted(queries.oldest_unreleased_lots().items()):
            lots.add_metric([site], max((self.now - since).total_seconds(), 0.0))
        yield lots
        excursions = GaugeMetricFamily(
            "autologic_freezer_excursions",
            "Freezer excursions still going on (open) or not yet acknowledged by a person.",
            labels=["site", "state"],
        )
        for (site, state), count in sorted(queries.freezer_excursions().items()):
            excursions.add_metric([site, state], count)
        yield excursions


def exposition(now: datetime) -> bytes:
    """The text every scrape gets: the request metrics, then the clinic's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)  # type: ignore[no-untyped-call]
    else:
        requests = REGISTRY
    clinic = CollectorRegistry(auto_describe=False)
    clinic.register(ClinicCollector(now))
    return generate_latest(requests) + generate_latest(clinic)


def _authorised(request: HttpRequest) -> bool:
    expected = settings.AUTOLOGIC_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; 404 while no token is configured, 401 for a wrong one."""
    if not settings.AUTOLOGIC_METRICS_TOKEN:
        raise Http404
    if not _authorised(request):
        response = HttpResponse("a bearer token is required\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(
        exposition(clock.now()),
        content_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
