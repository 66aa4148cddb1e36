"""Assessment and clinical-record forms; dates are typed in the clinic's calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.accounts.models import Site
from autologic.clinical import choices
from autologic.clinical.domain import body
from autologic.clinical.domain.vocabulary import GRADE_RANGE, NEEDS_DETAIL, NO_SIDE, GradeSystem
from autologic.common.domain.calendars import Calendar
from autologic.common.forms import ClinicDateField, FreeTextField, PrintedNameField, SignatureFields

BLANK = [("", "—")]
MIN_JUSTIFICATION = 20  # characters; the action enforces the same minimum


class ClinicForm(forms.Form):
    """A form whose date fields follow the site's calendar and may not lie in the future."""

    date_fields: tuple[str, ...] = ()
    past_only: tuple[str, ...] = ()

    def __init__(self, *args: Any, site: Site, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        calendar = Calendar(site.calendar)
        for name in self.date_fields:
            old = self.fields[name]
            self.fields[name] = ClinicDateField(
                label=old.label, required=old.required, help_text=old.help_text, calendar=calendar
            )
        self.order_fields(list(type(self).base_fields))

    def clean(self) -> dict[str, Any]:
        """Refuse future dates where the event must already have happened."""
        data = super().clean() or {}
        for name in self.past_only:
            value = data.get(name)
            if isinstance(value, date) and value > self.today:
                self.add_error(name, _("This date is in the future."))
        return data


class AssessmentForm(ClinicForm):
    """The assessment header: date, complaint, comorbidities, anaesthesia risk, wishes."""

    date_fields = ("assessed_on",)
    past_only = ("assessed_on",)

    assessed_on = ClinicDateField(label=_("Assessed on"))
    complaint = FreeTextField(
        label=_("Presenting complaint"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    comorbidities = forms.MultipleChoiceField(
        label=_("Comorbidities"),
        required=False,
        choices=choices.COMORBIDITIES,
        widget=forms.CheckboxSelectMultiple,
    )
    comorbidity_notes = FreeTextField(label=_("Comorbidity notes"), required=False, max_length=500)
    anaesthesia_risk = forms.ChoiceField(
        label=_("Anaesthesia risk (ASA)"), required=False, choices=BLANK + choices.ANAESTHESIA_RISKS
    )
    avoids_surgery = forms.BooleanField(
        label=_("Wishes to avoid surgery (e.g. refuses joint replacement)"), required=False
    )
    height_cm = forms.IntegerField(
        label=_("Height (cm)"),
        required=False,
        min_value=body.HEIGHT_CM[0],
        max_value=body.HEIGHT_CM[1],
    )
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"),
        required=False,
        min_value=body.WEIGHT_KG[0],
        max_value=body.WEIGHT_KG[1],
        decimal_places=1,
        help_text=_("With the height, the registry can compare outcomes by body-mass index."),
    )
    notes = FreeTextField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RegionForm(ClinicForm):
    """An affected region; a grade is only accepted together with its classification system."""

    date_fields = ("grade_read_on",)
    past_only = ("grade_read_on",)

    region = forms.ChoiceField(label=_("Region"), choices=BLANK + choices.REGIONS)
    side = forms.ChoiceField(label=_("Side"), required=False, choices=BLANK + choices.SIDES)
    detail = FreeTextField(
        label=_("Tendon, muscle or spinal level"),
        required=False,
        max_length=60,
        help_text=_("For example Achilles, rectus femoris, L4/L5."),
    )
    diagnosis = forms.ChoiceField(label=_("Diagnosis"), choices=BLANK + choices.DIAGNOSES)
    grade_system = forms.ChoiceField(
        label=_("Grading system"), required=False, choices=BLANK + choices.GRADE_SYSTEMS
    )
    grade = forms.IntegerField(label=_("Grade"), required=False, min_value=0, max_value=5)
    grade_reader = PrintedNameField(label=_("Read by"), required=False, max_length=120)
    grade_read_on = ClinicDateField(label=_("Imaging date"), required=False)
    grade_notes = FreeTextField(label=_("Reader's wording"), required=False, max_length=255)

    def clean(self) -> dict[str, Any]:
        """Check side, detail and grade against the region and the grading system."""
        data = super().clean()
        region, side = data.get("region"), data.get("side")
        if region in NO_SIDE and side not in ("", "midline", None):
            self.add_error("side", _("A spinal segment has no left or right side."))
        if region and region not in NO_SIDE and not side:
            self.add_error("side", _("Choose the side."))
        if region in NEEDS_DETAIL and not data.get("detail"):
            self.add_error("detail", _("Name the tendon, muscle or spinal level."))
        grade, system = data.get("grade"), data.get("grade_system")
        if grade is not None and not system:
            self.add_error("grade_system", _("A grade needs its classification system."))
        if grade is not None and system:
            low, high = GRADE_RANGE[GradeSystem(system)]
            if not low <= grade <= high:
                self.add_error(
                    "grade",
                    _("%(system)s grades run from %(low)s to %(high)s.")
                    % {"system": system, "low": low, "high": high},
                )
            if not data.get("grade_reader"):
                self.add_error("grade_reader", _("Name who read the images."))
        if system and grade is None:
            self.add_error("grade", _("Enter the grade or clear the grading system."))
        return data


class ImagingForm(ClinicForm):
    """An imaging study."""

    date_fields = ("performed_on",)
    past_only = ("performed_on",)

    modality = forms.ChoiceField(label=_("Modality"), choices=BLANK + choices.MODALITIES)
    region = forms.ChoiceField(label=_("Region"), choices=BLANK + choices.REGIONS)
    side = forms.ChoiceField(label=_("Side"), required=False, choices=BLANK + choices.SIDES)
    performed_on = ClinicDateField(label=_("Date"))
    findings = FreeTextField(
        label=_("Findings"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    cartilage = forms.ChoiceField(
        label=_("Cartilage compared with the previous MRI"),
        required=False,
        choices=BLANK + choices.CARTILAGE_CHANGES,
        help_text=_("The radiologist's structured reading; MRI only."),
    )
    cartilage_measure = forms.ChoiceField(
        label=_("Measured by"), required=False, choices=BLANK + choices.CARTILAGE_MEASURES
    )
    read_by = FreeTextField(label=_("Read by"), required=False, max_length=120)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("cartilage"):
            if data.get("modality") and data["modality"] not in choices.MRI_MODALITIES:
                self.add_error("cartilage", _("A cartilage reading belongs to an MRI study."))
            if not data.get("cartilage_measure"):
                self.add_error("cartilage_measure", _("Say how the cartilage was measured."))
            if not data.get("read_by"):
                self.add_error("read_by", _("Name the radiologist who read it."))
        return data


class MedicationForm(ClinicForm):
    """A medication; anticoagulants, antiplatelets and NSAIDs are flagged."""

    date_fields = ("held_since", "stopped_on")

    name = FreeTextField(label=_("Medication"), max_length=120)
    drug_class = forms.ChoiceField(label=_("Class"), choices=BLANK + choices.DRUG_CLASSES)
    dose = FreeTextField(label=_("Dose"), required=False, max_length=60)
    held_since = ClinicDateField(
        label=_("On hold since"),
        required=False,
        help_text=_("Confirmed by a clinician with the patient."),
    )
    stopped_on = ClinicDateField(label=_("Stopped for good on"), required=False)


class StudyForm(ClinicForm):
    """A pre-operative study and its result."""

    date_fields = ("performed_on",)
    past_only = ("performed_on",)

    kind = forms.ChoiceField(label=_("Study"), choices=BLANK + choices.STUDY_KINDS)
    performed_on = ClinicDateField(label=_("Date"))
    result = forms.ChoiceField(label=_("Result"), choices=choices.STUDY_RESULTS)
    result_text = FreeTextField(
        label=_("Result details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AuthorisationForm(ClinicForm):
    """A regulatory authorisation request and, once known, its grant."""

    date_fields = ("requested_on", "granted_on", "expires_on")
    past_only = ("requested_on", "granted_on")

    agency = FreeTextField(label=_("Agency"), max_length=60, help_text=_("For example AEMPS."))
    reference = FreeTextField(label=_("Reference"), max_length=60)
    scope = FreeTextField(
        label=_("Scope (protocol code)"), max_length=64, help_text=_("For example bm-msc-knee.")
    )
    requested_on = ClinicDateField(label=_("Requested on"))
    granted_on = ClinicDateField(label=_("Granted on"), required=False)
    expires_on = ClinicDateField(label=_("Expires on"), required=False)

    def clean(self) -> dict[str, Any]:
        """A grant cannot precede its request, nor expire before it is granted."""
        data = super().clean()
        requested, granted, expires = (
            data.get("requested_on"),
            data.get("granted_on"),
            data.get("expires_on"),
        )
        if requested and granted and granted < requested:
            self.add_error("granted_on", _("The grant is dated before the request."))
        if expires and (granted or requested) and expires < (granted or requested):
            self.add_error("expires_on", _("The authorisation expires before it starts."))
        return data


class MarkerTestForm(ClinicForm):
    """One infectious-disease marker: the sample's date and the result (pending until known)."""

    date_fields = ("sampled_on",)
    past_only = ("sampled_on",)

    marker = forms.ChoiceField(label=_("Marker"), choices=BLANK + choices.MARKERS)
    sampled_on = ClinicDateField(label=_("Sample taken on"))
    result = forms.ChoiceField(label=_("Result"), choices=choices.MARKER_RESULTS)
    method = FreeTextField(
        label=_("Method or laboratory"),
        required=False,
        max_length=120,
        help_text=_("For example: CMIA, Central Lab."),
    )


class ConservativeForm(ClinicForm):
    """A conservative treatment tried first: what, from when to when, and whether it failed."""

    date_fields = ("started_on", "ended_on")
    past_only = ("started_on", "ended_on")

    treatment = forms.ChoiceField(
        label=_("Treatment"), choices=BLANK + choices.CONSERVATIVE_TREATMENTS
    )
    started_on = forms.DateField(label=_("Started on"))
    ended_on = forms.DateField(label=_("Ended on"), required=False)
    result = forms.ChoiceField(label=_("Result"), choices=choices.CONSERVATIVE_RESULTS)
    notes = FreeTextField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        """The treatment cannot end before it starts."""
        data = super().clean()
        started, ended = data.get("started_on"), data.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", _("The treatment ends before it starts."))
        return data


RECORD_FORMS: dict[str, type[ClinicForm]] = {
    "imaging": ImagingForm,
    "medication": MedicationForm,
    "study": StudyForm,
    "authorisation": AuthorisationForm,
    "marker_test": MarkerTestForm,
    "conservative": ConservativeForm,
}
RECORD_TITLES = {
    "imaging": _("Imaging study"),
    "medication": _("Medication"),
    "study": _("Pre-operative study"),
    "authorisation": _("Regulatory authorisation"),
    "marker_test": _("Infectious-disease marker"),
    "conservative": _("Conservative treatment"),
}


class HoldConfirmationForm(forms.Form):
    """Today's confirmation with the patient that no held drug was taken."""

    classes = forms.MultipleChoiceField(
        label=_("The patient has taken none of"),
        choices=choices.DRUG_CLASSES,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = FreeTextField(
        label=_("Notes"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class GateExceptionForm(SignatureFields):
    """A physician's signed exception to one gate before collection, with the reason."""

    gate = forms.ChoiceField(label=_("Gate"), choices=choices.EXCEPTABLE_GATES)
    reason = FreeTextField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the collection may go ahead; at least 20 characters."),
    )

    field_order = ["gate", "reason"]

    def __init__(self, *args: Any, gates: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(choices.EXCEPTABLE_GATES)
        self.fields["gate"].choices = [(g, labels[g]) for g in gates]
        self.order_fields(self.field_order)

    def clean_reason(self) -> str:
        """Check the reason's length before the signature is verified."""
        reason = " ".join((self.cleaned_data.get("reason") or "").split())
        if len(reason) < MIN_JUSTIFICATION:
            raise forms.ValidationError(
                _("An exception needs a reason of at least %(min)s characters.")
                % {"min": MIN_JUSTIFICATION}
            )
        return reason


class DecisionForm(SignatureFields):
    """The physician's signed decision on an eligibility report."""

    verdict = forms.ChoiceField(label=_("Decision"), choices=choices.VERDICTS)
    justification = FreeTextField(
        label=_("Justification"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the decision differs from the report."),
    )
    expected_verdict = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        """Check the justification before the signature is verified, so no code is wasted."""
        data = super().clean() or {}
        overriding = data.get("verdict") != data.get("expected_verdict")
        justification = " ".join((data.get("justification") or "").split())
        if overriding and len(justification) < MIN_JUSTIFICATION:
            self.add_error(
                "justification",
                _("An override needs a justification of at least %(min)s characters.")
                % {"min": MIN_JUSTIFICATION},
            )
        return data
