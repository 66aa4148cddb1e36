"""The demo as a new user meets it: three clinics (Düsseldorf, Tehran, Dubai), each with
sessions today and one lab lot at every stage, so every page has something to show at once."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction

from autologic.accounts.models import Site
from autologic.care.models import Appointment, ClosedDay, Course
from autologic.clinical.models import ConservativeTreatment, EligibilityDecision
from autologic.common import clock
from autologic.lab.models import Collection, QCResult, Unit
from autologic.lab.queries import release_gate
from autologic.patients.models import Patient
from autologic.protocols.models import ProtocolVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes a while) in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_dubai_is_a_gulf_clinic_in_aed_with_arabic_friendly_names(seeded):
    dubai = Site.objects.get(code="dxb")
    assert (dubai.time_zone, dubai.calendar, dubai.currency) == ("Asia/Dubai", "gregorian", "AED")
    assert dubai.languages == ["en"] and dubai.default_language == "en"
    names = [p.family_name for p in Patient.objects.filter(site=dubai)]
    assert any(n.startswith("Al ") or n.isascii() for n in names)
    assert any("\u0600" <= ch <= "\u06ff" for n in names for ch in n)  # Arabic script
    assert all(p.phone.startswith("+971") for p in Patient.objects.filter(site=dubai))
    for code in ("acs-large-joint", "acs-spine"):
        active = ProtocolVersion.objects.filter(code=code, status="active").get()
        assert all("AED" in price.amounts for price in active.protocol.prices)
    for username in ("dr.mansoori", "lab.dubai", "admin.dubai"):
        assert username in seeded


def test_seed_002_walks_in_dubai_after_failed_conservative_treatment(seeded):
    dubai = Site.objects.get(code="dxb")
    first = Patient.objects.filter(site=dubai).order_by("id").first()
    tried = ConservativeTreatment.objects.filter(patient=first)
    assert {t.treatment for t in tried} >= {"physiotherapy"} and {t.result for t in tried} == {
        "failed"
    }
    decision = EligibilityDecision.objects.get(patient=first)
    assert decision.verdict == "eligible" and decision.protocol.code == "acs-large-joint"
    course = Course.objects.get(patient=first)
    assert course.guidance == "ultrasound" and course.status == "scheduled"


def test_every_clinic_has_injections_today(seeded):
    now = clock.now()
    for site in Site.objects.all():
        today = now.astimezone(ZoneInfo(site.time_zone)).date()
        if ClosedDay.objects.filter(site=site, day=today).exists():
            continue  # a public holiday has no sessions, not even in the demo
        starts = [
            a.starts_at.astimezone(ZoneInfo(site.time_zone)).date()
            for a in Appointment.objects.filter(course__site=site, kind="injection").exclude(
                starts_at=None
            )
        ]
        assert today in starts, site.code


def test_every_lab_has_a_lot_at_each_stage(seeded):
    now = clock.now()
    for site in Site.objects.all():
        # Today's lots; the history's lots were made and used up years ago.
        lots = list(
            Collection.objects.filter(site=site, collected_at__gt=now - timedelta(days=7)).order_by(
                "pk"
            )
        )
        assert len(lots) == 5, site.code
        released, failed, awaiting, incubating, collected = lots
        assert released.release.decision == "released"
        assert not Unit.objects.filter(collection=released, parent__isnull=False, box=None)
        injection = Appointment.objects.get(course=released.course, key="inj1")
        zone = ZoneInfo(site.time_zone)
        today = now.astimezone(zone).date()
        if not ClosedDay.objects.filter(site=site, day=today).exists():
            assert injection.starts_at.astimezone(zone).date() == today
        failing = QCResult.objects.get(collection=failed, verdict="fail")
        assert failing.attribute == "volume" and not failing.disposition
        assert any(b.kind == "non_conforming" for b in release_gate(failed))
        assert not QCResult.objects.filter(collection=awaiting).exists()
        assert {b.kind for b in release_gate(awaiting)} == {"no_result"}
        assert incubating.run.steps.get().key == "incubation"
        assert not hasattr(collected, "run") or collected.run is None
        assert collected.collected_at > now - timedelta(hours=2)


def test_the_logins_and_todays_work_are_printed_for_every_clinic(seeded):
    for site in ("dus", "thr", "dxb"):
        assert f" {site} " in seeded
    assert "demo-Autologic-2026" in seeded
    # Where to look today: the bedside list and a link to each lab lot by its stage.
    assert "injection session(s) today" in seeded and "/injections/" in seeded
    for stage in ("released and stored", "failed QC, awaiting QA", "incubating", "collected"):
        assert seeded.count(stage) >= 3, stage
    assert seeded.count("/lab/lots/") == 15


def test_each_demo_clinic_bills_by_its_countrys_rules(seeded):
    from autologic.billing.models import BillingProfile, PriceList

    profiles = {p.site.code: p for p in BillingProfile.objects.select_related("site")}
    assert {code: p.country for code, p in profiles.items()} == {
        "dus": "DE",
        "thr": "IR",
        "dxb": "AE",
    }
    assert profiles["thr"].show_tomans and profiles["thr"].deposit_gate
    hip = PriceList.objects.get(site__code="thr", therapy="cells-hip").items.get()
    assert (hip.low_minor, hip.high_minor) == (120_000_000, 200_000_000)  # 12–20 M tomans
    goae = PriceList.objects.get(site__code="dus", therapy="acs-large-joint")
    # GOÄ items and § 10 expenses, no flat prices.
    assert all(item.points or item.frame == "expense" for item in goae.items.all())
    assert PriceList.objects.filter(site__code="dxb", currency="AED").exists()


def test_the_history_gives_the_registry_treated_patients_and_every_claim_a_row(seeded):
    """Patients treated over the last years, followed up, some hips replaced: the claims page
    of every clinic measures its claims on them."""
    from autologic.analytics import queries as registry
    from autologic.analytics.domain.stats import Verdict

    for code, protocol in (
        ("dus", "acs-large-joint"),
        ("thr", "cells-hip"),
        ("dxb", "acs-large-joint"),
    ):
        site = Site.objects.get(code=code)
        today = clock.local_today(site.time_zone)
        reg = registry.registry_for(site, today)
        assert {t.protocol for t in reg.treated} == {protocol}, code
        assert len(reg.treated) >= 10, code
        assert min(t.treated_on for t in reg.treated) < today - timedelta(days=730)
        assert all(t.injections_received >= 1 for t in reg.treated)
        reports = registry.claims_report(site, today)
        assert reports, code
        results = [r for report in reports for r in report.results]
        assert any(r.kind == "proportion" and r.n >= 10 for r in results), code
    tehran = Site.objects.get(code="thr")
    reg = registry.registry_for(tehran, clock.local_today(tehran.time_zone))
    assert reg.failures(["arthroplasty"]), "some hips were replaced"
    (report,) = registry.claims_report(tehran, reg.today)
    assert report.claim_set.version == 2  # both versions loaded; the newest is in force
    verdicts = {r.claim.id: r.verdict for r in report.results}
    assert set(verdicts) == {"C4", "C5", "C6", "C7", "C8", "C9", "C10"}
    # C7 is measured from the follow-up question "back to your usual daily activities?".
    c7 = next(r for r in report.results if r.claim.id == "C7")
    assert c7.kind == "proportion" and c7.n >= 10
    assert c7.verdict is not Verdict.NOT_ENOUGH_DATA
