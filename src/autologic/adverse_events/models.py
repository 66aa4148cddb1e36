"""Adverse events after autologous injections or harvests, their follow-ups and who was told."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.adverse_events import choices
from autologic.adverse_events.domain import ctcae
from autologic.adverse_events.domain.rules import is_open

USER = settings.AUTH_USER_MODEL


class AdverseEvent(models.Model):
    """One adverse event of a patient, graded by CTCAE, judged for seriousness and causality.

    ``version`` grows with every follow-up, so two people updating the same event cannot both
    succeed.  The follow-ups themselves are ``AdverseEventUpdate`` rows.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    administration = models.ForeignKey(
        "injections.Administration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("injection"),
    )
    unit = models.ForeignKey(
        "lab.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    ctcae_version = models.CharField(max_length=8, default=ctcae.VERSION)
    term = models.CharField(_("CTCAE term"), max_length=40, choices=choices.TERMS)
    term_other = models.CharField(_("other event, specified"), max_length=200, blank=True)
    soc = models.CharField(_("system organ class"), max_length=20, choices=choices.SOCS)
    meddra_code = models.PositiveIntegerField()
    grade = models.PositiveSmallIntegerField(_("grade"), choices=choices.GRADES)
    serious = models.BooleanField(_("serious"), default=False)
    criteria = models.JSONField(_("seriousness criteria"), default=list, blank=True)
    related_product = models.CharField(
        _("related to the product"), max_length=16, choices=choices.RELATEDNESS
    )
    related_procedure = models.CharField(
        _("related to the procedure"), max_length=16, choices=choices.RELATEDNESS
    )
    onset_at = models.DateTimeField(_("onset"))
    outcome = models.CharField(_("outcome"), max_length=24, choices=choices.OUTCOMES)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolved_time = models.TimeField(_("resolved at (time)"), null=True, blank=True)
    description = models.TextField(_("description"))
    action_taken = models.TextField(_("action taken"))
    reporter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-onset_at", "-id"]
        indexes = [
            models.Index(fields=["site", "onset_at"], name="ae_site_onset"),
            models.Index(fields=["patient", "onset_at"], name="ae_patient_onset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=5), name="ae_grade_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term_name} (grade {self.grade})"

    @property
    def term_name(self) -> str:
        """The CTCAE term as reported, with the specified text of an "Other, specify" term."""
        if self.term == ctcae.OTHER:
            return ctcae.other_term(self.soc, self.term_other).name
        return ctcae.BY_CODE[self.term].name

    @property
    def soc_name(self) -> str:
        """The MedDRA system organ class, in full."""
        return ctcae.SOCS.get(self.soc, self.soc)

    @property
    def is_open(self) -> bool:
        """Whether the event still needs follow-up."""
        return is_open(self.outcome)


class AdverseEventUpdate(models.Model):
    """One follow-up of an event: what changed (before and after), by whom, when, and why."""

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="updates")
    version = models.PositiveIntegerField()  # the event's version this follow-up produced
    at = models.DateTimeField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changes = models.JSONField(default=dict)  # {field: [before, after]}
    note = models.TextField(_("follow-up note"), blank=True)
    audit_seq = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["event_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["event", "version"], name="ae_update_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} v{self.version}"


class Notification(models.Model):
    """Who was told of a serious event, why and how; the in-app alert until acknowledged."""

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="notifications")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=choices.REASONS)
    email = models.CharField(max_length=254, blank=True)  # the address written to; "" = none
    message_id = models.PositiveBigIntegerField(null=True, blank=True)  # outbox.Message id
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["user", "acknowledged_at"], name="ae_alert_user_open"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="ae_notify_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.user_id}"
