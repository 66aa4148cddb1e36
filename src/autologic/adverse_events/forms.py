"""Forms to record an adverse event and to follow it up; the rules live in the domain."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.adverse_events import choices, queries
from autologic.adverse_events.actions import FollowUp, Report
from autologic.adverse_events.domain import ctcae
from autologic.common.domain.calendars import Calendar
from autologic.common.forms import ClinicDateField, FreeTextField, LocalDateTimeField
from autologic.patients.models import Patient

TEXT = {"rows": 3}


class JudgementForm(forms.Form):
    """The part of a record a follow-up can change."""

    grade = forms.TypedChoiceField(
        label=_("CTCAE grade"), choices=choices.GRADES, coerce=int, widget=forms.RadioSelect
    )
    serious = forms.BooleanField(
        label=_("Serious (SAE)"),
        required=False,
        help_text=_("Seriousness is not severity: tick it only when an ICH E2A criterion applies."),
    )
    criteria = forms.MultipleChoiceField(
        label=_("Seriousness criteria (ICH E2A)"),
        choices=choices.CRITERIA,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    related_product = forms.ChoiceField(
        label=_("Related to the product"), choices=[("", "—"), *choices.RELATEDNESS]
    )
    related_procedure = forms.ChoiceField(
        label=_("Related to the procedure (harvest or injection)"),
        choices=[("", "—"), *choices.RELATEDNESS],
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *choices.OUTCOMES])
    resolved_on = ClinicDateField(label=_("Resolved on"), required=False)
    resolved_time = forms.TimeField(
        label=_("Resolved at (time)"),
        required=False,
        help_text=_("For a reaction that passes within hours: the time, if known."),
        widget=forms.TimeInput(attrs={"placeholder": "14:30", "inputmode": "numeric"}),
    )
    action_taken = FreeTextField(
        label=_("Action taken"),
        max_length=4000,
        widget=forms.Textarea(attrs=TEXT),
        help_text=_("Treatment given, course paused or stopped; write 'none' if nothing."),
    )

    def __init__(self, *args: Any, calendar: Calendar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolved_on"] = ClinicDateField(
            label=_("Resolved on"),
            required=False,
            calendar=calendar,
            help_text=_("Only when recovered (or the date of death)."),
        )

    def follow_up(self, note: str = "") -> FollowUp:
        """The cleaned judgement for the action."""
        data = self.cleaned_data
        return FollowUp(
            grade=data["grade"],
            serious=data["serious"],
            criteria=tuple(data["criteria"]),
            related_product=data["related_product"],
            related_procedure=data["related_procedure"],
            outcome=data["outcome"],
            resolved_on=data["resolved_on"],
            resolved_time=data.get("resolved_time"),
            action_taken=data["action_taken"],
            note=note,
        )


class RecordForm(JudgementForm):
    """A new adverse event of one patient, optionally linked to an injection or a unit."""

    term = forms.ChoiceField(label=_("CTCAE v5.0 term"), choices=[("", "—"), *choices.TERMS])
    soc = forms.ChoiceField(
        label=_("System organ class"),
        choices=[("", "—"), *choices.SOCS],
        required=False,
        help_text=_("Only for 'Other, specify'."),
    )
    term_other = FreeTextField(
        label=_("Other event, specified"),
        max_length=200,
        required=False,
        help_text=_("Only for 'Other, specify'."),
    )
    onset_at = LocalDateTimeField(label=_("Onset"))
    description = FreeTextField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )
    administration = forms.ModelChoiceField(
        label=_("Injection"),
        queryset=None,
        required=False,  # type: ignore[arg-type]
    )
    unit = forms.ModelChoiceField(
        label=_("Unit (specimen or product)"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        help_text=_("Leave empty when an injection is linked: its unit is used."),
    )

    field_order = [
        "term",
        "soc",
        "term_other",
        "onset_at",
        "grade",
        "serious",
        "criteria",
        "related_product",
        "related_procedure",
        "outcome",
        "resolved_on",
        "resolved_time",
        "description",
        "action_taken",
        "administration",
        "unit",
    ]

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        site = patient.site
        super().__init__(*args, calendar=Calendar(site.calendar), **kwargs)
        self.fields["onset_at"] = LocalDateTimeField(
            label=_("Onset"), zone=site.time_zone, calendar=site.calendar
        )
        self.fields["administration"].queryset = queries.administrations(patient)
        zone = ZoneInfo(site.time_zone)
        self.fields["administration"].label_from_instance = lambda row: _injection_label(row, zone)
        self.fields["unit"].queryset = queries.units(patient)
        self.fields["unit"].label_from_instance = _unit_label
        self.order_fields(self.field_order)

    def report(self) -> Report:
        """The cleaned report for the action."""
        data = self.cleaned_data
        administration = data["administration"]
        unit = data["unit"]
        return Report(
            term=data["term"],
            soc=data["soc"],
            term_other=data["term_other"],
            onset_at=data["onset_at"],
            description=data["description"],
            judged=self.follow_up(),
            administration_id=administration.pk if administration else None,
            unit_id=unit.pk if unit else None,
        )


def _injection_label(row: Any, zone: ZoneInfo) -> str:
    side = f" {row.get_side_display()}" if row.side else ""
    given = row.given_at.astimezone(zone)
    return f"{given:%Y-%m-%d %H:%M} · {row.get_region_display()}{side} · {row.unit}"


def _unit_label(row: Any) -> str:
    return f"{row.identifier} · {row.get_kind_display()} · {row.get_status_display()}"


class UpdateForm(JudgementForm):
    """A follow-up: new outcome, resolution date, grade, seriousness or causality, and a note."""

    note = FreeTextField(
        label=_("Follow-up note"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs=TEXT),
    )
    # A form without its version cannot prove it saw the latest follow-up: treated as stale.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, term: ctcae.Term, calendar: Calendar, **kwargs: Any) -> None:
        super().__init__(*args, calendar=calendar, **kwargs)
        # The term is fixed after the first report: offer only its grades, with CTCAE's words.
        self.fields["grade"].choices = [(g, f"{g} · {text}") for g, text in term.grades.items()]
