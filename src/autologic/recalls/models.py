"""Recalls and look-backs: what was reached, what was held, who was told, and every step."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.recalls import choices

USER = settings.AUTH_USER_MODEL


class Recall(models.Model):
    """A recall and look-back started from a suspect unit, lot, donation, reagent or kit lot,
    freezer excursion or adverse event."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(_("starts from"), max_length=16, choices=choices.ORIGINS)
    unit = models.ForeignKey(
        "lab.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    collection = models.ForeignKey(
        "lab.Collection", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reagent_lot = models.ForeignKey(
        "lab.ReagentLot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    excursion = models.ForeignKey(
        "lab.Excursion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adverse_event = models.ForeignKey(
        "adverse_events.AdverseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result = models.ForeignKey(
        "lab.QCResult", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=16, choices=choices.TRIGGERS, default="manual")
    # The holds this recall placed (one per lot, or one for a list of units).
    holds = models.ManyToManyField("lab.Hold", blank=True, related_name="+")
    reason = models.TextField(_("reason"))
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["site", "closed_at"], name="recall_site_open")]

    def __str__(self) -> str:
        return f"recall {self.pk} ({self.origin})"

    @property
    def is_open(self) -> bool:
        """Whether the look-back is still going on."""
        return self.closed_at is None


class RecallUnit(models.Model):
    """One unit the recall reached, what it was then, and the administration if it was given."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="units")
    unit = models.ForeignKey("lab.Unit", on_delete=models.PROTECT, related_name="+")
    finding = models.CharField(max_length=12, choices=choices.FINDINGS)
    state_then = models.CharField(max_length=16)
    administration = models.ForeignKey(
        "injections.Administration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["recall_id", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["recall", "unit"], name="recall_unit_once")]

    def __str__(self) -> str:
        return f"{self.unit_id} in recall {self.recall_id} ({self.finding})"


class RecallNotice(models.Model):
    """One person the recall informs (a patient or a staff member), why, and the message queued
    in the outbox (none when there is no address: a person must reach them)."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="notices")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reasons = models.JSONField(default=list)
    channel = models.CharField(max_length=8, blank=True)
    to = models.CharField(max_length=254, blank=True)
    message_id = models.PositiveBigIntegerField(null=True, blank=True)  # outbox.Message id
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["recall_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(patient__isnull=False, user__isnull=True)
                | models.Q(patient__isnull=True, user__isnull=False),
                name="recall_notice_one_person",
            )
        ]

    def __str__(self) -> str:
        return f"notice {self.pk} of recall {self.recall_id}"


class RecallStep(models.Model):
    """One recorded step of a recall, citing its audit event (insert-only)."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="steps")
    at = models.DateTimeField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(max_length=12, choices=choices.STEPS)
    detail = models.JSONField(default=dict, blank=True)
    audit_seq = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of recall {self.recall_id}"
