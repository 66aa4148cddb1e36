"""Append-only audit events and electronic signatures (the database refuses UPDATE and DELETE)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.audit.domain import SignatureMeaning

MEANING_CHOICES = [
    (SignatureMeaning.AUTHORED.value, _("Authored")),
    (SignatureMeaning.REVIEWED.value, _("Reviewed")),
    (SignatureMeaning.APPROVED.value, _("Approved")),
    (SignatureMeaning.RELEASED.value, _("Released")),
    (SignatureMeaning.ADMINISTERED.value, _("Administered")),
    (SignatureMeaning.VERIFIED.value, _("Verified at the bedside")),
]


class AuditEvent(models.Model):
    """One link of the hash chain: who did what to which record, when, with before/after values."""

    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=320)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "audit_event"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            models.Index(fields=["site", "occurred_at"], name="audit_site_time_idx"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class Signature(models.Model):
    """An electronic signature: signer, printed name, UTC time and meaning, bound to a record."""

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=320)
    meaning = models.CharField(max_length=16, choices=MEANING_CHOICES)
    signed_at = models.DateTimeField()
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, null=True, related_name="+")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    # SHA-256 of what was signed, so the signature cannot be moved to another record (11.70).
    record_hash = models.CharField(max_length=64)
    second_factor = models.BooleanField(default=False)
    audit_seq = models.BigIntegerField()

    class Meta:
        db_table = "audit_signature"
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_object_idx")]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.meaning}) {self.signed_at:%Y-%m-%d %H:%M} UTC"
