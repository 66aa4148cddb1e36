"""The messages a recall queues: to staff (by e-mail) and to patients (e-mail or SMS).

E-mail and SMS are not secure channels: a staff message names patients only by MRN and carries
no free text (a typed reason could hold a name); a patient's message says only that the clinic
needs to speak with them, and the recall's number to quote.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from autologic.accounts.models import User
from autologic.patients.models import Patient
from autologic.recalls import choices
from autologic.recalls.domain import Reason, Recipient
from autologic.recalls.models import Recall

STAFF_PURPOSE = "recall.staff"
PATIENT_PURPOSE = "recall.patient"


def recall_link(recall: Recall) -> str:
    """The address of the recall's page (the path alone when no public address is set)."""
    path = reverse("recalls:detail", kwargs={"recall_id": recall.pk})
    return getattr(settings, "AUTOLOGIC_PUBLIC_URL", "") + path


def staff_mail(
    recall: Recall, user: User, recipient: Recipient, mrns: dict[int, str], *, held: int
) -> tuple[str, str]:
    """Subject and body of a staff member's message, in their language."""
    language = user.preferred_language or recall.site.default_language or "en"
    origins = dict(choices.ORIGINS)
    with translation.override(language):
        subject = _("Recall and look-back %(number)s · %(clinic)s") % {
            "number": recall.pk,
            "clinic": recall.site.name,
        }
        lines = [
            _("A recall and look-back was opened at %(clinic)s.") % {"clinic": recall.site.name},
            "",
            _("Starts from: %(origin)s") % {"origin": origins.get(recall.origin, recall.origin)},
            _("Units put on QA hold: %(count)s") % {"count": held},
        ]
        if recipient.patients:
            lines.append(
                _("Patients concerned (MRN): %(mrns)s")
                % {"mrns": ", ".join(mrns[p] for p in recipient.patients)}
            )
        if Reason.FOLLOW_UP in recipient.reasons and recipient.follow_up:
            lines.append(
                _("Already given to (MRN): %(mrns)s. Follow these patients up.")
                % {"mrns": ", ".join(mrns[p] for p in recipient.follow_up)}
            )
        lines += [
            "",
            _("Open the recall after signing in: %(path)s") % {"path": recall_link(recall)},
            "",
            _("This message names no patient on purpose: e-mail is not a secure channel."),
        ]
    return subject, "\n".join(lines)


def patient_message(recall: Recall, patient: Patient) -> tuple[str, str]:
    """Subject and text of a patient's message, in their language."""
    language = patient.preferred_language or recall.site.default_language or "en"
    with translation.override(language):
        subject = _("Please contact %(clinic)s") % {"clinic": recall.site.name}
        body = _(
            "%(clinic)s needs to speak with you about a product prepared for your treatment. "
            "Please call the clinic and quote reference R-%(number)s."
        ) % {"clinic": recall.site.name, "number": recall.pk}
    return subject, body
