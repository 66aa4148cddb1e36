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
    DATE_EXAMPLE,
    DATE_RANGE,
    DATE_TIME_EXAMPLE,
    EVENT_TIME_RANGE,
    Calendar,
    DateRange,
    check_date_range,
    format_date,
    format_datetime,
    parse_date,
    parse_datetime,
)
from autologic.common.domain.errors import DomainError
from autologic.common.domain.phones import to_e164
from autologic.common.domain.text import check_free_text, check_printed_name
from autologic.common.messages import message_for


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
        self.widget.attrs.update(
            {"placeholder": DATE_EXAMPLE[Calendar(calendar)], "inputmode": "numeric"}
        )

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
            raise _dated(exc, self.label) from exc


def _dated(error: DomainError, label: Any) -> forms.ValidationError:
    """A refused date or time as a field error that names the field, when it has a label."""
    text = message_for(error)
    if label:
        text = _("%(label)s: %(reason)s") % {"label": label, "reason": text}
    return forms.ValidationError(text, code=error.code)


class LocalDateTimeField(forms.Field):
    """A date and time typed in the site's calendar and time zone ("1404/09/15 14:30" at a
    Jalali clinic, "2025-12-06 14:30" elsewhere; ISO 8601 with T is always read, and so are
    Persian digits), in the range of clinic event times; cleaned to UTC.

    A form that knows its site only when it is built calls ``localise`` with the site's zone
    and calendar."""

    widget = forms.TextInput

    def __init__(
        self,
        *args: Any,
        zone: str = "UTC",
        calendar: Calendar | str = Calendar.GREGORIAN,
        bounds: DateRange = EVENT_TIME_RANGE,
        **kwargs: Any,
    ) -> None:
        self.bounds = bounds
        super().__init__(*args, **kwargs)
        self.localise(zone, calendar)

    def localise(self, zone: str, calendar: Calendar | str) -> None:
        """Read and show times in this zone and calendar, with an example in that calendar."""
        self.zone = ZoneInfo(zone)
        self.calendar = Calendar(calendar)
        self.widget.attrs.update(
            {
                "placeholder": DATE_TIME_EXAMPLE[self.calendar],
                "dir": "ltr",
                "autocomplete": "off",
                "data-calendar": self.calendar.value,
            }
        )

    def prepare_value(self, value: Any) -> Any:
        """Show a stored UTC time as local wall-clock time in the site's calendar."""
        if isinstance(value, datetime):
            local = value.astimezone(self.zone) if value.tzinfo else value
            return format_datetime(local, self.calendar)
        return value

    def to_python(self, value: Any) -> datetime | None:
        """Read local wall-clock time in the site's calendar, check its range, return UTC."""
        if value in self.empty_values:
            return None
        try:
            if isinstance(value, datetime):
                moment = value
                # Checked before any conversion: a zone's offset could push year 1 or 9999 off
                # the calendar (OverflowError).
                check_date_range(
                    moment, self.bounds, self.calendar, _language(), code="time_out_of_range"
                )
            else:
                text = str(value).strip()[:40]
                moment = parse_datetime(text, self.calendar, self.bounds, _language())
        except DomainError as exc:
            raise _dated(exc, self.label) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)


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


class StaffChoiceField(forms.ModelChoiceField):
    """A choice of staff shown by printed name and role, never by login name."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.printed_name} ({obj.role_label})"


class LanguageSelect(forms.Select):
    """A choice of languages, each named in itself and marked so (``lang``) for screen readers."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if option["value"]:
            option["attrs"]["lang"] = option["value"]
        return option
