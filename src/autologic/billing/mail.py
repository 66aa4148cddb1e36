"""The payment reminder a patient receives, in their language: the clinic, the instalment, the
amount as the clinic shows it and the due day in its calendar; no clinical detail (e-mail and
SMS are not secure channels)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from autologic.billing.domain.display import format_money
from autologic.billing.domain.money import Money
from autologic.billing.models import BillingProfile
from autologic.common.domain.calendars import Calendar, format_date, interface_digits
from autologic.patients.models import Patient

PURPOSE = "billing.reminder"


def reminder(
    patient: Patient,
    billing: BillingProfile,
    *,
    step: str,
    number: int,
    amount: Money,
    due_on: date,
    language: str,
) -> tuple[str, str]:
    """Subject and text of a reminder (``before`` it falls due, or ``overdue``)."""
    site = billing.site
    with translation.override(language):
        tomans = billing.show_tomans and amount.currency == "IRR"
        values = {
            "name": patient.given_name,
            "clinic": site.name,
            "number": interface_digits(str(number), language),
            "amount": format_money(
                amount, language, tomans=tomans, toman=pgettext("currency", "toman")
            ),
            "due": format_date(due_on, Calendar(site.calendar), language),
        }
        subject = _("Payment reminder from %(clinic)s") % values
        if step == "overdue":
            body = _(
                "Hello %(name)s,\n\ninstalment %(number)s of %(amount)s was due on %(due)s and "
                "is not paid yet. Please pay it or call us to agree on a new date.\n\n%(clinic)s"
            )
        else:
            body = _(
                "Hello %(name)s,\n\ninstalment %(number)s of %(amount)s falls due on %(due)s."
                "\n\n%(clinic)s"
            )
    return subject, body % values


def estimate_invitation(estimate: Any, placeholder: str) -> tuple[str, str]:
    """The message with the link to the estimate, in its language; no amounts or treatment in
    the text (the page behind the link shows them)."""
    site = estimate.site
    patient = estimate.patient
    language = estimate.language
    with translation.override(language):
        subject = _("Your estimate from %(clinic)s") % {"clinic": site.name}
        body = _(
            "Hello %(name)s,\n\nyour estimate and payment plan are ready. You can read them and "
            "accept them here:\n\n%(url)s\n\nThe link is personal and works until %(until)s."
            "\n\n%(clinic)s"
        ) % {
            "name": patient.given_name,
            "url": placeholder,
            "until": format_date(estimate.valid_until, Calendar(site.calendar), language),
            "clinic": site.name,
        }
    return subject, body
