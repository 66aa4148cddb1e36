"""Portal links and their tokens (stored as a hash), reminders sent, clinic-supplied wordings and
licences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class Link(models.Model):
    """One patient's tokenised link to the questionnaires of one follow-up timepoint."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "care.Appointment", on_delete=models.PROTECT, related_name="portal_links"
    )
    language = models.CharField(_("language"), max_length=8)
    forms = models.JSONField(default=list)  # [[region_id, instrument], ...] that passed the gate
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=200, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["appointment", "revoked_at"], name="portal_link_appt")]

    def __str__(self) -> str:
        return f"link {self.pk} for appointment {self.appointment_id}"


class LinkToken(models.Model):
    """One token that opens a link, kept only as its SHA-256: the one shown at hand-over, or one
    minted for each delivery of a message. Every token ends with its link (expiry, withdrawal)."""

    link = models.ForeignKey(Link, on_delete=models.PROTECT, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    message = models.ForeignKey(
        "outbox.Message", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token {self.pk} of link {self.link_id}"


class Reminder(models.Model):
    """One reminder step of one follow-up, sent once (the unique constraint keeps it once)."""

    appointment = models.ForeignKey(
        "care.Appointment", on_delete=models.PROTECT, related_name="reminders"
    )
    step = models.CharField(max_length=8)
    link = models.ForeignKey(Link, on_delete=models.PROTECT, null=True, related_name="+")
    message = models.ForeignKey(
        "outbox.Message", on_delete=models.PROTECT, null=True, related_name="+"
    )
    # queued, no_contact, invalid_phone, nothing_publishable
    outcome = models.CharField(max_length=24)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "step"], name="reminder_once_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.step} {self.outcome}"


class InstrumentText(models.Model):
    """A wording a clinic supplied: a licensed instrument or an official translation."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=16)
    version = models.CharField(max_length=16)
    language = models.CharField(max_length=8)
    source = models.CharField(max_length=300)
    content = models.JSONField()  # the checked YAML file, as data
    supplied_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    supplied_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "instrument", "language"], name="one_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.language}"


class LicenceClearance(models.Model):
    """A clinic's record that it holds the licence an instrument needs."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(_("instrument"), max_length=16)
    reference = models.CharField(_("licence reference"), max_length=200)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["instrument", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.instrument}: {self.reference}"
