"""What the home page shows: each role's work for today, read through the owning apps' queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from autologic.accounts.models import User
from autologic.accounts.roles import PATIENT_FINDERS, Role
from autologic.audit.models import AuditEvent
from autologic.care.models import Course
from autologic.care.queries import AgendaRow, agenda, needing_attention, waiting_count
from autologic.lab.models import Excursion, Hold
from autologic.lab.queries import QuarantinedLot, WorkQueue, open_excursions, quarantine, work_queue
from autologic.outcomes.queries import OWED_COUNTED, FollowUpRow, owed_follow_ups
from autologic.patients.models import Patient
from autologic.recalls.models import Recall
from autologic.recalls.queries import active_holds, open_recalls

# Which work lists each role's home page shows.
SESSIONS = frozenset({Role.PHYSICIAN, Role.NURSE})
LAB_WORK = frozenset({Role.LAB_TECHNICIAN})
FOLLOW_UPS = frozenset({Role.COORDINATOR})
OVERSIGHT = frozenset({Role.MANAGER})


@dataclass
class Day:
    """One day of in-clinic sessions."""

    day: date
    rows: list[AgendaRow]


@dataclass
class Home:
    """A role's home page: its work lists, then the clinic's numbers and the user's activity."""

    today: date
    sessions: list[Day] | None = None
    lab: WorkQueue | None = None
    follow_ups: list[FollowUpRow] | None = None  # the oldest HOME_FOLLOW_UPS of them
    follow_ups_total: int = 0  # counted up to OWED_COUNTED
    follow_ups_more: bool = False  # more than that are owed
    attention: list[Course] | None = None
    waiting: int = 0
    quarantine: list[QuarantinedLot] | None = None
    holds: list[Hold] | None = None
    recalls: list[Recall] | None = None
    excursions: list[Excursion] | None = None
    patients: int = 0
    new_this_week: int = 0
    recent_patients: list[Patient] = field(default_factory=list)
    my_activity: list[AuditEvent] = field(default_factory=list)


# The home page lists the oldest follow-ups owed; the follow-up list has them all.
HOME_FOLLOW_UPS = 12


def home(user: User, now: datetime) -> Home:
    """Load the signed-in user's home page: only the lists their role works from."""
    site = user.site
    today = now.astimezone(ZoneInfo(site.time_zone)).date()
    page = Home(today=today)
    role = user.role
    if role in SESSIONS:
        rows = agenda(site, today, 2)
        page.sessions = [
            Day(day, [r for r in rows if r.day == day]) for day in (today, today + timedelta(1))
        ]
    if role in LAB_WORK:
        page.lab = work_queue(site, now)
    if role in FOLLOW_UPS:
        page.follow_ups, total = owed_follow_ups(site, today, first=HOME_FOLLOW_UPS)
        page.follow_ups_total = min(total, OWED_COUNTED)
        page.follow_ups_more = total > OWED_COUNTED
        page.attention = needing_attention(site)
        page.waiting = waiting_count(site)
    if role in OVERSIGHT:
        page.quarantine = quarantine(site)
        page.holds = active_holds(site)
        page.recalls = open_recalls(site)
        page.excursions = open_excursions(site)
    if role in PATIENT_FINDERS:
        patients = Patient.objects.filter(site=site)
        page.patients = patients.count()
        page.new_this_week = patients.filter(created_at__gte=now - timedelta(days=7)).count()
        page.recent_patients = list(patients.order_by("-created_at")[:6])
    page.my_activity = list(
        AuditEvent.objects.filter(actor=user).exclude(action__endswith=".read").order_by("-seq")[:8]
    )
    return page
