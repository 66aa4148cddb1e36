"""Bedside forms: the scan, and the signed administration record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.care.choices import GUIDANCE
from autologic.clinical.choices import REGIONS, SIDES
from autologic.common.domain.errors import ValidationFailed
from autologic.common.forms import FreeTextField, SignatureFields, StaffChoiceField
from autologic.common.messages import message_for
from autologic.injections.choices import ANAESTHETICS, APPROACHES, REACTIONS, ROUTES
from autologic.injections.domain import procedure

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
    approach = forms.ChoiceField(label=_("Approach"), choices=[("", "—"), *APPROACHES])
    anaesthetic = forms.ChoiceField(
        label=_("Local anaesthetic"), choices=[("", "—"), *ANAESTHETICS], required=False
    )
    anaesthetic_dose_mg = forms.DecimalField(
        label=_("Local anaesthetic dose (mg)"),
        required=False,
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
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
    verifier = StaffChoiceField(label=_("Second verifier"), queryset=None)  # type: ignore[arg-type]
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
        "approach",
        "anaesthetic",
        "anaesthetic_dose_mg",
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
        route: str = "",
        anaesthesia: str = "none",
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.route = route
        self.anaesthesia = anaesthesia
        fits = set(procedure.approaches(route))
        self.fields["approach"].choices = [
            ("", "—"),
            *((code, label) for code, label in APPROACHES if code in fits),
        ]
        if anaesthesia != "none":
            self.fields["anaesthetic"].required = True
            self.fields["anaesthetic"].help_text = _(
                "The protocol gives this injection under local anaesthesia."
            )
        self.fields["verifier"].queryset = verifiers
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

    def clean(self) -> dict[str, Any]:
        """The procedure record is checked with the fields, by the action's own rule."""
        data = super().clean() or {}
        if "approach" in data and "anaesthetic" in data and "anaesthetic_dose_mg" in data:
            for problem in procedure.problems(
                anaesthesia=self.anaesthesia,
                route=data.get("route") or self.route,
                anaesthetic=data["anaesthetic"],
                dose_mg=data["anaesthetic_dose_mg"],
                approach=data["approach"],
            ):
                if problem.field not in self.errors:
                    self.add_error(
                        problem.field,
                        message_for(
                            ValidationFailed(
                                problem.code, problem.message, problem.field, problem.data
                            )
                        ),
                    )
        return data
