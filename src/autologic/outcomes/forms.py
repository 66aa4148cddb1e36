"""Forms of the outcomes pages: a questionnaire built from an instrument's items."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.common.domain.calendars import Calendar
from autologic.common.forms import ClinicDateField, FreeTextField
from autologic.outcomes import choices
from autologic.outcomes.domain import later
from autologic.outcomes.domain.rehab import MAX_NOTE
from autologic.outcomes.domain.types import Instrument, Item

RADIO_MAX = 10  # items with up to 11 answers are radio rows; longer scales are number inputs


def item_label(instrument: Instrument, item: Item) -> str:
    """The label shown for an item: its gist, or only its id when the wording is licensed."""
    if not instrument.licence.ships_item_texts:
        return f"{item.id}"
    return f"{item.id} · {item.gist}" if item.gist else item.id


class ItemsForm(forms.Form):
    """Every item of one instrument; an unanswered item is allowed (the rules decide)."""

    def __init__(
        self, *args: Any, instrument: Instrument, wording: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        asked = {q.id: q.text for q in wording.questions()} if wording is not None else {}
        for item in instrument.items:
            if item.high - item.low <= RADIO_MAX:
                field: forms.Field = forms.TypedChoiceField(
                    label=asked.get(item.id) or item_label(instrument, item),
                    choices=[(v, str(v)) for v in range(item.low, item.high + 1)],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "scale"}),
                )
            else:
                field = forms.IntegerField(
                    label=asked.get(item.id) or item_label(instrument, item),
                    min_value=item.low,
                    max_value=item.high,
                    required=False,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
            self.fields[item.id] = field

    def answers(self) -> dict[str, int | None]:
        """Item id -> answer (None when left blank)."""
        return {item.id: self.cleaned_data.get(item.id) for item in self.instrument.items}


class PaperEntryForm(ItemsForm):
    """A paper form typed in by staff: the date on the form, then every item."""

    def __init__(self, *args: Any, calendar: Calendar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        completed = ClinicDateField(label=_("Date on the form"), calendar=calendar)
        self.fields = {"completed_on": completed, **self.fields}


class ThresholdForm(forms.Form):
    """A clinic's choice for one score: a cited reference, or its own value with its source."""

    instrument = forms.CharField(widget=forms.HiddenInput)
    score = forms.CharField(widget=forms.HiddenInput)
    use = forms.ChoiceField(
        choices=[("change", "change"), ("pass", "pass")], widget=forms.HiddenInput
    )
    reference = forms.CharField(label=_("Reference value"), required=False)
    value = forms.FloatField(label=_("or the clinic's own value"), required=False, min_value=0)
    relative = forms.BooleanField(label=_("a share of the baseline (0.2 = 20 %)"), required=False)
    source = FreeTextField(label=_("Source of the clinic's value"), required=False, max_length=300)


class RehabForm(forms.Form):
    """Where the patient is with one rehabilitation phase; a problem needs a note."""

    status = forms.ChoiceField(
        label=_("Status"), choices=choices.REHAB_STATUSES, widget=forms.RadioSelect
    )
    note = FreeTextField(
        label=_("Note"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a problem: what happened and what was agreed."),
    )

    def clean(self) -> dict[str, Any]:
        """A problem is described."""
        data = super().clean() or {}
        if data.get("status") == "problem" and not (data.get("note") or "").strip():
            self.add_error("note", _("Describe the problem."))
        return data


class LaterTreatmentForm(forms.Form):
    """A replacement, repeat treatment or other surgery of one of the patient's treated joints."""

    region = forms.TypedChoiceField(label=_("Treated joint"), coerce=int)
    kind = forms.ChoiceField(
        label=_("What was done"), choices=choices.LATER_KINDS, widget=forms.RadioSelect
    )
    source = forms.ChoiceField(label=_("Source"), choices=choices.LATER_SOURCES)
    note = FreeTextField(
        label=_("Note"),
        required=False,
        max_length=later.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Where it was done, by whom, and why, as far as known."),
    )

    def __init__(
        self, *args: Any, joints: list[tuple[int, str]], calendar: Calendar, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = joints  # type: ignore[attr-defined]
        performed = ClinicDateField(
            label=_("Date of the operation or treatment"), calendar=calendar
        )
        fields = dict(self.fields)
        self.fields = {
            "region": fields["region"],
            "kind": fields["kind"],
            "performed_on": performed,
            "source": fields["source"],
            "note": fields["note"],
        }


class SurgeryReportCheckForm(forms.Form):
    """Staff found no operation behind a patient's yes to the surgery question."""

    note = FreeTextField(
        label=_("How it was checked"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: phoned the patient; the operation was on the other knee."),
    )
