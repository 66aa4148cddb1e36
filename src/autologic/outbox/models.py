"""Messages waiting to leave the clinic, written in the same transaction as what caused them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.outbox.domain import Channel, Status

CHANNELS = [(Channel.EMAIL.value, _("e-mail")), (Channel.SMS.value, _("SMS"))]
STATES = [
    (Status.PENDING.value, _("waiting")),
    (Status.SENDING.value, _("sending")),
    (Status.SENT.value, _("sent")),
    (Status.FAILED.value, _("needs attention")),
]
# What a message is for, as staff read it (the purpose codes the features queue them with).
PURPOSES = {
    "questionnaire": _("Questionnaire link"),
    "billing.estimate": _("Cost estimate"),
    "billing.reminder": _("Payment reminder"),
    "adverse_event.serious": _("Serious adverse event alert"),
}


class Message(models.Model):
    """One e-mail or SMS, with every delivery attempt's result on the row."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=CHANNELS)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=40)
    ref = models.CharField(max_length=80, blank=True)  # what caused it, e.g. "portal-link:12"
    status = models.CharField(_("status"), max_length=8, choices=STATES, default="pending")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} → {self.to} ({self.status})"

    @property
    def purpose_label(self) -> str:
        return str(PURPOSES.get(self.purpose, _("Other message")))
