"""The claims check of a large registry, made on the task queue: the page shows the newest
finished check and the one under way; the numbers kept are the numbers measured live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import yaml
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from autologic.analytics import actions, queries
from autologic.analytics.domain import claims, registry
from autologic.analytics.models import ClaimsCheck
from autologic.audit.models import AuditEvent
from tests.analytics.test_queries import CLAIMS, answer
from tests.analytics.test_registry import CLAIM, THRESHOLDS, TODAY, activities, hip, pain
from tests.conftest import signed_in

LARGE = override_settings(AUTOLOGIC_REGISTRY_LIVE_LIMIT=-1)  # every registry counts as large


def test_a_measured_claim_is_kept_and_read_back_unchanged() -> None:
    file = claims.parse_claims(yaml.safe_load(CLAIM), "test.yaml")
    rows = [hip(i, TODAY - timedelta(days=500), closed=frozenset({"w2", "m12"})) for i in range(12)]
    measures = [pain(t, "baseline", 7, -1) for t in rows]
    measures += [pain(t, "m12", 3 if t.patient % 3 else 7, 365) for t in rows]
    measures += [activities(t, "w2", t.patient % 2, 14) for t in rows]
    found = registry.Registry(TODAY, rows, measures)
    for claim in file.items:
        measured = claims.evaluate(claim, found, THRESHOLDS)
        kept = claims.result_from(claims.result_data(measured), file)
        assert kept == measured.__class__(**{**measured.__dict__, "curve": None})


def load(site, manager) -> None:
    for name in ("seed-000.v1.yaml", "seed-004.v2.yaml"):
        actions.load_claims(
            site=site,
            text=(CLAIMS / name).read_text(),
            source=name,
            by=manager,
            now=datetime(2027, 1, 1, tzinfo=UTC),
        )


@LARGE
def test_a_large_registry_is_measured_on_the_queue_with_its_progress(
    administration, nurse, manager, fixed_clock
) -> None:
    site = administration.site
    given = administration.given_at.date()
    answer(administration, "baseline", 7, given, nurse)
    load(site, manager)
    client = signed_in(manager)
    page = client.get(reverse("analytics:claims")).content.decode()
    assert 'data-testid="claims-check"' in page and "Not measured yet." in page
    assert 'data-testid="claim-C4"' not in page  # nothing measured, nothing guessed
    assert client.post(reverse("analytics:claims_check")).status_code == 302
    assert client.post(reverse("analytics:claims_check")).status_code == 302  # joins the first
    check = ClaimsCheck.objects.get()
    assert check.status == "queued" and check.requested_by == manager
    assert AuditEvent.objects.filter(action="registry.claims_check_request").count() == 1
    busy = client.get(reverse("analytics:claims_check")).content.decode()
    assert 'data-busy="1"' in busy and "<progress" in busy
    now = fixed_clock.now()
    done = actions.run_claims_check_job(check.pk, now=now)
    assert (done.status, done.progress, done.treated) == ("done", 100, 1)
    live = queries.claims_report(site, done.as_of)
    kept = queries.claims_checks(site).reports
    assert [[r.verdict for r in report.results] for report in kept] == [
        [r.verdict for r in report.results] for report in live
    ]
    assert [[r.n for r in report.results] for report in kept] == [
        [r.n for r in report.results] for report in live
    ]
    polled = client.get(reverse("analytics:claims_check"), headers={"HX-Request": "true"})
    assert 'data-testid="claims-check-show"' in polled.content.decode()
    page = client.get(reverse("analytics:claims")).content.decode()
    assert 'data-testid="claim-C4"' in page and 'data-testid="claim-C12"' in page
    assert "Last measured" in page


@LARGE
def test_a_failed_check_says_so_and_keeps_the_last_complete_one(site, manager) -> None:
    now = datetime(2027, 1, 2, 9, tzinfo=UTC)
    check = actions.request_claims_check(site=site, by=manager, now=now)
    with mock.patch.object(queries, "measure_claims", side_effect=RuntimeError("boom")):
        failed = actions.run_claims_check_job(check.pk, now=now)
    assert (failed.status, failed.error, failed.results) == ("failed", "RuntimeError", [])
    page = signed_in(manager).get(reverse("analytics:claims")).content.decode()
    assert 'data-testid="claims-check-failed"' in page


def test_the_worker_makes_a_check_whose_task_was_lost(site, manager) -> None:
    asked = datetime(2027, 1, 2, 9, tzinfo=UTC)
    check = actions.request_claims_check(site=site, by=manager, now=asked)
    assert actions.run_waiting_claims_checks(now=asked + timedelta(seconds=30)) == 0
    assert actions.run_waiting_claims_checks(now=asked + timedelta(minutes=5)) == 1
    check.refresh_from_db()
    assert check.status == "done"


def test_one_check_at_a_time_per_clinic_in_the_database(site, manager) -> None:
    now = datetime(2027, 1, 2, 9, tzinfo=UTC)
    actions.request_claims_check(site=site, by=manager, now=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimsCheck.objects.create(site=site, as_of=now.date(), requested_at=now)


def test_a_small_registry_is_measured_while_the_page_loads(site, manager) -> None:
    load(site, manager)
    page = signed_in(manager).get(reverse("analytics:claims")).content.decode()
    assert 'data-testid="claims-check"' not in page
    assert 'data-testid="claim-C4"' in page
    assert not ClaimsCheck.objects.exists()
