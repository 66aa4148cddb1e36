"""The e-mail that tells staff of a serious adverse event.

E-mail is not a secure channel, so the message names the patient only by MRN and links to the
event's page, where the reader signs in.  It carries no name, no free text (a description or an
"Other, specify" text could hold a name), only the coded term, grade and seriousness.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from autologic.accounts.models import User
from autologic.adverse_events import choices
from autologic.adverse_events.domain import ctcae
from autologic.adverse_events.models import AdverseEvent
from autologic.common.domain.calendars import Calendar, format_datetime

PURPOSE = "adverse_event.serious"


def event_link(event: AdverseEvent) -> str:
    """The address of the event's page (the path alone when no public address is set)."""
    path = reverse("adverse_events:detail", kwargs={"record_id": event.pk})
    return getattr(settings, "AUTOLOGIC_PUBLIC_URL", "") + path


def coded_term(event: AdverseEvent) -> str:
    """The CTCAE term without any free text the reporter typed."""
    if event.term == ctcae.OTHER:
        return ctcae.OTHER_TERMS[event.soc][1]
    return ctcae.BY_CODE[event.term].name


def serious_event_mail(event: AdverseEvent, user: User) -> tuple[str, str]:
    """Subject and body of the alert e-mail, in the recipient's language."""
    site = event.site
    language = user.preferred_language or site.default_language or "en"
    criteria = dict(choices.CRITERIA)
    onset = event.onset_at.astimezone(ZoneInfo(site.time_zone))
    with translation.override(language):
        subject = _("Serious adverse event · MRN %(mrn)s") % {"mrn": event.patient.mrn}
        body = _(
            "A serious adverse event was recorded at %(clinic)s.\n\n"
            "Patient MRN: %(mrn)s\n"
            "Event: %(term)s, CTCAE v%(version)s grade %(grade)s\n"
            "Seriousness: %(criteria)s\n"
            "Onset: %(onset)s (%(zone)s)\n\n"
            "Open the event after signing in: %(path)s\n"
            "Acknowledge the alert there or on your dashboard.\n\n"
            "This e-mail names no patient on purpose: e-mail is not a secure channel."
        ) % {
            "clinic": site.name,
            "mrn": event.patient.mrn,
            "term": coded_term(event),
            "version": event.ctcae_version,
            "grade": event.grade,
            "criteria": ", ".join(str(criteria.get(c, c)) for c in event.criteria),
            "onset": format_datetime(onset, Calendar(site.calendar), language),
            "zone": site.time_zone,
            "path": event_link(event),
        }
    return subject, body
