"""Lab forms: times are typed in the clinic's local time and stored in UTC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.accounts.models import User
from autologic.common.domain.calendars import Calendar
from autologic.common.forms import (
    ClinicDateField,
    FreeTextField,
    LocalDateTimeField,
    SignatureFields,
    StaffChoiceField,
)
from autologic.lab import choices
from autologic.lab.choices import INFECTIOUS_STATUSES
from autologic.lab.domain.collection import Harvest, HarvestNeeds
from autologic.lab.models import Box, StepRecord


class SiteForm(forms.Form):
    """A form whose times are typed in the site's zone and calendar."""

    def __init__(
        self, *args: Any, zone: str = "UTC", calendar: str = "gregorian", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in self.fields:
            field = self.fields[name]
            if isinstance(field, LocalDateTimeField):
                field.localise(zone, calendar)


class CollectionForm(SiteForm):
    """Who collected what, when, into which containers."""

    collected_at = LocalDateTimeField(label=_("Collected at"))
    collected_by = StaffChoiceField(label=_("Collected by"), queryset=User.objects.none())
    volume_ml = forms.DecimalField(
        label=_("Volume (mL)"), min_value=0.1, max_value=2000, decimal_places=1
    )
    containers = forms.IntegerField(label=_("Containers"), min_value=1, max_value=48)
    container_type = FreeTextField(label=_("Container type"), max_length=80)
    notes = FreeTextField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The harvest record, shown when the protocol asks for it (fasting, anaesthesia, recovery).
    last_intake_at = LocalDateTimeField(
        label=_("Last food or drink at"),
        required=False,
        help_text=_("Ask the patient before the harvest."),
    )
    anaesthesia = forms.ChoiceField(
        label=_("Anaesthesia"), required=False, choices=[("", "—"), *choices.ANAESTHESIA]
    )
    sedation_agent = FreeTextField(
        label=_("Sedation (agent and dose)"), required=False, max_length=120
    )
    discharged_at = LocalDateTimeField(
        label=_("Discharged from the recovery room at"),
        required=False,
        help_text=_("Once the patient is fully awake."),
    )

    HARVEST_FIELDS = ("last_intake_at", "anaesthesia", "sedation_agent", "discharged_at")

    def __init__(
        self,
        *args: Any,
        staff: Any = None,
        problems: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None,
        needs: HarvestNeeds | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["collected_by"].queryset = staff
        self.problems = problems
        needs = needs or HarvestNeeds()
        unused = set(self.HARVEST_FIELDS) if not needs.asks else set()
        if not needs.fasting_h:
            unused.add("last_intake_at")
        # The sedation agent stays whenever anaesthesia is asked: the team may sedate even where
        # the protocol plans local anaesthesia alone, and then the agent is required.
        if needs.recovery_min == 0:
            unused.add("discharged_at")
        for name in unused:
            del self.fields[name]

    def harvest(self) -> Harvest:
        """The harvest record as typed (empty where the protocol asks nothing)."""
        data = self.cleaned_data
        return Harvest(
            last_intake_at=data.get("last_intake_at"),
            anaesthesia=data.get("anaesthesia") or "",
            sedation_agent=data.get("sedation_agent") or "",
            discharged_at=data.get("discharged_at"),
        )

    def clean(self) -> dict[str, Any]:
        """Check the time and the gate before collection together with the fields, so every
        problem shows at once (``problems`` gives each as field and text)."""
        data = super().clean() or {}
        for field, text in self.problems(data) if self.problems else []:
            if field and field in self.errors:
                continue  # the field's own error says it first
            self.add_error(field if field in self.fields else None, text)
        return data


class StepForm(SiteForm):
    """Start or finish a processing step, with the readings its kind needs."""

    key = forms.CharField(widget=forms.HiddenInput)
    passage = forms.IntegerField(label=_("Passage"), min_value=0, max_value=20, initial=0)
    started_at = LocalDateTimeField(label=_("Started at"), required=False)
    ended_at = LocalDateTimeField(label=_("Ended at"), required=False)
    temperature_c = forms.FloatField(
        label=_("Temperature (°C)"), required=False, min_value=-200, max_value=100
    )
    g_force = forms.IntegerField(label=_("g-force"), required=False, min_value=1, max_value=100000)
    spin_min = forms.IntegerField(label=_("Spin (min)"), required=False, min_value=1, max_value=600)
    cell_count_million = forms.FloatField(
        label=_("Cells (million)"), required=False, min_value=0, max_value=100000
    )
    viability_pct = forms.FloatField(
        label=_("Viability (%)"), required=False, min_value=0, max_value=100
    )
    notes = FreeTextField(label=_("Notes"), required=False, max_length=500)

    def __init__(self, *args: Any, step: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if step is None:
            return
        # Show only what this kind of step records (a spin has g and minutes, culture counts).
        unused = set()
        if step.temperature_c is None:
            unused.add("temperature_c")
        if step.kind != "centrifugation":
            unused |= {"g_force", "spin_min"}
        if step.kind != "culture":
            unused |= {"cell_count_million", "viability_pct", "passage"}
        for name in unused:
            self.fields.pop(name)

    def clean(self) -> dict[str, Any]:
        """Fields a step kind does not use are absent, not errors."""
        data = super().clean() or {}
        for name in ("temperature_c", "g_force", "spin_min", "cell_count_million", "viability_pct"):
            data.setdefault(name, None)
        data.setdefault("passage", 0)
        return data


class DivideForm(forms.Form):
    """How many final units, and what each holds."""

    count = forms.IntegerField(label=_("Units"), min_value=1, max_value=48)
    volume_ml = forms.DecimalField(
        label=_("Volume per unit (mL)"), required=False, min_value=0.1, max_value=500
    )
    cells_million = forms.DecimalField(
        label=_("Cells per unit (million)"), required=False, min_value=0.01, max_value=100000
    )


class ResultForm(forms.Form):
    """One QC result for one specification row; a repeat test says why it was repeated."""

    attribute = forms.CharField(widget=forms.HiddenInput)
    value = forms.CharField(label=_("Result"), max_length=80)
    reason = FreeTextField(label=_("Reason for the repeat"), required=False, max_length=300)


class ResultDispositionForm(SignatureFields):
    """QA's signed disposition of a failed QC result."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("invalidated", _("Invalidate: a laboratory error was confirmed")),
            ("confirmed", _("Confirm: the failure stands")),
        ],
    )
    justification = FreeTextField(
        label=_("Investigation and reason"), widget=forms.Textarea(attrs={"rows": 2})
    )


class SignForm(SignatureFields):
    """A signed QA decision; the second signer's fields are used when two must sign."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("released", _("Release")), ("rejected", _("Reject"))],
    )
    notes = FreeTextField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    second_username = forms.CharField(label=_("Second signer: user name"), required=False)
    second_password = forms.CharField(
        label=_("Second signer: password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    second_otp_token = forms.CharField(
        label=_("Second signer: authenticator code"), required=False, max_length=8
    )


class ExceptionForm(SignForm):
    """Release with exception: the release signatures, a physician's approval, the reason and
    the patient informed."""

    decision = forms.CharField(widget=forms.HiddenInput, initial="released", required=False)
    exception_reason = FreeTextField(
        label=_("Why the non-conforming product is released"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    patient_informed = forms.BooleanField(
        label=_("The patient was informed of the non-conformance"), required=False
    )
    physician_username = forms.CharField(label=_("Approving physician: user name"))
    physician_password = forms.CharField(
        label=_("Approving physician: password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    physician_otp_token = forms.CharField(
        label=_("Approving physician: authenticator code"), required=False, max_length=8
    )


class DeviationForm(SignatureFields):
    """QA's signed disposition of a deviation."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accepted", _("Accept")), ("rejected", _("Reject"))]
    )
    justification = FreeTextField(label=_("Justification"), max_length=1000)


class RequalifyForm(SignatureFields):
    """QA returns a quarantined unit to use after an excursion, with the reason."""

    justification = FreeTextField(label=_("Why the unit is still usable"), max_length=1000)


class DiscardForm(forms.Form):
    """Discard a unit: a coded reason, the method, and a witness who signs."""

    reason_code = forms.ChoiceField(label=_("Reason"), choices=choices.DISPOSAL_REASONS)
    reason = FreeTextField(label=_("Details"), max_length=300, required=False)
    method = forms.ChoiceField(label=_("Method"), choices=choices.DISPOSAL_METHODS)
    witness_username = forms.CharField(label=_("Witness: user name"))
    witness_password = forms.CharField(
        label=_("Witness: password"), widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    witness_otp_token = forms.CharField(
        label=_("Witness: authenticator code"), required=False, max_length=8
    )


class ReagentUseForm(forms.Form):
    """A reagent or kit lot used for the collection or one of its steps."""

    kind = forms.ChoiceField(label=_("Kind"), choices=choices.REAGENT_KINDS)
    name = FreeTextField(label=_("Product"), max_length=120)
    lot_number = forms.CharField(label=_("Lot number"), max_length=40)
    manufacturer = FreeTextField(label=_("Manufacturer"), max_length=120, required=False)
    step = forms.ModelChoiceField(
        label=_("Used in step"), queryset=StepRecord.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        steps: Any = None,
        step_names: dict[str, str] | None = None,
        calendar: str = "gregorian",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_on"] = ClinicDateField(
            label=_("Expires on"), required=False, calendar=Calendar(calendar)
        )
        self.order_fields(["kind", "name", "lot_number", "manufacturer", "expires_on", "step"])
        if steps is not None:
            self.fields["step"].queryset = steps
        names = step_names or {}
        # A step by the protocol's name for it in the user's language, not its key.
        self.fields["step"].label_from_instance = lambda record: names.get(record.key, record.key)


class BoxChoiceField(forms.ModelChoiceField):
    """A box, named with what it is kept for (tested-negative, not evaluated, biohazard)."""

    def label_from_instance(self, obj: Any) -> str:
        """``F1/R1/B2 · Not evaluated for infectious substances``."""
        return f"{obj} · {obj.get_infectious_display()}"


class CheckInForm(forms.Form):
    """Store a lot's units in the next free positions of a box kept for their status."""

    box = BoxChoiceField(label=_("Box"), queryset=Box.objects.none())

    def __init__(self, *args: Any, boxes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if boxes is not None:
            self.fields["box"].queryset = boxes


class ReadingForm(SiteForm):
    """A temperature reading typed in from the freezer's display."""

    at = LocalDateTimeField(label=_("Time"))
    celsius = forms.DecimalField(label=_("Temperature (°C)"), min_value=-200, max_value=100)


class LoggerFileForm(forms.Form):
    """A data logger's CSV export: timestamp,celsius per line."""

    file = forms.FileField(label=_("Data-logger file (CSV)"))


class BoxInfectiousForm(forms.Form):
    """What a box is kept for."""

    infectious = forms.ChoiceField(label=_("Keep this box for"), choices=INFECTIOUS_STATUSES)
