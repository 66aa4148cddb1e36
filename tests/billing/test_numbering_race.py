"""Invoice numbers are gapless when clerks issue at once: real processes on PostgreSQL, each
with its own connection, meeting at a barrier before they issue."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection

from autologic.billing import actions
from autologic.billing.models import Invoice, NumberRange
from autologic.protocols.models import ProtocolVersion
from tests.billing.conftest import NOW, billing_for
from tests.billing.race_worker import issue
from tests.billing.test_actions import accept, plan

pytestmark = [pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def test_clerks_issuing_at_once_get_gapless_numbers(site, start_course, make_staff, patient):
    if connection.vendor != "postgresql":
        pytest.skip("a race between processes needs PostgreSQL")
    from autologic.patients import actions as patients
    from tests.conftest import patient_data

    clerks = [make_staff("billing", username=f"clerk-{i}") for i in range(3)]
    billing_for(site, "ES")
    courses = []
    for i in range(4):
        who = (
            patient
            if i == 0
            else patients.create_patient(
                site=site, data=patient_data(mrn=f"R{i}", family_name=f"Race{i}"), by=clerks[0]
            )
        )
        course = start_course("acs-large-joint", who=who)
        if i == 0:
            actions.seed_price_list(
                site, ProtocolVersion.objects.get(pk=course.protocol_id), by=clerks[0], now=NOW
            )
        estimate = actions.offer_estimate(
            course, plan=plan("EUR"), language="es", by=clerks[0], now=NOW
        )
        accept(estimate, clerks[0])
        courses.append(course.pk)
    connection.close()  # the children open their own connections
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(3), context.Queue()
    # Clerk 0 and clerk 1 both issue every course's invoice; clerk 2 issues the last two.
    plans = [courses, list(reversed(courses)), courses[2:]]
    workers = [
        context.Process(
            target=issue,
            args=(database_url(), clerks[i].pk, plans[i], NOW.isoformat(), barrier, out),
        )
        for i in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    results = [out.get(timeout=5) for _ in range(sum(len(p) for p in plans))]
    assert [r for r in results if r[0] == "error"] == []
    issued = [r for r in results if r[0] == "issued"]
    # Each course is invoiced exactly once; every other attempt is refused, none deadlocks.
    assert sorted(r[1] for r in issued) == sorted(courses)
    assert {r[2] for r in results if r[0] == "refused"} == {"course_invoiced"}
    numbers = sorted(
        Invoice.objects.filter(site=site, series="invoice").values_list("number", flat=True)
    )
    assert numbers == list(range(1, len(courses) + 1))
    assert NumberRange.objects.get(site=site, series="invoice").last == len(courses)
