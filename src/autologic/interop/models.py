"""Machine clients of the FHIR API and the short-lived bearer tokens they hold."""

from __future__ import annotations

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
