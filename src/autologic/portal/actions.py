"""Portal state changes: issue, send and revoke links; mint their tokens; send due reminders;
record licences and clinic wordings. Each runs in one transaction with its audit event; messages
go through the outbox in that same transaction, so a reminder exists exactly when its link does.

A stored message never holds a token: it holds the link's place (``domain.LINK_PLACEHOLDER``)
and the outbox asks ``render_invitation`` for the text as it sends, which mints a fresh token
for the link then (ADR 0005).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from autologic.accounts.models import Site, User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.care.models import Appointment
from autologic.clinical.models import AffectedRegion
from autologic.common import clock
from autologic.common.domain.calendars import Calendar, format_date
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.domain.phones import region_for_zone, to_e164
from autologic.common.locks import for_update
from autologic.outbox.actions import queue_message
from autologic.outbox.channels import Refused
from autologic.outbox.models import Message
from autologic.outcomes import queries as outcomes
from autologic.outcomes.domain import registry
from autologic.portal import domain, texts
from autologic.portal.domain import Refusal
from autologic.portal.models import InstrumentText, LicenceClearance, Link, LinkToken, Reminder

# The ref of a message that carries a link: "portal-link:<link id>".
MESSAGE_REF = "portal-link"


def link_url(token: str) -> str:
    """The full address of a token, as the patient gets it."""
    return settings.AUTOLOGIC_PUBLIC_URL + reverse("portal:home", args=[token])


@dataclass(frozen=True)
class Issued:
    """A new link with its first token (shown once), the forms it opens and those held back."""

    link: Link
    token: str
    blocked: list[tuple[int, str, Refusal]]

    @property
    def url(self) -> str:
        """The full address to hand to the patient."""
        return link_url(self.token)


def publishable(
    appointment: Appointment,
    language: str,
    today: date,
    *,
    available: dict[str, set[str]] | None = None,
    licensed: set[str] | None = None,
) -> tuple[list[tuple[int, str]], list[tuple[int, str, Refusal]]]:
    """Split the questionnaires still owed into those the gate lets out and those it holds.

    ``available`` and ``licensed`` are the site's wordings and licences, when already loaded.
    """
    site = appointment.course.site
    available = texts.languages(site) if available is None else available
    licensed = texts.cleared(site, today) if licensed is None else licensed
    ok: list[tuple[int, str]] = []
    held: list[tuple[int, str, Refusal]] = []
    for region_id, instrument_id in outcomes.outstanding(appointment):
        refusal = domain.gate(
            registry.get(instrument_id),
            language,
            cleared=instrument_id in licensed,
            has_text=language in available.get(instrument_id, set()),
        )
        if refusal is None:
            ok.append((region_id, instrument_id))
        else:
            held.append((region_id, instrument_id, refusal))
    return ok, held


def issue_link(
    appointment: Appointment, *, language: str, by: User | None, now: datetime
) -> Issued:
    """A new link for the questionnaires owed at one follow-up, in one language, with a token to
    show once (hand-over as a QR code)."""
    with audited_transaction():
        link, held = _create_link(appointment, language=language, by=by, now=now)
        token = mint_token(link, by=by, message=None, now=now)
    return Issued(link, token, held)


def _create_link(
    appointment: Appointment, *, language: str, by: User | None, now: datetime
) -> tuple[Link, list[tuple[int, str, Refusal]]]:
    """The link row and its audit event, with no token yet; and what the gate held back."""
    if language not in domain.LANGUAGES:
        raise ValidationFailed(
            "bad_language", f"language must be one of {', '.join(domain.LANGUAGES)}.", "language"
        )
    if appointment.status in ("done", "cancelled", "missed"):
        raise ValidationFailed(
            "closed", "this follow-up is closed; nothing can be sent for it.", "appointment"
        )
    site = appointment.course.site
    today = clock.local_today(site.time_zone)
    forms, held = publishable(appointment, language, today)
    if not forms:
        reasons = "; ".join(r.message for _r, _i, r in held) or "nothing is owed"
        raise ValidationFailed(
            "nothing_to_send", f"no questionnaire can be sent: {reasons}.", "language"
        )
    with audited_transaction():
        link = Link.objects.create(
            site=site,
            patient=appointment.course.patient,
            appointment=appointment,
            language=language,
            forms=[list(f) for f in forms],
            created_by=by,
            created_at=now,
            expires_at=domain.expires_at(now, appointment.due_to, site.time_zone),
        )
        record_event(
            actor=by,
            site=site,
            action="portal.link_issued",
            object_type="patient",
            object_id=link.patient_id,
            changes={
                "link_id": link.pk,
                "appointment_id": appointment.pk,
                "language": language,
                "forms": link.forms,
                "held_back": [[r, i, refusal.code] for r, i, refusal in held],
                "expires_at": link.expires_at,
            },
            now=now,
        )
    return link, held


def mint_token(link: Link, *, by: User | None, message: Message | None, now: datetime) -> str:
    """A new token for a live link, returned once and kept only as its hash (audited); a
    withdrawn or expired link gets none."""
    token = domain.new_token()
    with audited_transaction():
        live = for_update(Link.objects).get(pk=link.pk)  # waits for a withdrawal under way
        if live.revoked_at is not None:
            raise ConflictError("link_withdrawn", "the link was withdrawn; nothing was sent.")
        if live.expires_at <= now:
            raise ConflictError("link_expired", "the link has expired; nothing was sent.")
        LinkToken.objects.create(
            link=live, token_hash=domain.token_hash(token), message=message, created_at=now
        )
        record_event(
            actor=by,
            site=link.site,
            action="portal.token_minted",
            object_type="patient",
            object_id=live.patient_id,
            changes={"link_id": live.pk, "message_id": message.pk if message else None},
            now=now,
        )
    return token


def render_invitation(message: Message, now: datetime) -> tuple[str, str]:
    """Subject and text of a stored invitation with a token minted now for its link: the outbox
    calls this as it sends, so the token goes out in the message and is stored nowhere."""
    link = Link.objects.select_related("site").filter(pk=int(message.ref.split(":")[1])).first()
    if link is None:
        raise Refused("the message's link no longer exists; nothing was sent.")
    try:
        token = mint_token(link, by=None, message=message, now=now)
    except ConflictError as closed:
        raise Refused(closed.message) from closed
    return message.subject, domain.fill_link(message.body, link_url(token))


def contact(patient: Any, channel: str) -> str:
    """The patient's address for a channel ('' when there is none); a mobile number in E.164,
    refused by name when it does not parse (numbers stored before they were checked)."""
    if channel == "email":
        return str(patient.email).strip()
    if not str(patient.phone).strip():
        return ""
    try:
        return to_e164(patient.phone, region_for_zone(patient.site.time_zone))
    except ValidationFailed as error:
        raise ValidationFailed(
            "invalid_phone",
            f"the patient's mobile number is not valid ({error.message}); correct it on the "
            "patient's page.",
            "channel",
        ) from error


def send_link(
    appointment: Appointment,
    *,
    channel: str,
    language: str,
    by: User | None,
    now: datetime,
    step: str = "",
) -> Link:
    """Issue a link and queue it to the patient by e-mail or SMS, in one transaction; its token
    is minted when the message is sent."""
    patient = appointment.course.patient
    if channel not in ("email", "sms"):
        raise ValidationFailed("bad_channel", "choose e-mail or SMS.", "channel")
    to = contact(patient, channel)
    if not to:
        what = _("e-mail address") if channel == "email" else _("mobile number")
        raise ValidationFailed("no_contact", f"the patient has no {what} on file.", "channel")
    with audited_transaction():
        link, _held = _create_link(appointment, language=language, by=by, now=now)
        subject, body = _invitation(appointment, link, language)
        message = queue_message(
            site=link.site,
            channel=channel,
            to=to,
            subject=subject,
            body=body,
            purpose="questionnaire",
            ref=f"{MESSAGE_REF}:{link.pk}",
            now=now,
        )
        if step:
            Reminder.objects.create(
                appointment=appointment,
                step=step,
                link=link,
                message=message,
                outcome="queued",
                at=now,
            )
    return link


def _invitation(appointment: Appointment, link: Link, language: str) -> tuple[str, str]:
    """Subject and text of the invitation, with the link's place held for the token; the
    patient's first name only, no clinical detail."""
    site = appointment.course.site

    def plain(text: str) -> str:  # a name can never smuggle in a second link
        return text.replace(domain.LINK_PLACEHOLDER, "")

    with translation.override(language):
        subject = _("Your questionnaire from %(clinic)s") % {"clinic": plain(site.name)}
        body = _(
            "Hello %(name)s,\n\nplease tell us how you are doing. The questionnaire takes about "
            "ten minutes and you can stop and continue later:\n\n%(url)s\n\nThe link is personal "
            "and works until %(until)s.\n\n%(clinic)s"
        ) % {
            "name": plain(appointment.course.patient.given_name),
            "url": domain.LINK_PLACEHOLDER,
            # The last day the link works, in the clinic's zone (it expires at the next midnight).
            "until": format_date(
                (link.expires_at - timedelta(seconds=1))
                .astimezone(ZoneInfo(site.time_zone))
                .date(),
                Calendar(site.calendar),
                language,
            ),
            "clinic": plain(site.name),
        }
    return subject, body


def revoke_link(link: Link, *, by: User, reason: str, now: datetime) -> Link:
    """Withdraw a link at once; it stops working on the next request."""
    if not reason.strip():
        raise ValidationFailed("reason_required", "say why the link is withdrawn.", "reason")
    with audited_transaction():
        changed = Link.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by, revoke_reason=reason.strip()[:200]
        )
        if not changed:
            raise ConflictError("already_revoked", "this link was already withdrawn.")
        record_event(
            actor=by,
            site=link.site,
            action="portal.link_revoked",
            object_type="patient",
            object_id=link.patient_id,
            changes={"link_id": link.pk, "reason": reason.strip()},
            now=now,
        )
    link.refresh_from_db()
    return link


def open_link(token: str, *, now: datetime) -> Link | None:
    """The live link behind a token, counted as used; None when unknown, expired or withdrawn."""
    found = (
        LinkToken.objects.select_related(
            "link__site", "link__patient", "link__appointment__course__protocol"
        )
        .filter(
            token_hash=domain.token_hash(token),
            link__revoked_at__isnull=True,
            link__expires_at__gt=now,
        )
        .first()
    )
    if found is None:
        return None
    link = found.link
    with audited_transaction():
        first = link.last_used_at is None
        Link.objects.filter(pk=link.pk).update(last_used_at=now, uses=link.uses + 1)
        if first:
            record_event(
                actor=None,
                site=link.site,
                action="portal.link_opened",
                object_type="patient",
                object_id=link.patient_id,
                changes={"link_id": link.pk},
                now=now,
            )
    return link


def send_due_reminders(site: Site, *, now: datetime) -> dict[str, int]:
    """Send each follow-up's reminder whose day has come, once per step (safe to run often)."""
    today = clock.local_today(site.time_zone)
    counts: dict[str, int] = {}
    rows = outcomes.follow_ups(site, today)
    for state_rows in rows.values():
        for row in state_rows:
            outcome = _remind(row.appointment, today, now)
            if outcome:
                counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _remind(appointment: Appointment, today: date, now: datetime) -> str:
    if appointment.kind != "prom" or not (appointment.due_from and appointment.due_to):
        return ""
    opens, closes = appointment.due_from, appointment.due_to
    due = appointment.due_on or opens
    step = domain.step_due(domain.reminder_steps(opens, due, closes), today, closes)
    if step is None or Reminder.objects.filter(appointment=appointment, step=step.name).exists():
        return ""
    patient = appointment.course.patient
    channel = "email" if patient.email else "sms" if patient.phone else ""
    language = patient.preferred_language or "en"
    try:
        if not channel:
            raise ValidationFailed("no_contact", "no e-mail or mobile number", "channel")
        send_link(appointment, channel=channel, language=language, by=None, now=now, step=step.name)
        return "queued"
    except IntegrityError:
        return ""  # another worker sent this step first
    except ValidationFailed as refused:
        unreachable = refused.code in ("no_contact", "invalid_phone")
        outcome = refused.code if unreachable else "nothing_publishable"
        try:
            with audited_transaction():
                Reminder.objects.create(
                    appointment=appointment, step=step.name, outcome=outcome, at=now
                )
        except IntegrityError:
            return ""
        return outcome


def record_clearance(
    site: Site,
    instrument_id: str,
    *,
    reference: str,
    valid_until: date | None,
    by: User,
    now: datetime,
) -> LicenceClearance:
    """Record that the clinic holds an instrument's licence (audited)."""
    instrument = registry.get(instrument_id)
    if not reference.strip():
        raise ValidationFailed("reference_required", "give the licence reference.", "reference")
    with audited_transaction():
        row = LicenceClearance.objects.create(
            site=site,
            instrument=instrument.id,
            reference=reference.strip(),
            valid_until=valid_until,
            recorded_by=by,
            recorded_at=now,
        )
        record_event(
            actor=by,
            site=site,
            action="portal.licence_recorded",
            object_type="instrument",
            object_id=instrument.id,
            changes={"reference": reference.strip(), "valid_until": valid_until},
            now=now,
        )
    return row


def supply_text(site: Site, data: Any, *, by: User | None, now: datetime) -> InstrumentText:
    """Store a clinic's wording after checking it item by item (replaces that language's)."""
    if not isinstance(data, dict) or "instrument" not in data:
        raise ValidationFailed("missing", "the file must name its instrument.", "instrument")
    instrument = registry.get(str(data["instrument"]))
    checked = domain.parse_texts(data, instrument)
    with audited_transaction():
        row, _created = InstrumentText.objects.update_or_create(
            site=site,
            instrument=instrument.id,
            language=checked.language,
            defaults={
                "version": instrument.version,
                "source": checked.source[:300],
                "content": data,
                "supplied_by": by,
                "supplied_at": now,
            },
        )
        record_event(
            actor=by,
            site=site,
            action="portal.text_supplied",
            object_type="instrument",
            object_id=instrument.id,
            changes={"language": checked.language, "source": checked.source},
            now=now,
        )
    return row


def region_label(region: AffectedRegion, language: str) -> str:
    """'left knee' in the patient's language (word order and case from the catalogue)."""
    with translation.override(language):
        name = str(region.get_region_display())
        if not region.side:
            label = name
        else:
            # Translators: a treated region with its side; German "Knie (links)", Persian
            # "زانو (چپ)". Keep both placeholders.
            label = _("%(side)s %(region)s") % {"side": region.get_side_display(), "region": name}
    return label.lower() if language in ("en", "es") else label
