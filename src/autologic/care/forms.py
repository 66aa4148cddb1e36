"""Forms of the care pages: start a course, report a missed session, site resources."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from autologic.accounts.models import Site
from autologic.care import choices
from autologic.care.domain.scheduling import weekly_hours
from autologic.care.labels import COLLECTIONS
from autologic.common.domain.calendars import Calendar
from autologic.common.forms import ClinicDateField, FreeTextField
from autologic.protocols.domain.schema import Protocol


class CourseForm(forms.Form):
    """The course's choices within what its protocol allows."""

    variant = forms.ChoiceField(label=_("Harvest and processing"), required=False)
    injections = forms.IntegerField(label=_("Number of injections"), min_value=1, max_value=20)
    guidance = forms.ChoiceField(label=_("Guidance"), choices=choices.GUIDANCE)
    earliest_start = ClinicDateField(label=_("Earliest start"))
    notes = FreeTextField(
        label=_("Notes for the coordinator"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, site: Site, protocol: Protocol, today: date, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = today
        count = protocol.injections.count
        field = self.fields["injections"]
        field.min_value, field.max_value = count.min, count.max
        field.widget.attrs.update({"min": count.min, "max": count.max})
        field.help_text = _("%(min)s to %(max)s for this protocol.") % {
            "min": count.min,
            "max": count.max,
        }
        offered = set(protocol.injections.guidance)
        self.fields["guidance"].choices = [c for c in choices.GUIDANCE if c[0] in offered]
        self.fields["earliest_start"] = ClinicDateField(
            label=_("Earliest start"), calendar=Calendar(site.calendar)
        )
        if protocol.variants:
            # The protocol's own route first, then its variants by their names (seed 004).
            language = get_language() or "en"
            base = COLLECTIONS.get(protocol.collection.kind, protocol.collection.kind)
            self.fields["variant"].choices = [
                ("", _("As the protocol describes: %(harvest)s") % {"harvest": base}),
                *((v.key, v.name.get(language)) for v in protocol.variants),
            ]
        else:
            del self.fields["variant"]

    def clean_injections(self) -> int:
        """Inside the protocol's range."""
        value = int(self.cleaned_data["injections"])
        field = self.fields["injections"]
        if not field.min_value <= value <= field.max_value:
            raise forms.ValidationError(
                _("This protocol gives %(min)s to %(max)s injections."),
                params={"min": field.min_value, "max": field.max_value},
            )
        return value

    def clean_earliest_start(self) -> date:
        """Not in the past."""
        value: date = self.cleaned_data["earliest_start"]
        if value < self.today:
            raise forms.ValidationError(_("The earliest start cannot be in the past."))
        return value


class MissedForm(forms.Form):
    """A session the patient missed or that was cancelled."""

    reason = forms.ChoiceField(label=_("What happened"), choices=choices.MISS_REASONS)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ResourceForm(forms.Form):
    """A resource of the site."""

    kind = forms.ChoiceField(label=_("Kind"), choices=choices.RESOURCE_KINDS)
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = FreeTextField(label=_("Name"), max_length=120)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10000, initial=1)
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        choices=choices.CAPABILITIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hours = forms.CharField(
        label=_("Working hours"),
        required=False,
        max_length=400,
        help_text=_(
            "One line per weekday range, e.g. “mon-fri 08:00-12:30, 13:30-17:00”. "
            "Leave empty for equipment that runs day and night."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_hours(self) -> dict[str, str]:
        """Parse lines like ``mon-fri 08:00-18:00`` into the stored form, checking them."""
        text = self.cleaned_data.get("hours") or ""
        spec: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            days, _sep, ranges = line.partition(" ")
            spec[days.lower()] = ranges.strip()
            try:
                weekly_hours({days.lower(): ranges.strip()})
            except (ValueError, IndexError):
                raise forms.ValidationError(
                    _("Line %(line)s is not “days HH:MM-HH:MM”: %(text)s"),
                    params={"line": number, "text": line},
                ) from None
        try:
            weekly_hours(spec)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return spec


class ClosedDayForm(forms.Form):
    """A day the site is closed."""

    day = ClinicDateField(label=_("Date"))
    reason = FreeTextField(label=_("Reason"), max_length=120)

    def __init__(self, *args: Any, site: Site, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["day"] = ClinicDateField(label=_("Date"), calendar=Calendar(site.calendar))
