"""Patient and consent forms; rules come from the patients domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from autologic.accounts.models import Site
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.domain.phones import region_for_zone
from autologic.common.forms import (
    ClinicDateField,
    FreeTextField,
    LanguageSelect,
    PhoneField,
    PrintedNameField,
    SignatureFields,
)
from autologic.common.messages import message_for
from autologic.patients.domain import check_birth_date, normalise_mrn
from autologic.patients.models import CONSENT_KINDS, SEX_CHOICES, SIGNER_RELATIONS


class PatientForm(forms.Form):
    """Demographics and contact details."""

    mrn = forms.CharField(
        label=_("MRN"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to assign the next number."),
    )
    family_name = PrintedNameField(label=_("Family name"), max_length=100)
    given_name = PrintedNameField(label=_("Given name"), max_length=100)
    date_of_birth = ClinicDateField(label=_("Date of birth"))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *SEX_CHOICES])
    phone = PhoneField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("A number from abroad needs its country code (+…)."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    address = FreeTextField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, widget=LanguageSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    different_person = forms.BooleanField(
        label=_("This is a different person"),
        required=False,
        help_text=_("Tick only after checking the chart named above: same name and date of birth."),
    )

    def __init__(self, *args: Any, site: Site, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date_of_birth"] = ClinicDateField(
            label=_("Date of birth"), calendar=Calendar(site.calendar)
        )
        self.fields["phone"].region = region_for_zone(site.time_zone)
        self.fields["preferred_language"].initial = site.default_language
        self.order_fields(list(PatientForm.base_fields))

    def clean_mrn(self) -> str:
        """Upper-case and validate the MRN, if one was typed."""
        value = self.cleaned_data.get("mrn", "")
        if not value:
            return ""
        try:
            return normalise_mrn(value)
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc)) from exc

    def clean_date_of_birth(self) -> date:
        """Refuse future and implausible birth dates."""
        try:
            return check_birth_date(self.cleaned_data["date_of_birth"], self.today)
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc)) from exc


class ConsentForm(SignatureFields):
    """A paper consent recorded by staff, who sign the entry electronically."""

    kind = forms.ChoiceField(label=_("Consent type"), choices=CONSENT_KINDS)
    procedure = forms.ChoiceField(
        label=_("Procedure it covers"),
        required=False,
        help_text=_("For a treatment consent: the treatment (protocol) the patient agreed to."),
    )
    form_version = FreeTextField(label=_("Form version"), max_length=32)
    given_on = ClinicDateField(label=_("Date signed"))
    signed_by = PrintedNameField(label=_("Signed by"), max_length=200)
    signer_relation = forms.ChoiceField(label=_("Signer is"), choices=SIGNER_RELATIONS)

    field_order = ["kind", "procedure", "form_version", "given_on", "signed_by", "signer_relation"]

    def __init__(
        self,
        *args: Any,
        site: Site,
        today: date,
        born: date | None = None,
        procedures: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today, self.born = today, born
        self.fields["given_on"] = ClinicDateField(
            label=_("Date signed"), calendar=Calendar(site.calendar)
        )
        self.fields["procedure"].choices = [("", "—"), *(procedures or [])]
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, Any]:
        """A treatment consent names the procedure it covers; other consents cover none."""
        data = super().clean() or {}
        if data.get("kind") == "treatment" and not data.get("procedure"):
            self.add_error("procedure", _("Choose the treatment this consent covers."))
        if data.get("kind") and data.get("kind") != "treatment":
            data["procedure"] = ""
        return data

    def clean_given_on(self) -> date:
        """A consent cannot be signed in the future."""
        value: date = self.cleaned_data["given_on"]
        if value > self.today:
            raise forms.ValidationError(_("The signing date is in the future."))
        if self.born and value < self.born:
            raise forms.ValidationError(_("The signing date is before the patient's birth."))
        return value


class RenumberForm(SignatureFields):
    """A new MRN for a patient, with the reason, signed; the old wristbands become void."""

    new_mrn = forms.CharField(label=_("New MRN"), max_length=20)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: duplicate record merged, or the number was mistyped."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    field_order = ["new_mrn", "reason"]

    def clean_new_mrn(self) -> str:
        """Upper-case and validate the new MRN."""
        try:
            return normalise_mrn(self.cleaned_data["new_mrn"])
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc)) from exc


class ConsentWithdrawalForm(SignatureFields):
    """The patient withdrew a consent: the day, a note, and the staff member's signature."""

    withdrawn_on = ClinicDateField(label=_("Withdrawn on"))
    note = FreeTextField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the patient told us, for example a signed letter."),
    )

    field_order = ["withdrawn_on", "note"]

    def __init__(self, *args: Any, calendar: Calendar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"] = ClinicDateField(label=_("Withdrawn on"), calendar=calendar)
