"""Billing forms: amounts in the clinic's currency (tomans in Tehran), dates in its calendar."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from autologic.accounts.models import Site
from autologic.billing import choices
from autologic.billing.domain import scans
from autologic.billing.domain.display import format_plain, parse_money
from autologic.billing.domain.money import Money
from autologic.billing.domain.scans import Scan
from autologic.billing.models import BillingProfile, PriceItem
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.errors import DomainError
from autologic.common.forms import (
    ClinicDateField,
    FreeTextField,
    LanguageSelect,
    PrintedNameField,
    SignatureFields,
)
from autologic.common.messages import message_for


class MoneyField(forms.CharField):
    """An amount in the clinic's currency, typed with the user's digits and separators."""

    def __init__(self, *args: Any, currency: str, tomans: bool = False, **kwargs: Any) -> None:
        self.currency, self.tomans = currency, tomans
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Money):
            shown = Money(value.currency, value.tomans()) if self.tomans else value
            if self.tomans:
                return format_plain(Money("IRR", shown.amount.quantize(Decimal(1))), _lang())
            return format_plain(shown, _lang())
        return value

    def to_python(self, value: Any) -> Money | None:  # type: ignore[override]
        text = str(value or "").strip()[:40]
        if not text:
            return None
        try:
            return parse_money(text, self.currency, _lang(), tomans=self.tomans)
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc)) from exc


def _lang() -> str:
    return get_language() or "en"


def _unit(site: Site, billing: BillingProfile | None) -> tuple[str, bool]:
    tomans = bool(billing and billing.show_tomans and site.currency == "IRR")
    return site.currency, tomans


class EstimateForm(forms.Form):
    """Offer an estimate: fix each ranged price with a reason (or, in Germany, choose each GOÄ
    multiplier with its justification) and set the payment plan."""

    deposit = forms.CharField(label=_("Deposit"), required=False)
    parts = forms.IntegerField(label=_("Instalments after the deposit"), min_value=1, max_value=24)
    first_due = ClinicDateField(label=_("First payment due"))
    every_days = forms.IntegerField(
        label=_("Days between instalments"), min_value=1, max_value=365, initial=30
    )
    on_events = forms.BooleanField(
        label=_("Instalments fall due on collection, first and last injection"), required=False
    )
    insurer = FreeTextField(label=_("Supplementary insurer"), required=False, max_length=200)
    insurer_note = FreeTextField(
        label=_("What the insurer may reimburse (its own tariff and conditions)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    language = forms.ChoiceField(label=_("Printed in"), widget=LanguageSelect)
    agreement = forms.BooleanField(
        label=_("A written § 2 agreement is made for multipliers above the maximum"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        site: Site,
        billing: BillingProfile | None,
        items: list[PriceItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        currency, tomans = _unit(site, billing)
        self.country = billing.country if billing else ""
        self.fields["deposit"] = MoneyField(
            label=_("Deposit"), required=False, currency=currency, tomans=tomans
        )
        self.fields["first_due"] = ClinicDateField(
            label=_("First payment due"), calendar=Calendar(site.calendar)
        )
        names = dict(settings.LANGUAGES)
        self.fields["language"].choices = [(c, names.get(c, c)) for c in site.languages or ["en"]]
        self.ranged: list[PriceItem] = []
        self.goae: list[PriceItem] = []
        for item in items:
            if item.points is not None:
                self.goae.append(item)
                self.fields[f"multiplier-{item.code}"] = forms.CharField(
                    label=_("Multiplier for GOÄ %(number)s") % {"number": item.code},
                    initial="2,3" if _lang() == "de" else "2.3",
                    max_length=6,
                )
                self.fields[f"reason-{item.code}"] = FreeTextField(
                    label=_("Justification for GOÄ %(number)s") % {"number": item.code},
                    required=False,
                    max_length=500,
                )
            elif item.low_minor != item.high_minor:
                self.ranged.append(item)
                self.fields[f"price-{item.code}"] = MoneyField(
                    label=_("Price chosen for %(item)s") % {"item": _label(item)},
                    currency=currency,
                    tomans=tomans,
                )
                self.fields[f"reason-{item.code}"] = FreeTextField(
                    label=_("Why this price"), max_length=500
                )
        if self.country != "DE":
            del self.fields["agreement"]

    def multipliers(self) -> dict[str, tuple[Decimal, str]]:
        result = {}
        for item in self.goae:
            text = str(self.cleaned_data.get(f"multiplier-{item.code}") or "").replace(",", ".")
            try:
                value = Decimal(text)
            except InvalidOperation:
                self.add_error(f"multiplier-{item.code}", _("Enter a multiplier such as 2.3."))
                continue
            result[item.code] = (value, self.cleaned_data.get(f"reason-{item.code}") or "")
        return result

    def fixed(self) -> dict[str, tuple[Money, str]]:
        return {
            item.code: (
                self.cleaned_data[f"price-{item.code}"],
                self.cleaned_data.get(f"reason-{item.code}") or "",
            )
            for item in self.ranged
            if self.cleaned_data.get(f"price-{item.code}") is not None
        }


def _label(item: PriceItem) -> str:
    label = item.label or {}
    return str(label.get(_lang()) or label.get("en") or item.code)


class AcceptForm(SignatureFields):
    """The patient signed the estimate: who, when, how; the clerk e-signs the entry."""

    signed_by = PrintedNameField(label=_("Signed by"), max_length=200)
    signed_on = ClinicDateField(label=_("Date signed"))
    acceptance = forms.ChoiceField(
        label=_("How it was signed"),
        choices=[c for c in choices.ACCEPTANCE if c[0] != "online"],  # the patient's own page
    )
    agreement_signed = forms.BooleanField(
        label=_(
            "The § 2 / IGeL agreement and the § 630c(3) BGB cost information are signed as well"
        ),
        required=False,
    )
    scan = forms.FileField(
        label=_("Scan of the signed estimate (PDF, JPEG or PNG)"),
        required=False,
        help_text=_("Needed when the patient signed on paper."),
    )
    field_order = ["signed_by", "signed_on", "acceptance", "scan", "agreement_signed"]

    def __init__(self, *args: Any, site: Site, country: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signed_on"] = ClinicDateField(
            label=_("Date signed"), calendar=Calendar(site.calendar)
        )
        if country != "DE":
            del self.fields["agreement_signed"]
        self.order_fields(self.field_order)

    def clean_scan(self) -> Scan | None:
        upload = self.cleaned_data.get("scan")
        if not upload:
            return None
        if upload.size > scans.MAX_BYTES:
            raise forms.ValidationError(_("The scan is larger than 10 MB."))
        try:
            return scans.scan(upload.read())
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc)) from exc


class InvoiceForm(forms.Form):
    series = forms.ChoiceField(
        label=_("Document"), choices=[c for c in choices.SERIES if c[0] in {"invoice", "deposit"}]
    )
    recipient_tax_id = FreeTextField(
        label=_("Patient's tax number (NIF, TRN)"), required=False, max_length=32
    )
    patient_is_recipient = forms.BooleanField(
        label=_("The patient receives and pays for the treatment"), required=False, initial=True
    )


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount"))
    method = forms.ChoiceField(
        label=_("Method"), choices=[c for c in choices.PAYMENT_METHODS if c[0] != "refund"]
    )
    received_on = ClinicDateField(label=_("Received on"))
    reference = FreeTextField(label=_("Reference"), required=False, max_length=100)

    def __init__(self, *args: Any, site: Site, billing: BillingProfile | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        currency, tomans = _unit(site, billing)
        self.fields["amount"] = MoneyField(label=_("Amount"), currency=currency, tomans=tomans)
        self.fields["received_on"] = ClinicDateField(
            label=_("Received on"), calendar=Calendar(site.calendar)
        )
        self.order_fields(["amount", "method", "received_on", "reference"])


class RefundForm(forms.Form):
    delivered = forms.CharField(label=_("Value of the treatment already given"))
    making_units = forms.CharField(label=_("Value of units already made"), required=False)
    method = forms.ChoiceField(
        label=_("Paid back by"), choices=[c for c in choices.PAYMENT_METHODS if c[0] != "refund"]
    )
    reason = FreeTextField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, site: Site, billing: BillingProfile | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        currency, tomans = _unit(site, billing)
        self.fields["delivered"] = MoneyField(
            label=_("Value of the treatment already given"), currency=currency, tomans=tomans
        )
        self.fields["making_units"] = MoneyField(
            label=_("Value of units already made"),
            required=False,
            currency=currency,
            tomans=tomans,
        )
        self.order_fields(["delivered", "making_units", "method", "reason"])


class CreditNoteForm(forms.Form):
    reason = FreeTextField(
        label=_("Why the invoice is corrected"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CoverageForm(forms.Form):
    insurer = FreeTextField(label=_("Insurer"), max_length=200)
    policy_number = FreeTextField(label=_("Policy number"), max_length=64)
    channel = forms.ChoiceField(label=_("How it pays"), choices=choices.CLAIM_CHANNELS)
    share_rule = FreeTextField(
        label=_("Share rule, as the policy writes it"), required=False, max_length=200
    )
    pre_authorisation = FreeTextField(label=_("Pre-authorisation"), required=False, max_length=64)
    course_cap = forms.CharField(label=_("Cap per course"), required=False)
    year_cap = forms.CharField(label=_("Cap per year"), required=False)

    def __init__(self, *args: Any, site: Site, billing: BillingProfile | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        currency, tomans = _unit(site, billing)
        for name, label in (("course_cap", _("Cap per course")), ("year_cap", _("Cap per year"))):
            self.fields[name] = MoneyField(
                label=label, required=False, currency=currency, tomans=tomans
            )


class ClaimStepForm(forms.Form):
    """One step of a claim: submit, the insurer's decision, its payment, or a resubmission."""

    step = forms.ChoiceField(
        choices=[
            ("submit", "submit"),
            ("decide", "decide"),
            ("paid", "paid"),
            ("resubmit", "resubmit"),
        ],
        widget=forms.HiddenInput,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    reference = FreeTextField(label=_("Insurer's reference"), required=False, max_length=64)
    approved = forms.CharField(label=_("Amount approved"), required=False)
    reason = FreeTextField(label=_("Insurer's reason"), required=False, max_length=500)
    amount = forms.CharField(label=_("Amount paid by the insurer"), required=False)
    received_on = ClinicDateField(label=_("Paid on"), required=False)

    def __init__(self, *args: Any, site: Site, billing: BillingProfile | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        currency, tomans = _unit(site, billing)
        self.fields["approved"] = MoneyField(
            label=_("Amount approved"), required=False, currency=currency, tomans=tomans
        )
        self.fields["amount"] = MoneyField(
            label=_("Amount paid by the insurer"), required=False, currency=currency, tomans=tomans
        )
        self.fields["received_on"] = ClinicDateField(
            label=_("Paid on"), required=False, calendar=Calendar(site.calendar)
        )


class ProfileForm(forms.Form):
    """How the clinic bills, set by its manager; each ❓ fact is confirmed here, with its note."""

    country = forms.ChoiceField(label=_("Country"), choices=choices.COUNTRIES)
    legal_name = FreeTextField(label=_("Legal name on invoices"), max_length=200)
    tax_id = FreeTextField(label=_("Tax number"), max_length=32)
    address = FreeTextField(
        label=_("Address on invoices"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    invoice_prefix = FreeTextField(label=_("Invoice number prefix"), required=False, max_length=12)
    show_tomans = forms.BooleanField(label=_("Show prices in tomans (Iran)"), required=False)
    deposit_gate = forms.BooleanField(
        label=_("No collection until the deposit is paid (a physician may except it)"),
        required=False,
    )
    verifactu = forms.BooleanField(label=_("Keep VERI*FACTU records (Spain)"), required=False)
    tax_percent = forms.DecimalField(
        label=_("VAT rate (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        help_text=_("Blank where the treatment is exempt."),
    )
    tax_basis = FreeTextField(
        label=_("Tax note printed on invoices"), required=False, max_length=200
    )
    zero_rate_basis = FreeTextField(
        label=_("Zero-rate note (where healthcare to the patient is zero-rated)"),
        required=False,
        max_length=200,
    )
    payment_days = forms.IntegerField(label=_("Days to pay an invoice"), min_value=0, max_value=365)
    estimate_days = forms.IntegerField(
        label=_("Days an estimate is valid"), min_value=1, max_value=365
    )
    reminder_days = forms.IntegerField(
        label=_("Reminder days before an instalment is due"), min_value=0, max_value=60
    )
    refund_keep_percent = forms.DecimalField(
        label=_("Cancellation fee (per cent of what is refunded)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
    )
    refund_units_made = forms.BooleanField(label=_("Refund units already made"), required=False)
    confirmed = forms.MultipleChoiceField(
        label=_("Confirmed by the clinic's tax adviser"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, country: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirmed"].choices = [
            (key, note) for key, note in choices.OPEN_FACTS.get(country, [])
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("verifactu") and data.get("country") != "ES":
            self.add_error("verifactu", _("VERI*FACTU records are for Spanish clinics."))
        return data


class PriceRevisionForm(forms.Form):
    """A new version of a price list: each item's price (or range, or GOÄ points), in force
    from a day; the earlier version and its estimates stay as they were."""

    effective_from = ClinicDateField(label=_("In force from"))

    def __init__(
        self,
        *args: Any,
        site: Site,
        billing: BillingProfile | None,
        items: list[PriceItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        currency, tomans = _unit(site, billing)
        self.items = items
        self.fields["effective_from"] = ClinicDateField(
            label=_("In force from"), calendar=Calendar(site.calendar)
        )
        for item in items:
            name = _label(item)
            if item.points is not None:
                self.fields[f"points-{item.code}"] = forms.IntegerField(
                    label=_("GOÄ %(number)s: points") % {"number": item.code},
                    min_value=1,
                    initial=item.points,
                )
                continue
            self.fields[f"low-{item.code}"] = MoneyField(
                label=_("%(item)s: price (lowest)") % {"item": name},
                currency=currency,
                tomans=tomans,
                initial=Money.from_minor(item.low_minor, currency),
            )
            self.fields[f"high-{item.code}"] = MoneyField(
                label=_("%(item)s: highest price (a range; blank for one price)") % {"item": name},
                currency=currency,
                tomans=tomans,
                required=False,
                initial=Money.from_minor(item.high_minor, currency)
                if item.high_minor != item.low_minor
                else None,
            )

    def lines(self, currency: str) -> list[dict[str, Any]]:
        rows = []
        zero = Money.of(0, currency)
        for item in self.items:
            row: dict[str, Any] = {
                "code": item.code,
                "label": item.label,
                "per": item.per,
                "frame": item.frame,
                "analog_of": item.analog_of,
            }
            if item.points is not None:
                row |= {"points": self.cleaned_data[f"points-{item.code}"], "low": zero}
            else:
                low = self.cleaned_data[f"low-{item.code}"]
                row |= {"low": low, "high": self.cleaned_data.get(f"high-{item.code}") or low}
            rows.append(row)
        return rows


class SendEstimateForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send the link by"),
        choices=[("sms", _("SMS")), ("email", _("e-mail"))],
    )


class OnlineAcceptForm(forms.Form):
    """The patient's acceptance on their own page: their full name, typed, and a tick."""

    name = PrintedNameField(label=_("Your full name"), max_length=200)
    agree = forms.BooleanField(
        label=_("I accept this estimate and its payment plan."), required=True
    )
