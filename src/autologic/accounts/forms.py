"""Sign-in, second factor, staff and site forms."""

from __future__ import annotations

import zoneinfo
from typing import Any

from babel.numbers import list_currencies
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from autologic.accounts.models import CALENDAR_CHOICES, ROLE_CHOICES
from autologic.common.forms import LanguageSelect, PrintedNameField


class LoginForm(forms.Form):
    """Username and password: the first factor."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    """A six-digit code from the authenticator app: the second factor."""

    token = forms.RegexField(
        label=_("Authenticator code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6-digit code shown in your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


class StaffForm(forms.Form):
    """A new staff member."""

    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]{3,150}$",
        error_messages={"invalid": _("3–150 letters, digits and . @ + - _ only.")},
    )
    first_name = PrintedNameField(label=_("Given name"), max_length=150)
    last_name = PrintedNameField(label=_("Family name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; the person enrols an authenticator at first sign-in."),
    )


class SiteForm(forms.Form):
    """Clinic settings."""

    name = PrintedNameField(label=_("Name"), max_length=200)  # printed on wristbands
    time_zone = forms.ChoiceField(label=_("Time zone"))
    calendar = forms.ChoiceField(label=_("Calendar"), choices=CALENDAR_CHOICES)
    currency = forms.ChoiceField(label=_("Currency"))
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=settings.LANGUAGES, widget=LanguageSelect
    )
    mrn_prefix = forms.RegexField(
        label=_("MRN prefix"),
        regex=r"^[A-Z0-9]{1,6}$",
        error_messages={"invalid": _("1–6 capital letters or digits.")},
    )
    iccbba_fin = forms.RegexField(
        label=_("ICCBBA facility number (FIN)"),
        regex=r"^[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{2}$",
        required=False,
        help_text=_(
            "Only with an ISBT 128 licence. Empty: identifiers use the clinic's internal code, "
            "which starts with 0 and can never be mistaken for ISBT 128."
        ),
        error_messages={"invalid": _("A FIN is 5 characters, e.g. A1234 (no letter O).")},
    )

    mrn_system = forms.RegexField(
        label=_("MRN identifier system (URI)"),
        regex=r"^(urn:oid:[0-2](\.(0|[1-9][0-9]*))+|https?://[^\s|]+)$",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),  # a URI reads left to right in Persian too
        help_text=_(
            "The OID or URL your hospital's record system names its patient numbers by, so "
            "other systems recognise them, e.g. urn:oid:1.2.276.0.76.3.1.42. Empty: "
            "Autologic's own system for this clinic."
        ),
        error_messages={
            "invalid": _("Enter urn:oid: followed by an OID, or an http(s) address without spaces.")
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
        self.fields["currency"].choices = [(c, c) for c in sorted(list_currencies())]

    def clean(self) -> dict[str, Any]:
        """The default language must be one of the clinic's languages."""
        data = super().clean() or {}
        language, languages = data.get("default_language"), data.get("languages")
        if language and languages and language not in languages:
            self.add_error("default_language", _("Pick one of the clinic's languages."))
        return data
