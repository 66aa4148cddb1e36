"""Demo history: patients treated over the last two and a half years, with their follow-up
questionnaires, later joint replacements and adverse events, so the outcome registry and the
claims check have the clinic's own numbers to show.

Every case goes through the real actions, each under a clock set to the moment it happened:
assessment, signed consent and eligibility, course and schedule, collection, processing, QC
and release, the bedside two-person check and injection, the questionnaires at each follow-up
(some never answered, as in life), a later replacement for some hips that did not respond,
and an occasional adverse event.  Outcomes are drawn from a seeded random generator, so every
machine shows the same history; they are the demo's, not any clinic's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from autologic.accounts.models import Site, User
from autologic.adverse_events import actions as adverse
from autologic.analytics import actions as registry
from autologic.audit.actions import SignerProof
from autologic.care import actions as care
from autologic.care.models import Appointment, Course
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.clinical.demo import prepare_for_collection
from autologic.clinical.domain.eligibility import evaluate
from autologic.common import clock
from autologic.common.domain.clock import FixedClock
from autologic.common.domain.errors import DomainError
from autologic.common.domain.identifiers import check_character
from autologic.demo import data
from autologic.injections import actions as bedside
from autologic.injections.models import Administration
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels, release, storage
from autologic.lab.domain.collection import Harvest
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import Box, Collection, Unit
from autologic.outcomes import actions as outcomes
from autologic.outcomes import queries as outcome_queries
from autologic.outcomes.domain.follow_up import FOLLOWUP
from autologic.patients import actions as patients
from autologic.patients.models import Patient
from autologic.patients.queries import current_wristband
from autologic.protocols import queries as protocol_queries
from autologic.protocols.models import ProtocolVersion

CLAIMS_DIR = Path(__file__).resolve().parent.parent / "analytics" / "claims"


@dataclass(frozen=True)
class Plan:
    """What a demo clinic treated in the past: the protocol, the joint, how many, how well."""

    protocol: str
    region: str
    cases: int
    respond: float  # the chance a patient responds
    claims: tuple[str, ...]  # the claim files the clinic loads


PLANS = {
    "dus": Plan("acs-large-joint", "knee", 24, 0.65, ("seed-000",)),
    "thr": Plan("cells-hip", "hip", 40, 0.7, ("seed-004",)),
    "dxb": Plan("acs-large-joint", "knee", 12, 0.6, ("seed-000",)),
}
# The saved cohort each clinic names in its own language.
COHORTS = {"dus": "Knie-ACS", "thr": "سلول‌درمانی ران", "dxb": "Knee ACS"}
OLDEST_DAYS = 930  # the first historic treatment, days before today
NEWEST_DAYS = 60
# The chance a due questionnaire is answered, by timepoint (later ones are answered less).
ANSWERED = {"baseline": 1.0, "w2": 0.9, "w6": 0.88, "w12": 0.85, "m3": 0.85, "m6": 0.8}
LATE_ANSWER = 0.7  # m12, m24
REGISTRY_CONSENT = 0.8  # the share who agree to research use of their registry data


def seed_history(site: Site, staff: dict[str, User]) -> int:
    """Treat the clinic's historic patients (once) and load its claim files; returns cases."""
    plan = PLANS.get(site.code)
    if plan is None:
        return 0
    people = [u for u in staff.values() if u.site_id == site.pk]
    roles = {u.role: u for u in reversed(people)}
    today = clock.local_today(site.time_zone)
    made = 0
    old = Administration.objects.filter(
        site=site, given_at__lt=clock.now() - timedelta(days=NEWEST_DAYS - 1)
    ).count()
    if not old:
        row = {p.code: p for p in protocol_queries.latest_active()}[plan.protocol]
        rng = random.Random(f"autologic-history-{site.code}")
        days = sorted(
            (rng.randrange(NEWEST_DAYS, OLDEST_DAYS) for _ in range(plan.cases)), reverse=True
        )
        for index, ago in enumerate(days):
            case = _Case(site, roles, row, plan, rng, index, today - timedelta(days=ago), today)
            previous = clock.set_clock(FixedClock(clock.now()))
            try:
                if case.run():
                    made += 1
            finally:
                clock.set_clock(previous)
    for code in plan.claims:
        # Every version in order, as the clinic would have loaded them over time.
        versions = sorted(
            CLAIMS_DIR.glob(f"{code}.v*.yaml"), key=lambda p: int(p.stem.rsplit(".v", 1)[1])
        )
        for path in versions:
            registry.load_claims(
                site=site,
                text=path.read_text(encoding="utf-8"),
                source=path.name,
                by=roles["manager"],
                now=clock.now(),
            )
    # The registry cohort the clinic's researcher saved: its own patients of the plan's joint.
    registry.save_cohort(
        site=site,
        name=COHORTS[site.code],
        query={"protocol": [plan.protocol], "region": [plan.region]},
        by=roles["manager"],
        now=clock.now(),
    )
    return made


class _Case:
    """One historic patient, treated on about ``start``."""

    def __init__(
        self,
        site: Site,
        roles: dict[str, User],
        row: ProtocolVersion,
        plan: Plan,
        rng: random.Random,
        index: int,
        start: date,
        today: date,
    ) -> None:
        self.site, self.roles, self.row, self.plan = site, roles, row, plan
        self.rng, self.index, self.start, self.today = rng, index, start, today
        self.zone = ZoneInfo(site.time_zone)
        self.responder = rng.random() < plan.respond
        # When a responder first feels the relief, in weeks after the first injection.
        self.onset = rng.choice((2, 2, 6, 6, 6, 12))
        self.baseline = rng.choice((6, 7, 7, 8, 8, 9))

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        """Set the clock to a local time on ``day``; return it."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)
        clock.set_clock(FixedClock(moment))
        return moment

    def run(self) -> bool:
        """Treat and follow the patient; False when the course could not be made."""
        patient, course = self._course()
        if course is None:
            return False
        lot = self._lot(course)
        if lot is None:
            return False
        given = self._inject(patient, course)
        if not given:
            return False
        self._follow(patient, course, given[0])
        return True

    # -- before the treatment ----------------------------------------------------------------

    def _course(self) -> tuple[Patient, Course | None]:
        seen = self.start - timedelta(days=21)
        self.at(seen, 8)
        names = data.NAMES[self.site.code]
        area, low, high = data.PHONES[self.site.code]
        sex = self.rng.choice(["female", "male"])
        patient = patients.create_patient(
            site=self.site,
            data={
                "mrn": "",
                "family_name": self.rng.choice(names["family"]),
                "given_name": self.rng.choice(names[sex]),
                "date_of_birth": date(1945, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 35)),
                "sex": sex,
                "phone": f"{area}{self.rng.randrange(low, high)}",
                "email": "",
                "address": "",
                "preferred_language": self.rng.choice(names["languages"]),
            },
            by=self.roles["coordinator"],
        )
        physician = self.roles["physician"]
        height = self.rng.randrange(152, 192)
        assessment = clinical.create_assessment(
            patient=patient,
            data={
                "assessed_on": seen,
                "complaint": "",
                "comorbidities": [],
                "comorbidity_notes": "",
                "anaesthesia_risk": "ASA2",
                "avoids_surgery": self.rng.random() < 0.4,
                "height_cm": height,
                "weight_kg": Decimal(
                    round(self.rng.gauss(26.5, 4) * (height / 100) ** 2, 1)
                ).quantize(Decimal("0.1")),
                "notes": "",
            },
            by=physician,
        )
        clinical.add_region(
            assessment=assessment,
            data={
                "region": self.plan.region,
                "side": self.rng.choice(["left", "right"]),
                "detail": "",
                "diagnosis": "osteoarthritis",
                "grade_system": "KL",
                "grade": self.rng.choice(
                    (2, 2, 3, 3, 3) if self.plan.region == "knee" else (1, 2, 2, 3)
                ),
                "grade_reader": "Radiology",
                "grade_read_on": seen - timedelta(days=5),
                "grade_notes": "",
            },
            by=physician,
        )
        for study in self.row.protocol.preparation.studies:
            clinical.add_record(
                kind="study",
                patient=patient,
                data={
                    "kind": study.kind,
                    "performed_on": seen - timedelta(days=2),
                    "result": "normal",
                    "result_text": "",
                },
                by=physician,
            )
        clinical.add_record(
            kind="conservative",
            patient=patient,
            data={
                "treatment": self.rng.choice(("physiotherapy", "nsaid", "exercise")),
                "started_on": seen - timedelta(days=200),
                "ended_on": seen - timedelta(days=60),
                "result": "failed",
                "notes": "",
            },
            by=physician,
        )
        prepare_for_collection(patient, self.row, physician, seen)
        if self.rng.random() < REGISTRY_CONSENT:
            patients.add_consent(
                patient=patient,
                data={
                    "kind": "registry",
                    "form_version": "2024-1",
                    "given_on": seen,
                    "signed_by": patient.full_name,
                    "signer_relation": "self",
                    "procedure": "",
                },
                proof=SignerProof(user=physician, second_factor=True),
            )
        regions = list(assessment.regions.all())
        report = evaluate(
            self.row.protocol, clinical_queries.facts_for(assessment, regions, today=seen)
        )
        if report.verdict != "eligible":
            return patient, None
        decision = clinical.decide_eligibility(
            assessment=assessment,
            protocol=self.row,
            report=report,
            regions=[str(r) for r in regions],
            verdict=report.verdict,
            justification="",
            proof=SignerProof(user=physician, second_factor=True),
            expected_verdict=report.verdict,
        )
        course = care.create_course(
            decision=decision,
            injections=self.row.protocol.injections.count.default,
            guidance=self.row.protocol.injections.guidance[0],
            earliest_start=self.start,
            notes="",
            by=physician,
            now=clock.now(),
        )
        outcome = care.schedule_course(
            course=course, by=physician, expected_version=course.version, now=clock.now()
        )
        if not outcome.ok:
            return patient, None
        course.refresh_from_db()
        self._answer(patient, course, "baseline", seen)
        return patient, course

    # -- the product -------------------------------------------------------------------------

    def _lot(self, course: Course) -> Collection | None:
        tech = self.roles["lab_technician"]
        booked = Appointment.objects.get(course=course, kind="collection")
        start = booked.starts_at
        assert start is not None
        clock.set_clock(FixedClock(start - timedelta(minutes=30)))
        plan = course.plan
        hold = plan.preparation.medication_hold
        if hold is not None:
            clinical.confirm_medication_hold(
                patient=course.patient,
                classes=[c.value if hasattr(c, "value") else str(c) for c in hold.classes],
                notes="",
                by=self.roles["nurse"],
                now=clock.now(),
            )
        clock.set_clock(FixedClock(start))
        needs = lab.harvest_needs(plan)
        harvest = Harvest(
            last_intake_at=start - timedelta(hours=8) if needs.fasting_h else None,
            anaesthesia="" if needs.anaesthesia == "none" else needs.anaesthesia,
            sedation_agent="Propofol 60 mg" if needs.anaesthesia == "local_sedation" else "",
        )
        lot = lab.record_collection(
            course=course,
            collected_at=start,
            collected_by=self.roles["physician"] if plan.therapy != "acs" else tech,
            volume_ml=Decimal(
                str(
                    plan.collection.volume_ml
                    or (plan.collection.volume_ml_per_injection or 10) * course.injections
                )
            ),
            containers=lab.planned_units(course) if plan.therapy == "acs" else 1,
            container_type="10 mL glass-bead syringe"
            if plan.therapy == "acs"
            else "Aspiration set",
            notes="",
            by=tech,
            now=start,
            harvest=harvest,
        )
        run = lab.start_run(lot, by=tech, now=start)
        t = start
        for step in plan.processing:
            if step.kind == "freezing":
                continue  # after the division, below
            hours = step.duration_h.target or step.duration_h.min
            # Incubation varies a little from lot to lot: the registry's process data.
            if step.kind == "incubation":
                hours = round(hours + self.rng.uniform(-1.5, 1.5), 2)
            end = t + timedelta(hours=hours)
            values = StepValues(
                t,
                end,
                temperature_c=37.0 if step.kind == "incubation" else None,
                g_force=step.g_force,
                spin_min=step.spin_min,
            )
            clock.set_clock(FixedClock(end))
            lab.record_step(run, key=step.key, values=values, by=tech, now=end)
            t = end
        frozen = plan.product.storage.condition == "frozen"
        units = lab.divide(
            run,
            count=lab.planned_units(course),
            volume_ml=Decimal("2") if frozen else None,
            cells_million=None if plan.therapy == "acs" else Decimal(self.rng.randrange(30, 55)),
            by=tech,
            now=t,
        )
        if frozen:
            end = t + timedelta(minutes=40)
            lab.record_step(
                run,
                key="freezing",
                values=StepValues(t, end, temperature_c=-20.0),
                by=tech,
                now=end,
            )
            t = end
        clock.set_clock(FixedClock(t))
        labels.print_labels(units, by=tech, now=t)
        for unit in units:
            labels.set_label_state(unit.labels.get(), state="applied", by=tech, now=t)
        if frozen and not self._store(units, t):
            return None
        for item in plan.release.specification if plan.release else ():
            release.record_result(
                lot, attribute=item.attribute, value=_passing(item), by=tech, now=t
            )
        signers = [SignerProof(user=tech, second_factor=True)]
        if plan.release and plan.release.signatures > 1:
            signers.append(SignerProof(user=self.roles["physician"], second_factor=True))
        release.release_lot(lot, decision="released", proofs=signers, notes="", now=t)
        return lot

    def _store(self, units: list[Unit], now: datetime) -> bool:
        fresh = list(Unit.objects.filter(pk__in=[u.pk for u in units]))
        for box in Box.objects.filter(rack__freezer__site=self.site).order_by("pk"):
            try:
                storage.check_in(fresh, box, by=self.roles["lab_technician"], now=now)
            except DomainError:
                continue
            return True
        return False

    # -- the bedside -------------------------------------------------------------------------

    def _inject(self, patient: Patient, course: Course) -> list[Administration]:
        nurse, physician = self.roles["nurse"], self.roles["physician"]
        wristband = current_wristband(patient)
        assert wristband is not None
        given = []
        region = course.regions.get()
        for session in Appointment.objects.filter(course=course, kind="injection").order_by(
            "sequence"
        ):
            assert session.starts_at is not None
            unit = Unit.objects.filter(
                reservations__appointment=session, reservations__ended_at__isnull=True
            ).first()
            if unit is None:
                break
            clock.set_clock(FixedClock(session.starts_at - timedelta(minutes=30)))
            bedside.issue(session, unit.pk, by=nurse, now=clock.now())
            if unit.frozen:
                moment = session.starts_at - timedelta(minutes=self.rng.randrange(15, 40))
                clock.set_clock(FixedClock(moment))
                bedside.thaw(session, unit.pk, by=nurse, now=moment)
            clock.set_clock(FixedClock(session.starts_at))
            plan = course.plan
            record = bedside.administer(
                session,
                bedside.Given(
                    wristband=wristband.code,
                    unit_scan=unit.identifier + check_character(unit.identifier),
                    region=region.region,
                    side=region.side,
                    guidance=course.guidance,
                    volume_ml=None,
                    reactions=("none",),
                    approach="superolateral" if region.region == "knee" else "anterior",
                    anaesthetic="lidocaine" if plan.injections.anaesthesia != "none" else "none",
                    anaesthetic_dose_mg=(
                        Decimal("40") if plan.injections.anaesthesia != "none" else None
                    ),
                ),
                operator=SignerProof(user=physician, second_factor=True),
                verifier=SignerProof(user=nurse, second_factor=True),
                now=session.starts_at,
            )
            given.append(record)
        return given

    # -- afterwards ----------------------------------------------------------------------------

    def _pain(self, key: str) -> int:
        """The pain the patient reports at a timepoint (0-10)."""
        if key == "baseline":
            return self.baseline
        weeks = {"w2": 2, "w6": 6, "w12": 12, "m3": 13, "m6": 26, "m12": 52, "m24": 104}.get(key, 0)
        if self.responder:
            relief = 1 if weeks < self.onset else (3 if weeks < 10 else 4)
            if weeks >= 104 and self.index % 3 == 0:
                relief = 1  # the effect wore off
        else:
            relief = 1 if 6 <= weeks <= 26 else 0
        noise = self.rng.choice((-1, 0, 0, 0, 1))
        return max(0, min(10, self.baseline - relief + noise))

    def _back_to_activities(self, key: str) -> int:
        """Whether the patient is back to usual daily activities at a timepoint (1 = yes)."""
        early = key in ("w1", "w2")
        chance = (0.8 if self.responder else 0.6) if early else (0.95 if self.responder else 0.7)
        return int(self.rng.random() < chance)

    def _answer(
        self,
        patient: Patient,
        course: Course,
        key: str,
        on: date,
        *,
        only: str = "",
        surgery: bool = False,
    ) -> None:
        appointment = Appointment.objects.filter(course=course, key=f"fu-{key}").first()
        if appointment is None:
            return
        pain = self._pain(key)
        for region_id, instruments in outcome_queries.due_at(appointment).items():
            region = course.regions.get(pk=region_id)
            for instrument in instruments:
                if only and instrument != only:
                    continue
                answers = _answers(instrument, pain)
                if instrument == FOLLOWUP.id:
                    answers = {
                        "ACTIVITIES": self._back_to_activities(key),
                        "SURGERY": int(surgery),
                    }
                if answers is None:
                    continue
                self.at(on, 11)
                outcomes.submit_response(
                    patient,
                    outcomes.Entry(
                        instrument=instrument,
                        answers=answers,
                        completed_on=on,
                        language=patient.preferred_language or "en",
                        mode="web",
                        region=region,
                        appointment=appointment,
                    ),
                    by=None,
                    staff_entered=False,
                    now=clock.now(),
                )

    def _follow(self, patient: Patient, course: Course, first: Administration) -> None:
        region = course.regions.get()
        given_on = first.given_at.astimezone(self.zone).date()
        replaced = None
        if self.plan.region == "hip" and self.rng.random() < (0.1 if self.responder else 0.6):
            replaced = given_on + timedelta(days=self.rng.randrange(200, 650))
        if self.rng.random() < (0.12 if course.plan.therapy == "acs" else 0.08):
            self._harm(patient, first)
        follow_ups = Appointment.objects.filter(course=course, key__startswith="fu-").exclude(
            key="fu-baseline"
        )
        for appointment in sorted(follow_ups, key=lambda a: a.due_on or date.max):
            due = appointment.due_on
            if due is None or due >= self.today or (replaced and due >= replaced):
                continue
            key = appointment.key.removeprefix("fu-")
            chance = ANSWERED.get(key, LATE_ANSWER)
            if self.rng.random() < chance:
                self._answer(patient, course, key, due)
        told = [a for a in follow_ups if replaced and a.due_on and replaced < a.due_on < self.today]
        if told:
            # The next follow-up after the operation: the patient answers the surgery question.
            first_after = min(told, key=lambda a: a.due_on or date.max)
            assert first_after.due_on is not None
            key = first_after.key.removeprefix("fu-")
            self._answer(patient, course, key, first_after.due_on, only=FOLLOWUP.id, surgery=True)
            if self.rng.random() < 0.3:
                return  # reported by the patient, not yet recorded by staff
        if replaced and replaced < self.today - timedelta(days=20):
            moment = self.at(replaced + timedelta(days=self.rng.randrange(10, 60)), 10)
            outcomes.record_later_treatment(
                patient=patient,
                region=region,
                kind="arthroplasty",
                performed_on=replaced,
                source=self.rng.choice(("hospital", "patient", "registry")),
                note="",
                by=self.roles["nurse"],
                now=min(moment, clock.now()),
            )

    def _harm(self, patient: Patient, first: Administration) -> None:
        serious = self.rng.random() < 0.15
        onset = first.given_at + timedelta(hours=self.rng.randrange(2, 30))
        hours = self.rng.choice((3, 5, 8, 12, 20, 30)) if not serious else 24 * 9
        resolved = (
            (onset + timedelta(hours=hours)).astimezone(self.zone).replace(second=0, microsecond=0)
        )
        self.at(onset.astimezone(self.zone).date() + timedelta(days=12), 10)
        adverse.record_adverse_event(
            patient,
            adverse.Report(
                term="injection_site_reaction" if not serious else "arthritis",
                onset_at=onset,
                description="Swelling and warmth at the injection site.",
                administration_id=first.pk,
                judged=adverse.FollowUp(
                    grade=3 if serious else 1,
                    serious=serious,
                    criteria=("hospitalisation",) if serious else (),
                    related_product="possible",
                    related_procedure="probable",
                    outcome="recovered",
                    action_taken="Rest and cooling." if not serious else "Admitted; aspiration.",
                    resolved_on=resolved.date(),
                    # The time it passed is known for a reaction followed up by telephone.
                    resolved_time=resolved.time() if not serious else None,
                    note="",
                ),
            ),
            by=self.roles["physician"],
            now=clock.now(),
        )


def _answers(instrument: str, pain: int) -> dict[str, int | None] | None:
    """Answers consistent with a pain level on 0-10, for the instruments the demo fills."""
    if instrument == "NRS":
        return {"PAIN": pain}
    if instrument == "PGA":
        return {"GLOBAL": min(100, pain * 10 + 5)}
    item = min(4, max(0, round(pain * 4 / 10)))
    layouts = {
        "KOOS": {"P": 9, "S": 7, "A": 17, "SP": 5, "Q": 4},
        "HOOS": {"S": 5, "P": 10, "A": 17, "SP": 4, "Q": 4},
    }
    layout = layouts.get(instrument)
    if layout is None:
        return None
    return {f"{p}{n}": item for p, c in layout.items() for n in range(1, c + 1)}


def _passing(item: object) -> str:
    """A QC result that passes the specification row."""
    operator = getattr(item, "operator", "")
    limit = getattr(item, "limit", None)
    if operator in ("not_detected",):
        return "not detected"
    if operator == "conforms":
        return "conforms"
    if operator == "report":
        return "45"
    if operator in (">=", "=", "between") and limit is not None:
        return str(limit + 10 if operator == ">=" else limit)
    if operator == "<=" and limit is not None:
        return str(limit)
    if operator == ">" and limit is not None:
        return str(limit + 1)
    if operator == "<" and limit is not None:
        return str(limit / 2)
    return "conforms"
