"""The registry's cohort form: who is in the cohort, which outcome, how to stratify."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from autologic.analytics.domain import registry as reg
from autologic.clinical.choices import DIAGNOSES, GRADE_SYSTEMS, REGIONS, SIDES
from autologic.common.domain.calendars import Calendar
from autologic.common.forms import ClinicDateField, FreeTextField
from autologic.outcomes.choices import LATER_KINDS
from autologic.patients.models import SEX_CHOICES
from autologic.protocols.models import THERAPY_CHOICES

ANY = [("", _("All"))]
STRATA = [
    ("", _("No stratification")),
    ("sex", _("Sex")),
    ("protocol", _("Protocol")),
    ("side", _("Side")),
    ("grade", _("Grade")),
    ("age", _("Age")),
    ("bmi", _("Body-mass index")),
    ("incubation_hours", _("Incubation (hours)")),
    ("thaw_minutes", _("Thaw to injection (minutes)")),
    ("cells_million", _("Cell dose (million)")),
    ("viability_pct", _("Viability (per cent)")),
    ("injections_received", _("Injections received")),
]
RANGES = (
    ("incubation", "incubation_hours", _("Incubation (hours)")),
    ("thaw", "thaw_minutes", _("Thaw to injection (minutes)")),
    ("cells", "cells_million", _("Cell dose (million)")),
    ("viability", "viability_pct", _("Viability (per cent)")),
    ("age", "age", _("Age")),
    ("bmi", "bmi", _("Body-mass index")),
)


class CohortForm(forms.Form):
    """Filters over the treated joints, the outcome to show, and the stratification."""

    therapy = forms.ChoiceField(label=_("Therapy"), required=False, choices=ANY + THERAPY_CHOICES)
    protocol = forms.ChoiceField(label=_("Protocol"), required=False)
    version = forms.TypedChoiceField(
        label=_("Protocol version"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("With a protocol chosen: only joints treated under this version."),
    )
    diagnosis = forms.ChoiceField(label=_("Diagnosis"), required=False, choices=ANY + DIAGNOSES)
    region = forms.ChoiceField(label=_("Region"), required=False, choices=ANY + REGIONS)
    side = forms.ChoiceField(label=_("Side"), required=False, choices=ANY + SIDES)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=ANY + SEX_CHOICES)
    grade_system = forms.ChoiceField(
        label=_("Grading system"), required=False, choices=GRADE_SYSTEMS, initial="KL"
    )
    grades = forms.TypedMultipleChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        choices=[(g, str(g)) for g in range(6)],
        widget=forms.CheckboxSelectMultiple,
    )
    injections_min = forms.IntegerField(
        label=_("At least this many injections received"), required=False, min_value=0
    )
    without_deviation = forms.BooleanField(
        label=_("Only products made without a deviation"), required=False
    )
    score = forms.ChoiceField(label=_("Outcome score"))
    failures = forms.MultipleChoiceField(
        label=_("Counts as failure"),
        required=False,
        choices=LATER_KINDS,
        widget=forms.CheckboxSelectMultiple,
    )
    stratify = forms.ChoiceField(label=_("Compare groups by"), required=False, choices=STRATA)
    cuts = forms.CharField(
        label=_("Cut points (else thirds)"),
        required=False,
        max_length=60,
        help_text=_("Numbers separated by commas, for example 8, 10."),
    )
    timepoint = forms.ChoiceField(label=_("Timepoint compared"), required=False)

    def __init__(
        self,
        *args: Any,
        calendar: Calendar,
        protocols: list[tuple[str, str]],
        versions: list[tuple[int, str]],
        scores: list[tuple[str, str]],
        timepoints: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].choices = ANY + protocols  # type: ignore[attr-defined]
        self.fields["version"].choices = ANY + versions  # type: ignore[attr-defined]
        self.fields["score"].choices = scores  # type: ignore[attr-defined]
        self.fields["timepoint"].choices = timepoints  # type: ignore[attr-defined]
        self.fields["treated_from"] = ClinicDateField(
            label=_("Treated from"), required=False, calendar=calendar
        )
        self.fields["treated_to"] = ClinicDateField(
            label=_("Treated until"), required=False, calendar=calendar
        )
        for prefix, _attribute, label in RANGES:
            self.fields[f"{prefix}_min"] = forms.FloatField(
                label=_("%(what)s from") % {"what": label}, required=False
            )
            self.fields[f"{prefix}_max"] = forms.FloatField(
                label=_("%(what)s below") % {"what": label}, required=False
            )

    def clean_cuts(self) -> list[float]:
        """The clinic's cut points, as numbers in increasing order."""
        text = (self.cleaned_data.get("cuts") or "").strip()
        if not text:
            return []
        try:
            values = sorted(
                {float(part) for part in text.replace(";", ",").split(",") if part.strip()}
            )
        except ValueError:
            raise forms.ValidationError(_("Give numbers separated by commas.")) from None
        if len(values) > 5:
            raise forms.ValidationError(_("Give at most five cut points."))
        return values

    def clean(self) -> dict[str, Any]:
        """Each range's lower end lies below its upper end."""
        data = super().clean() or {}
        for prefix, _attribute, _label in RANGES:
            low, high = data.get(f"{prefix}_min"), data.get(f"{prefix}_max")
            if low is not None and high is not None and low >= high:
                self.add_error(f"{prefix}_max", _("The upper end must lie above the lower end."))
        if data.get("version") is not None and not data.get("protocol"):
            self.add_error("version", _("Choose the protocol whose version you mean."))
        start, end = data.get("treated_from"), data.get("treated_to")
        if start and end and start > end:
            self.add_error("treated_to", _("The end of the period is before its start."))
        return data

    def cohort(self) -> reg.Cohort:
        """The registry cohort these filters describe."""
        data = self.cleaned_data
        ranges = tuple(
            (attribute, data.get(f"{prefix}_min"), data.get(f"{prefix}_max"))
            for prefix, attribute, _label in RANGES
            if data.get(f"{prefix}_min") is not None or data.get(f"{prefix}_max") is not None
        )
        return reg.Cohort(
            protocols=frozenset([data["protocol"]] if data.get("protocol") else []),
            versions=frozenset([data["version"]] if data.get("version") is not None else []),
            therapies=frozenset([data["therapy"]] if data.get("therapy") else []),
            diagnoses=frozenset([data["diagnosis"]] if data.get("diagnosis") else []),
            regions=frozenset([data["region"]] if data.get("region") else []),
            sides=frozenset([data["side"]] if data.get("side") else []),
            sexes=frozenset([data["sex"]] if data.get("sex") else []),
            grade_system=(data.get("grade_system") or "KL") if data.get("grades") else "",
            grades=frozenset(data.get("grades") or []),
            treated_from=data.get("treated_from"),
            treated_to=data.get("treated_to"),
            ranges=ranges,
            injections_min=data.get("injections_min"),
            without_deviation=bool(data.get("without_deviation")),
        )


class ResearchStudyForm(forms.Form):
    """A new study: its code and title."""

    code = forms.SlugField(label=_("Study code"), max_length=40)
    title = FreeTextField(label=_("Title"), max_length=200)


FORMAT_CHOICES = [
    ("csv", _("CSV")),
    ("parquet", _("Parquet")),
    ("sav", _("SPSS (with value labels)")),
    ("dta", _("Stata (with value labels)")),
]


class ExportForm(forms.Form):
    """Which study's export, in which format."""

    study = forms.TypedChoiceField(label=pgettext_lazy("research", "Study"), coerce=int)
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)

    def __init__(self, *args: Any, studies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = studies  # type: ignore[attr-defined]
