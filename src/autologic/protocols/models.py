"""Loaded protocol versions.  A row never changes meaning once a course may point at it."""

from __future__ import annotations

from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.protocols.domain.parse import parse_protocol
from autologic.protocols.domain.schema import Protocol

# Parsed protocols by (row, fingerprint); Protocol is frozen, so every reader may share one.
_PARSED: dict[tuple[int | None, str], Protocol] = {}

STATUS_CHOICES = [("active", _("Active")), ("draft", _("Draft")), ("retired", _("Retired"))]
THERAPY_CHOICES = [
    ("acs", _("Autologous conditioned serum")),
    ("bm_msc", _("Cultured bone-marrow MSC")),
    ("cells_hip", _("Marrow- or fat-derived cells")),
]


class ProtocolVersion(models.Model):
    """One version of a therapy protocol as loaded from its file, with its fingerprint."""

    code = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    therapy = models.CharField(max_length=16, choices=THERAPY_CHOICES)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES)
    content = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    source = models.CharField(max_length=255)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="protocol_code_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @cached_property
    def protocol(self) -> Protocol:
        """The validated protocol this row stores, parsed once per process: a version's content
        never changes (its fingerprint says so), and a list of courses asks for it per course."""
        key = (self.pk, self.fingerprint)
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = parse_protocol(self.content, str(self))
            if self.pk is not None:
                _PARSED[key] = parsed
        return parsed
