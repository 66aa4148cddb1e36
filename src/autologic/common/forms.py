"""Form pieces shared by features: dates typed in the clinic's calendar, signature fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.common.domain.calendars import Calendar, format_date, parse_date
from autologic.common.domain.errors import DomainError
from autologic.common.messages import message_for


class ClinicDateField(forms.Field):
    """A date typed in the site's calendar (Jalali sites type YYYY/MM/DD in Jalali)."""

    widget = forms.TextInput

    def __init__(self, *args: Any, calendar: Calendar = Calendar.GREGORIAN, **kwargs: Any):
        self.calendar = calendar
        super().__init__(*args, **kwargs)
        placeholder = "1360/05/12" if calendar == Calendar.JALALI else "1981-08-03"
        self.widget.attrs.update({"placeholder": placeholder, "inputmode": "numeric"})

    def prepare_value(self, value: Any) -> Any:
        """Show a stored date in the site's calendar."""
        if isinstance(value, date):
            return format_date(value, self.calendar)
        return value

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        """Parse the typed text, with the parse error as the field's message."""
        if isinstance(value, date):
            return value
        text = str(value or "").strip()[:40]
        if not text:
            return None
        try:
            return parse_date(text, self.calendar)
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc), code=exc.code) from exc


class SignatureFields(forms.Form):
    """The re-authentication part of an electronic signature (password and authenticator code)."""

    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Attach a refused action's message to the field it names, or to the whole form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, message_for(error))
