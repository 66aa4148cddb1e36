"""What the dashboard shows: the clinic's numbers and the user's recent work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from autologic.accounts.models import User
from autologic.audit.models import AuditEvent
from autologic.patients.models import Patient


@dataclass(frozen=True)
class Overview:
    """Counts and recent activity for the home page."""

    patients: int
    new_this_week: int
    recent_patients: list[Patient]
    my_activity: list[AuditEvent]


def overview(user: User, now: datetime) -> Overview:
    """Load the dashboard numbers for a user's clinic in four queries."""
    patients = Patient.objects.filter(site=user.site)
    return Overview(
        patients=patients.count(),
        new_this_week=patients.filter(created_at__gte=now - timedelta(days=7)).count(),
        recent_patients=list(patients.order_by("-created_at")[:6]),
        my_activity=list(
            AuditEvent.objects.filter(actor=user)
            .exclude(action__endswith=".read")
            .order_by("-seq")[:8]
        ),
    )
