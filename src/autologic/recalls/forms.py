"""Recall and QA-hold forms: the reason for a recall or a hold, the signed lifting of a hold."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.common.forms import FreeTextField, SignatureFields
from autologic.lab import choices as lab_choices
from autologic.recalls import choices


class ReasonForm(forms.Form):
    """Why a recall is opened or a hold is placed."""

    reason = FreeTextField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    """A step done by hand, or how the recall ends."""

    note = FreeTextField(label=_("Note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    """How the recall ends (what was done, what was found)."""

    note = FreeTextField(
        label=_("How the recall ends"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StartForm(forms.Form):
    """Start a recall from an identifier, as scanned or typed (a unit or a donation)."""

    origin = forms.ChoiceField(
        label=_("Starts from"),
        choices=[c for c in choices.ORIGINS if c[0] in ("unit", "donation")],
    )
    identifier = forms.CharField(label=_("Identifier (scan or type)"), max_length=40)


class WitnessFields(forms.Form):
    """The witness of a disposal signs with their own user name, password and code."""

    witness_username = forms.CharField(label=_("Witness: user name"), required=False)
    witness_password = forms.CharField(
        label=_("Witness: password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_otp_token = forms.CharField(
        label=_("Witness: authenticator code"), required=False, max_length=8
    )


class LiftForm(SignatureFields, WitnessFields):
    """QA's signed disposition of a hold: return the units to use, or dispose of them."""

    decision = forms.ChoiceField(label=_("Decision"), choices=lab_choices.HOLD_DECISIONS)
    justification = FreeTextField(
        label=_("Justification"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    method = forms.ChoiceField(
        label=_("Disposal method (when disposing)"),
        choices=[("", "—"), *lab_choices.DISPOSAL_METHODS],
        required=False,
    )

    field_order = [
        "decision",
        "justification",
        "method",
        "witness_username",
        "witness_password",
        "witness_otp_token",
        "password",
        "otp_token",
    ]

    def clean(self) -> dict[str, Any]:
        """Disposing needs the method and a witness; returning to use needs neither."""
        data = super().clean() or {}
        if data.get("decision") == "discarded":
            if not data.get("method"):
                self.add_error("method", _("Choose how the units are disposed of."))
            if not data.get("witness_username"):
                self.add_error("witness_username", _("Name the witness of the disposal."))
        return data
