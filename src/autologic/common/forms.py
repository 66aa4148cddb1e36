"""Form pieces shared by features: dates typed in the clinic's calendar, local date-times,
printed names, phone numbers, signature fields, and the readers of query-string values.

Every typed date and date-time is bounded here (``DATE_RANGE``, ``EVENT_TIME_RANGE``), so an
extreme value gets a message naming the range, never a 500; every name that is printed refuses
invisible characters (``common/domain/text.py``); every phone number is stored in E.164."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from autologic.common.domain.calendars import (
    DATE_RANGE,
    EVENT_TIME_RANGE,
    Calendar,
    DateRange,
    check_date_range,
    format_date,
    parse_date,
)
from autologic.common.domain.errors import DomainError
from autologic.common.domain.phones import to_e164
from autologic.common.domain.text import check_free_text, check_printed_name
from autologic.common.messages import message_for

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
LOCAL_INPUT_FORMATS = [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _language() -> str:
    return get_language() or "en"


class ClinicDateField(forms.Field):
    """A date typed in the site's calendar (Jalali sites type YYYY/MM/DD in Jalali), in range."""

    widget = forms.TextInput

    def __init__(
        self,
        *args: Any,
        calendar: Calendar = Calendar.GREGORIAN,
        bounds: DateRange = DATE_RANGE,
        **kwargs: Any,
    ):
        self.calendar = calendar
        self.bounds = bounds
        super().__init__(*args, **kwargs)
        placeholder = "1360/05/12" if calendar == Calendar.JALALI else "1981-08-03"
        self.widget.attrs.update({"placeholder": placeholder, "inputmode": "numeric"})

    def prepare_value(self, value: Any) -> Any:
        """Show a stored date in the site's calendar."""
        if isinstance(value, date):
            return format_date(value, self.calendar)
        return value

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        """Parse the typed text, with the parse error (or the range) as the field's message."""
        try:
            if isinstance(value, date):
                return check_date_range(value, self.bounds, self.calendar, _language())
            text = str(value or "").strip()[:40]
            if not text:
                return None
            return parse_date(text, self.calendar, self.bounds, _language())
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc), code=exc.code) from exc


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as the browser's datetime-local sends it, read in the site's zone, in the
    range of clinic event times; cleaned to UTC."""

    def __init__(
        self,
        *args: Any,
        zone: str = "UTC",
        bounds: DateRange = EVENT_TIME_RANGE,
        **kwargs: Any,
    ) -> None:
        self.zone = ZoneInfo(zone)
        self.bounds = bounds
        limits = {
            "type": "datetime-local",
            "min": f"{bounds.earliest.isoformat()}T00:00",
            "max": f"{bounds.latest.isoformat()}T23:59",
        }
        kwargs.setdefault("widget", forms.DateTimeInput(attrs=limits, format=LOCAL_FORMAT))
        super().__init__(*args, input_formats=LOCAL_INPUT_FORMATS, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        """Show a stored UTC time as local wall-clock time."""
        if isinstance(value, datetime):
            return value.astimezone(self.zone).strftime(LOCAL_FORMAT)
        return value

    def to_python(self, value: Any) -> datetime | None:
        """Read local wall-clock time, check its range, and return it in UTC."""
        if value in self.empty_values:
            return None
        moment = value if isinstance(value, datetime) else self._parse(str(value).strip())
        try:
            # Checked before any conversion: a zone's offset could push year 1 or 9999 off the
            # calendar (OverflowError).
            check_date_range(moment, self.bounds, language=_language(), code="time_out_of_range")
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc), code=exc.code) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)

    def _parse(self, text: str) -> datetime:
        for pattern in self.input_formats:
            try:
                return self.strptime(text[:40], pattern)
            except (ValueError, TypeError):
                continue
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


def int_or_none(value: object) -> int | None:
    """A whole number sent in a query string or a hidden field, or None for anything else.

    ``str.isdigit`` is not enough: it accepts "²", which ``int`` refuses. Decimal digits of any
    script (Persian included) are read; at most 18 of them, so the number fits a database id.
    """
    text = str(value or "").strip()
    return int(text) if text.isdecimal() and len(text) <= 18 else None


def date_from_query(
    params: Mapping[str, Any], name: str, calendar: Calendar
) -> tuple[date | None, str]:
    """A date in a page's query string, typed in the site's calendar: (the date or None, and
    the reason it was refused or "")."""
    field = ClinicDateField(required=False, calendar=calendar)
    try:
        return field.clean(params.get(name, "")), ""
    except forms.ValidationError as exc:
        return None, " ".join(exc.messages)


class PrintedNameField(forms.CharField):
    """A name printed on wristbands, labels or signatures: spaces collapsed, and refused when an
    invisible character (a bidi override, a zero-width space, a stray ZWNJ) could change how it
    reads."""

    def to_python(self, value: Any) -> str:
        """The typed name with runs of spaces collapsed to one."""
        return " ".join(str(super().to_python(value)).split())

    def validate(self, value: Any) -> None:
        """Required, then the printed-name rule, its message naming the field."""
        super().validate(value)
        try:
            check_printed_name(value)
        except DomainError as exc:
            raise _refused(exc, self.label) from exc


class FreeTextField(forms.CharField):
    """Free text of a record (notes, reasons, descriptions): refused when a bidi control could
    show it in another order than it was typed; Persian ZWNJ and line breaks stay."""

    def validate(self, value: Any) -> None:
        """Required, then the free-text rule, its message naming the field."""
        super().validate(value)
        try:
            check_free_text(value)
        except DomainError as exc:
            raise _refused(exc, self.label) from exc


def _refused(error: DomainError, label: Any) -> forms.ValidationError:
    """A text rule's refusal as a field error that names the field."""
    error.data = {**error.data, "label": str(label or "")}
    return forms.ValidationError(message_for(error), code=error.code)


class PhoneField(forms.CharField):
    """A phone number as people type it, cleaned to E.164; numbers typed without + are read in
    ``region`` (the clinic's country)."""

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        self.region = region
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "tel")

    def to_python(self, value: Any) -> str:
        """The number in E.164, or "" when none was typed."""
        text = str(super().to_python(value))
        if not text:
            return ""
        try:
            return to_e164(text, self.region)
        except DomainError as exc:
            raise forms.ValidationError(message_for(exc), code=exc.code) from exc


class SignatureFields(forms.Form):
    """The re-authentication part of an electronic signature (password and authenticator code)."""

    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minutes = settings.AUTOLOGIC_SIGNING_WINDOW_MINUTES
        if minutes:
            self.fields["otp_token"].help_text = ngettext_lazy(
                "Needed at your first signing in this session; for %(minutes)s minute after a "
                "signing with it, your password alone signs.",
                "Needed at your first signing in this session; for %(minutes)s minutes after a "
                "signing with it, your password alone signs.",
                "minutes",
            ) % {"minutes": minutes}


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Attach a refused action's message to the field it names, or to the whole form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, message_for(error))
