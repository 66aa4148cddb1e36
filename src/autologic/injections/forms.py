"""Bedside forms: the scan, and the signed administration record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.care.choices import GUIDANCE
from autologic.clinical.choices import REGIONS, SIDES
from autologic.common.forms import FreeTextField, SignatureFields
from autologic.injections.choices import REACTIONS, ROUTES

SCAN = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


class ScanForm(forms.Form):
    """Wristband and unit scans (a scanner types and presses Enter), and the confirmed site."""

    wristband = forms.CharField(
        label=_("1 · Patient wristband"),
        max_length=40,
        widget=forms.TextInput(attrs={**SCAN, "autofocus": True, "data-scan": "1"}),
    )
    unit = forms.CharField(
        label=_("2 · Unit label"),
        max_length=40,
        widget=forms.TextInput(attrs={**SCAN, "data-scan": "2"}),
    )
    region = forms.ChoiceField(
        label=_("3 · Region you are injecting"),
        choices=[("", "—"), *REGIONS],
        required=False,
    )
    side = forms.ChoiceField(label=_("Side"), choices=[("", "—"), *SIDES], required=False)
    level = forms.CharField(
        label=_("Spinal level"),
        max_length=12,
        required=False,
        help_text=_("As in the plan, e.g. L4/L5"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    route = forms.ChoiceField(label=_("Route"), choices=ROUTES, required=False)  # blank: protocol's

    def __init__(self, *args: Any, spine: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not spine:  # the level is asked only when the course treats the spine
            del self.fields["level"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("level", "")
        return data


class AdministerForm(SignatureFields):
    """What was given, checked and signed by the operator and a second person."""

    wristband = forms.CharField(max_length=40, widget=forms.HiddenInput)
    unit = forms.CharField(max_length=40, widget=forms.HiddenInput)
    region = forms.ChoiceField(choices=REGIONS, widget=forms.HiddenInput)
    side = forms.ChoiceField(choices=[("", ""), *SIDES], required=False, widget=forms.HiddenInput)
    level = forms.CharField(max_length=12, required=False, widget=forms.HiddenInput)
    route = forms.ChoiceField(choices=ROUTES, required=False, widget=forms.HiddenInput)
    guidance = forms.ChoiceField(label=_("Guidance"), choices=GUIDANCE)
    volume_ml = forms.DecimalField(
        label=_("Volume given (mL)"),
        required=False,
        min_value=0.01,
        max_digits=6,
        decimal_places=2,
    )
    reactions = forms.MultipleChoiceField(
        label=_("Immediate reactions"),
        choices=REACTIONS,
        widget=forms.CheckboxSelectMultiple,
    )
    reaction_notes = FreeTextField(
        label=_("Notes on reactions"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = FreeTextField(
        label=_("Reason for giving it at another region, side or level"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    timing_reason = FreeTextField(
        label=_("Reason for giving it outside the protocol's window"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    verifier = forms.ModelChoiceField(label=_("Second verifier"), queryset=None)  # type: ignore[arg-type]
    verifier_password = forms.CharField(
        label=_("Second verifier: password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    verifier_otp_token = forms.CharField(
        label=_("Second verifier: authenticator code"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    field_order = [
        "guidance",
        "volume_ml",
        "reactions",
        "reaction_notes",
        "override_reason",
        "timing_reason",
        "password",
        "otp_token",
        "verifier",
        "verifier_password",
        "verifier_otp_token",
    ]

    def __init__(
        self,
        *args: Any,
        verifiers: Any,
        override: bool = False,
        off_window: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["verifier"].queryset = verifiers
        self.fields["verifier"].label_from_instance = lambda u: f"{u.printed_name} ({u.role_label})"
        if override:
            self.fields["verifier"].help_text = _(
                "An override needs a physician as one of the two signers."
            )
        else:
            del self.fields["override_reason"]
        if not off_window:
            del self.fields["timing_reason"]
        self.fields["password"].label = _("Operator (you): password")
        self.fields["otp_token"].label = _("Operator (you): authenticator code")
