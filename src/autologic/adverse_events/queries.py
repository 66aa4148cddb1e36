"""Read side of adverse events: the site list, one event's page, alerts, who is responsible."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from autologic.accounts.models import Site, User
from autologic.adverse_events.domain.notify import Staff
from autologic.adverse_events.domain.rules import RESOLVED
from autologic.adverse_events.models import AdverseEvent, AdverseEventUpdate, Notification
from autologic.care.models import Booking, Course
from autologic.injections.models import Administration
from autologic.lab.models import Unit
from autologic.outbox.models import Message
from autologic.patients.models import Patient

LIST_LIMIT = 200
CLOSED_COURSES = ("cancelled",)


def site_events(site: Site, *, serious_only: bool = False, open_only: bool = False) -> list[Any]:
    """A site's events, newest onset first, with patient, reporter and open-alert counts."""
    qs = AdverseEvent.objects.filter(site=site).select_related("patient", "reporter", "unit")
    if serious_only:
        qs = qs.filter(serious=True)
    if open_only:
        qs = qs.exclude(outcome__in=[o.value for o in RESOLVED])
    qs = qs.annotate(
        open_alerts=Count("notifications", filter=Q(notifications__acknowledged_at__isnull=True))
    )
    return list(qs.order_by("-onset_at", "-id")[:LIST_LIMIT])


def for_patient(patient_id: int, *, course_id: int | None = None) -> QuerySet[AdverseEvent]:
    """A patient's events (optionally those of one course), newest onset first."""
    qs = AdverseEvent.objects.filter(patient_id=patient_id)
    if course_id is not None:
        qs = qs.filter(
            Q(administration__appointment__course_id=course_id)
            | Q(unit__chain__course_id=course_id)
        )
    return qs.order_by("-onset_at", "-id")


@dataclass(frozen=True)
class EventPage:
    """Everything an event's page shows, loaded in a fixed number of queries."""

    event: AdverseEvent
    updates: list[AdverseEventUpdate]
    notifications: list[Notification]
    my_alert: Notification | None


def event_page(site: Site, event_id: int, user: User) -> EventPage | None:
    """One event of a site with its follow-ups and its notification record."""
    event = (
        AdverseEvent.objects.filter(pk=event_id, site=site)
        .select_related("patient", "reporter", "unit", "administration__operator")
        .first()
    )
    if event is None:
        return None
    updates = list(event.updates.select_related("by").order_by("version"))
    notifications = list(event.notifications.select_related("user", "acknowledged_by"))
    ids = [n.message_id for n in notifications if n.message_id is not None]
    sent = {m.pk: m.get_status_display() for m in Message.objects.filter(pk__in=ids)} if ids else {}
    for n in notifications:
        n.delivery = sent.get(n.message_id, "")  # type: ignore[attr-defined]
    mine = next(
        (n for n in notifications if n.user_id == user.pk and n.acknowledged_at is None), None
    )
    return EventPage(event, updates, notifications, mine)


def open_alerts(user: User, limit: int = 20) -> list[Notification]:
    """The user's unacknowledged alerts, newest first."""
    return list(
        Notification.objects.filter(user=user, acknowledged_at__isnull=True)
        .select_related("event__patient")
        .order_by("-created_at", "-id")[:limit]
    )


def administrations(patient: Patient) -> QuerySet[Administration]:
    """The patient's injections, newest first, for linking an event."""
    return (
        Administration.objects.filter(patient=patient, site_id=patient.site_id)
        .select_related("unit")
        .order_by("-given_at", "-id")
    )


def units(patient: Patient) -> QuerySet[Unit]:
    """The patient's specimens and product units, newest first, for linking an event."""
    return Unit.objects.filter(patient=patient, site_id=patient.site_id).order_by("-made_at", "-id")


# ----------------------------------------------------------------------------- who is told


def staff(user: User) -> Staff:
    """The notification rule's view of a user."""
    return Staff(id=user.pk, role=user.role, active=user.is_active, email=user.email or "")


def current_course(event: AdverseEvent) -> Course | None:
    """The course the event belongs to: the injection's, the unit's, else the latest open one."""
    if event.administration_id is not None:
        return Course.objects.filter(appointments__administrations=event.administration_id).first()
    if event.unit_id is not None:
        return Course.objects.filter(chain__units=event.unit_id).first()
    return (
        Course.objects.filter(patient_id=event.patient_id, site_id=event.site_id)
        .exclude(status__in=CLOSED_COURSES)
        .order_by("-created_at", "-id")
        .first()
    )


def course_physicians(course: Course | None) -> list[Staff]:
    """The physicians the care record names for a course.

    Clinician resources booked for the course come first; without them, the physician who
    signed the eligibility decision the course started from.
    """
    if course is None:
        return []
    booked = User.objects.filter(
        pk__in=Booking.objects.filter(course=course, resource__kind="clinician").values(
            "resource__staff"
        )
    ).order_by("pk")
    people = [staff(u) for u in booked]
    if not any(p.role == "physician" and p.active for p in people):
        people = [staff(course.decision.decided_by)]
    return people


def site_staff(site_id: int, role: str) -> list[Staff]:
    """The active staff of a role at a site."""
    users = User.objects.filter(site_id=site_id, role=role, is_active=True).order_by("pk")
    return [staff(u) for u in users]
