"""Staff forms of the portal: send a link, withdraw one, record a licence."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from autologic.common.domain.calendars import Calendar
from autologic.common.forms import ClinicDateField, FreeTextField, LanguageSelect
from autologic.outcomes.domain import registry

CHANNELS = [
    ("email", _("E-mail to the patient")),
    ("sms", _("SMS to the patient")),
    ("hand", _("Show the link and a QR code here (patient in the clinic)")),
]


class SendForm(forms.Form):
    """How and in which language to send the questionnaires of one follow-up."""

    channel = forms.ChoiceField(label=_("How"), choices=CHANNELS, widget=forms.RadioSelect)
    language = forms.ChoiceField(
        label=_("Language of the questionnaire"), choices=settings.LANGUAGES, widget=LanguageSelect
    )


class RevokeForm(forms.Form):
    """Why a link is withdrawn."""

    reason = FreeTextField(label=_("Reason"), max_length=200)


class ClearanceForm(forms.Form):
    """A licence the clinic holds."""

    instrument = forms.ChoiceField(label=_("Instrument"))
    reference = FreeTextField(label=_("Licence reference or agreement number"), max_length=200)
    valid_until = ClinicDateField(label=_("Valid until (empty: no end)"), required=False)

    def __init__(self, *args: Any, calendar: Calendar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_until"] = ClinicDateField(
            label=_("Valid until (empty: no end)"), required=False, calendar=calendar
        )
        self.fields["instrument"].choices = [
            (i.id, f"{i.id} · {i.title}")
            for i in registry.INSTRUMENTS.values()
            if i.licence.needs_clearance
        ]
