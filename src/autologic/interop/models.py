"""Machine clients of the FHIR API and the short-lived bearer tokens they hold."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

PURPOSE_CHOICES = [
    ("care", _("care: the clinic's patients")),
    ("registry", _("registry: only patients with a standing registry consent")),
]


class FhirClient(models.Model):
    """A system allowed to call /fhir for one clinic, with the scopes it was registered for."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    scopes = models.TextField(_("scopes"))  # space-separated SMART system scopes
    purpose = models.CharField(_("purpose"), max_length=16, choices=PURPOSE_CHOICES)
    # The public keys (a JWKS) that sign its SMART Backend Services assertions; empty for a
    # client that only uses tokens printed by `autologic fhir-clients token`.
    jwks = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessToken(models.Model):
    """A bearer token, stored only as its SHA-256 (ADR 0005), valid until ``expires_at``."""

    client = models.ForeignKey(FhirClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.TextField()
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class UsedAssertion(models.Model):
    """A client assertion's ``jti``, kept until the assertion expires so it is used once."""

    client = models.ForeignKey(FhirClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="fhir_assertion_once")
        ]

    def __str__(self) -> str:
        return self.jti


EXPORT_STATES = [
    ("queued", _("queued")),
    ("running", _("running")),
    ("complete", _("complete")),
    ("failed", _("failed")),
    ("cancelled", _("cancelled")),
    ("expired", _("expired")),
]


class ExportJob(models.Model):
    """A Bulk Data ``$export`` asked for by a client: kicked off, run once on the task queue
    from one consistent snapshot, then polled and downloaded.  Its files are listed only once
    it is complete, so a manifest never names a file a killed worker left half-written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(FhirClient, on_delete=models.CASCADE, related_name="exports")
    level = models.CharField(max_length=16)  # system | patient | group
    types = models.JSONField(default=list)
    # Group level: the cohort's members when the export was asked for.
    group = models.CharField(max_length=64, blank=True)
    patients = models.JSONField(default=list, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    request = models.TextField()  # the kick-off URL, as the manifest repeats it
    status = models.CharField(max_length=16, choices=EXPORT_STATES, default="queued")
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"], name="fhir_export_status")]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"


class ExportFile(models.Model):
    """One finished NDJSON file of a complete export: its resources and its checksum."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=64)
    name = models.CharField(max_length=128)
    count = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["resource_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["job", "name"], name="fhir_export_file_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ExternalIdentifier(models.Model):
    """An identifier another system gave a record it sent us (kept so a repeat import of the
    same record matches instead of creating it twice)."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    resource_type = models.CharField(max_length=64)
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "resource_type", "system", "value"],
                name="fhir_external_identifier_unique",
            )
        ]
        indexes = [
            models.Index(fields=["site", "resource_type", "value"], name="fhir_external_value")
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"
