"""`autologic seed-demo`: create the demo clinics, staff and patients; safe to run again."""

from __future__ import annotations

import base64
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from autologic.accounts import actions as accounts
from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof
from autologic.care import actions as care
from autologic.care.models import Appointment, ClosedDay, Course, Resource
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.clinical.demo import prepare_for_collection
from autologic.clinical.domain.eligibility import evaluate
from autologic.clinical.models import EligibilityDecision
from autologic.common import clock
from autologic.common.clock import local_today
from autologic.common.domain.clock import FixedClock
from autologic.demo import data
from autologic.patients import actions as patients
from autologic.patients.models import Patient
from autologic.protocols import queries as protocol_queries
from autologic.protocols.actions import sync_protocols
from autologic.protocols.models import ProtocolVersion


class Command(BaseCommand):
    help = "Seed the demo clinics (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MODE not in {"demo", "test"}:
            raise CommandError("seed-demo refuses to run outside demo or test mode.")
        sites = {spec["code"]: self._site(spec) for spec in data.SITES}
        staff = {row[0]: self._staff(sites[row[1]], *row) for row in data.STAFF}
        for code, count in data.PATIENTS_PER_SITE.items():
            self._patients(sites[code], count, staff)
        report = sync_protocols()
        if not report.ok:
            raise CommandError("; ".join(report.refused))
        for code in data.PATIENTS_PER_SITE:
            self._assessments(sites[code], staff)
        for site in sites.values():
            self._resources(site, staff)
            self._courses(site, staff)
            self._lab(site, staff)
            self._outcomes(site, staff)
            self._history(site, staff)
            self._billing(site)
            self._accounts(site, staff)
        self._print_logins()
        self._print_today(list(sites.values()))
        self._print_portal_links(list(sites.values()))

    def _billing(self, site: Site) -> None:
        """The clinic's billing profile and first price lists (once)."""
        from autologic.billing import actions as billing
        from autologic.billing.domain.money import Money
        from autologic.billing.models import BillingProfile
        from autologic.protocols.models import ProtocolVersion

        spec = data.BILLING.get(site.code)
        if spec is None or BillingProfile.objects.filter(site=site).exists():
            return
        now = clock.now()
        billing.set_billing_profile(site, spec, by=None, now=now)
        if spec["country"] == "DE":
            zero = Money.of(0, site.currency)
            items = [
                {
                    "code": code,
                    "label": label,
                    "per": per,
                    "points": points,
                    "frame": "personal",
                    "low": zero,
                    "high": zero,
                }
                for code, label, per, points in data.GOAE_ACS
            ]
            items += [
                {
                    "code": code,
                    "label": label,
                    "per": per,
                    "frame": "expense",
                    "low": Money.of(amount, "EUR"),
                    "high": Money.of(amount, "EUR"),
                }
                for code, label, per, amount in data.GOAE_EXPENSES
            ]
            billing.add_price_list(
                site,
                "acs-large-joint",
                effective_from=now.date(),
                items=items,
                source="GOÄ items of the clinic",
                by=None,
                now=now,
            )
            return
        if site.currency == "IRR":
            low, high = data.HIP_RANGE_RIALS
            billing.add_price_list(
                site,
                "cells-hip",
                effective_from=now.date(),
                items=[
                    {
                        "code": "hip-course",
                        "label": {
                            "fa": "دوره درمان سلولی مفصل ران",
                            "en": "Hip cell therapy course",
                        },
                        "per": "course",
                        "low": Money.of(low, "IRR"),
                        "high": Money.of(high, "IRR"),
                    }
                ],
                source="Clinic page (seed 004)",
                by=None,
                now=now,
            )
        # Then the protocols' own prices for every other therapy (seed 004's range stays).
        for version in ProtocolVersion.objects.filter(status="active"):
            if any(site.currency in item.amounts for item in version.protocol.prices):
                billing.seed_price_list(site, version, by=None, now=now)

    def _accounts(self, site: Site, staff: dict[str, User]) -> None:
        """The first courses priced, signed, invoiced and half paid; one insured."""
        from autologic.billing.demo import seed_accounts

        seed_accounts(site, staff)

    def _site(self, spec: dict[str, Any]) -> Site:
        site = Site.objects.filter(code=spec["code"]).first()
        if site is None:
            fields = {k: v for k, v in spec.items() if k != "code"}
            site = accounts.create_site(code=spec["code"], data=fields)
        return site

    def _staff(
        self, site: Site, username: str, _site: str, role: str, given: str, family: str, secret: str
    ) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.create_staff(
                site=site,
                data={
                    "username": username,
                    "first_name": given,
                    "last_name": family,
                    "email": f"{username}@demo.autologic.invalid",
                    "role": role,
                },
                password=data.DEMO_PASSWORD,
            )
            user.preferred_language = site.default_language
            user.save(update_fields=["preferred_language"])
        if not TOTPDevice.objects.filter(user=user).exists():
            key = base64.b32decode(secret).hex()
            TOTPDevice.objects.create(user=user, name="Demo authenticator", key=key, confirmed=True)
        return user

    def _patients(self, site: Site, count: int, staff: dict[str, User]) -> None:
        existing = Patient.objects.filter(site=site).count()
        rng = random.Random(f"autologic-demo-{site.code}")  # same patients on every machine
        names = data.NAMES[site.code]
        registrar = next(
            u for u in staff.values() if u.site_id == site.pk and u.role == "coordinator"
        )
        area, low, high = data.PHONES[site.code]
        arabic = names.get("arabic", {})
        for index in range(count):
            sex = rng.choice(["female", "male"])
            given = rng.choice(names[sex])
            family = rng.choice(names["family"])
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
            phone = f"{area}{rng.randrange(low, high)}"
            language = rng.choice(names["languages"])
            if index < existing:
                continue
            if arabic and index % 2:
                given, family = arabic[given], arabic[family]
            patients.create_patient(
                site=site,
                data={
                    "mrn": "",
                    "family_name": family,
                    "given_name": given,
                    "date_of_birth": born,
                    "sex": sex,
                    "phone": phone,
                    "email": "",
                    "address": "",
                    "preferred_language": language,
                },
                by=registrar,
            )

    def _assessments(self, site: Site, staff: dict[str, User]) -> None:
        """Give the first demo patients an assessment so eligibility can be tried at once."""
        physician = next(
            u for u in staff.values() if u.site_id == site.pk and u.role == "physician"
        )
        patients_in_order = Patient.objects.filter(site=site).order_by("id")
        for patient, case in zip(patients_in_order, data.ASSESSMENTS, strict=False):
            if patient.assessments.exists():
                continue
            assessment = clinical.create_assessment(
                patient=patient, data={**case["assessment"]}, by=physician
            )
            for region in case["regions"]:
                clinical.add_region(assessment=assessment, data=region, by=physician)
            for kind, rows in case.get("records", {}).items():
                for row in rows:
                    clinical.add_record(kind=kind, patient=patient, data=row, by=physician)

    def _resources(self, site: Site, staff: dict[str, User]) -> None:
        """The clinic's rooms, clinicians, lab equipment and closing days."""
        admin = next(u for u in staff.values() if u.site_id == site.pk)
        for code, kind, name, capacity, capabilities, hours, username in data.RESOURCES.get(
            site.code, []
        ):
            if Resource.objects.filter(site=site, code=code).exists():
                continue
            resource = care.add_resource(
                site=site,
                data={
                    "kind": kind,
                    "code": code,
                    "name": name,
                    "capacity": capacity,
                    "capabilities": capabilities,
                    "hours": hours,
                },
                by=admin,
            )
            if username:
                resource.staff = staff[username]
                resource.save(update_fields=["staff"])
        for day, reason in data.CLOSED_DAYS.get(site.code, []):
            when = date.fromisoformat(day)
            if not ClosedDay.objects.filter(site=site, day=when).exists():
                care.add_closed_day(site=site, day=when, reason=reason, by=admin)

    def _courses(self, site: Site, staff: dict[str, User]) -> None:
        """Sign eligibility for a few demo patients and book their courses, so the calendar
        and timelines have something to show."""
        physician = next(
            u for u in staff.values() if u.site_id == site.pk and u.role == "physician"
        )
        patients_in_order = list(Patient.objects.filter(site=site).order_by("id")[:10])
        protocols = {p.code: p for p in protocol_queries.latest_active()}
        today = local_today(site.time_zone)
        # The clinic's first ACS course was booked yesterday for yesterday's blood draw, so its
        # first injection is today (the demo lab releases its lot); the others start later.
        first_acs = not Course.objects.filter(site=site, protocol__therapy="acs").exists()
        for index, code in data.COURSES.get(site.code, []):
            if index >= len(patients_in_order) or code not in protocols:
                continue
            patient = patients_in_order[index]
            assessment = patient.assessments.first()
            if assessment is None or EligibilityDecision.objects.filter(patient=patient).exists():
                continue
            row = protocols[code]
            prepare_for_collection(patient, row, physician, today)
            regions = list(assessment.regions.all())
            facts = clinical_queries.facts_for(assessment, regions, today=today)
            report = evaluate(row.protocol, facts)
            if report.verdict == "not_eligible":
                continue
            decision = clinical.decide_eligibility(
                assessment=assessment,
                protocol=row,
                report=report,
                regions=[str(r) for r in regions],
                verdict=report.verdict,
                justification="",
                # The demo physician's signature, given when the demo is seeded.
                proof=SignerProof(user=physician, second_factor=True),
                expected_verdict=report.verdict,
            )
            if decision.verdict != "eligible":
                continue  # a conditional decision starts no course (shown on the record)
            if first_acs and row.therapy == "acs":
                first_acs = False
                self._book_from_yesterday(site, decision, row, physician)
                continue
            course = care.create_course(
                decision=decision,
                injections=row.protocol.injections.count.default,
                guidance=row.protocol.injections.guidance[0],
                earliest_start=today + timedelta(days=1 + index),
                notes="",
                by=physician,
                # Started two days ago, so the demo lab's collection of yesterday follows it.
                now=clock.now() - timedelta(days=2),
            )
            care.schedule_course(course=course, by=physician, expected_version=course.version)

    def _book_from_yesterday(
        self, site: Site, decision: EligibilityDecision, row: ProtocolVersion, physician: User
    ) -> None:
        """Start and book a course as the physician did yesterday before the clinic opened."""
        zone = ZoneInfo(site.time_zone)
        yesterday = local_today(site.time_zone) - timedelta(days=1)
        then = datetime.combine(yesterday, time(6, 0), tzinfo=zone).astimezone(UTC)
        previous = clock.set_clock(FixedClock(then))
        try:
            course = care.create_course(
                decision=decision,
                injections=row.protocol.injections.count.default,
                guidance=row.protocol.injections.guidance[0],
                earliest_start=yesterday,
                notes="",
                by=physician,
                now=then,
            )
            care.schedule_course(
                course=course, by=physician, expected_version=course.version, now=then
            )
        finally:
            clock.set_clock(previous)

    def _lab(self, site: Site, staff: dict[str, User]) -> None:
        """Freezers for the lab, and in Düsseldorf one released, stored ACS lot and one whose
        blood is incubating, so the work queue, lot page and box map have something to show."""
        from autologic.lab.demo import seed_lab

        seed_lab(site, staff)

    def _outcomes(self, site: Site, staff: dict[str, User]) -> None:
        """Baseline questionnaires of the first patients, filled in on the clinic tablet."""
        from autologic.outcomes.demo import seed_outcomes

        seed_outcomes(site, staff)

    def _history(self, site: Site, staff: dict[str, User]) -> None:
        """Patients treated over the last years, with follow-ups, for the outcome registry;
        the clinic's claim files.  Before billing: the history predates the deposit gate."""
        from autologic.demo.history import seed_history

        seed_history(site, staff)

    def _print_portal_links(self, sites: list[Site]) -> None:
        """A fresh patient link per clinic with questionnaires owed (the patient's side)."""
        from autologic.portal.demo import demo_link

        links = [(site, demo_link(site)) for site in sites]
        if any(found for _site, found in links):
            self.stdout.write("\nPatient portal (no login; each link is personal):\n")
        for site, found in links:
            if found:
                self.stdout.write(f"  {site.code:<5} {found[0]}: {found[1]}\n")

    def _print_today(self, sites: list[Site]) -> None:
        """Where a new user finds today's work: the bedside sessions and the lab lots."""
        from autologic.lab.demo import STAGES
        from autologic.lab.models import Collection

        base = settings.AUTOLOGIC_PUBLIC_URL.rstrip("/")
        self.stdout.write("\nToday at each clinic:\n")
        for site in sites:
            today = local_today(site.time_zone)
            zone = ZoneInfo(site.time_zone)
            sessions = [
                a
                for a in Appointment.objects.filter(course__site=site, kind="injection")
                .exclude(starts_at=None)
                .order_by("starts_at")
                if a.starts_at.astimezone(zone).date() == today
            ]
            self.stdout.write(
                f"  {site.code:<5} {len(sessions)} injection session(s) today: "
                f"{base}{reverse('injections:today')}\n"
            )
            lots = Collection.objects.filter(site=site).order_by("pk")
            for lot, (stage, _make) in zip(lots, STAGES, strict=False):
                self.stdout.write(
                    f"        {stage:<34} {base}{reverse('lab:lot', args=[lot.pk])}\n"
                )

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {data.DEMO_PASSWORD})\n")
        self.stdout.write(
            f"  {'username':<14} {'role':<15} {'clinic':<5} authenticator key (base32)\n"
        )
        for username, site, role, *_names, secret in data.STAFF:
            self.stdout.write(f"  {username:<14} {role:<15} {site:<5} {secret}\n")
        self.stdout.write(
            "Add a key to any authenticator app, or print the current code with:\n"
            "  AUTOLOGIC_MODE=demo uv run autologic otp-code physician\n"
        )
