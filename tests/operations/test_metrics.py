"""`/metrics`: the monitoring system's bearer token only; request latency per view, and the
clinic's gauges read from the database at each scrape, parsed back with prometheus_client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from autologic.common import clock
from autologic.outbox.models import Message

TOKEN = "a-monitoring-token-of-some-length"


@pytest.fixture
def metrics_on(settings):
    settings.AUTOLOGIC_METRICS_TOKEN = TOKEN


def scrape(client) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_are_off_without_a_token_and_refuse_a_wrong_one(client, db, settings):
    settings.AUTOLOGIC_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.AUTOLOGIC_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    # A signed-in session is no substitute for the token.
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401


def test_request_latency_is_counted_per_view(client, db, metrics_on):
    before = scrape(client).get("django_http_requests_latency_seconds_by_view_method_count", {})
    key = (("method", "GET"), ("view", "health"))
    for _ in range(3):
        client.get("/health")
    after = scrape(client)["django_http_requests_latency_seconds_by_view_method_count"]
    assert after[key] - before.get(key, 0) == 3


def test_clinic_gauges_show_the_outbox_and_no_patient_data(client, site, metrics_on):
    now = clock.now()
    for status in ("failed", "failed", "pending"):
        Message.objects.create(
            site=site,
            channel="email",
            to="anna@example.org",
            body="x",
            purpose="questionnaire",
            status=status,
            next_attempt_at=now - timedelta(minutes=1),
            created_at=now,
        )
    found = scrape(client)
    messages = found["autologic_outbox_messages"]
    assert messages[(("site", site.code), ("state", "failed"))] == 2
    assert messages[(("site", site.code), ("state", "pending"))] == 1
    assert "autologic_task_queue_waiting" in found
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content
    assert b"anna" not in text and b"example.org" not in text
