"""The registry's stored configuration: each clinic's claim files, versioned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class ClaimSet(models.Model):
    """One version of a clinic's claim file, as loaded: its text, validated content and
    fingerprint.  A version's content never changes; a change is a new version."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("claim file"), max_length=63)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    content = models.JSONField()
    text = models.TextField()
    source = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    loaded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["site_id", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code", "version"], name="claim_set_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class ResearchStudy(models.Model):
    """A research use of the registry; its pseudonyms are its own."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("study code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["site_id", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="study_once")]

    def __str__(self) -> str:
        return self.code


class Pseudonym(models.Model):
    """A patient's code in one study: random, stored, never derived from the MRN or a name."""

    study = models.ForeignKey(ResearchStudy, on_delete=models.PROTECT, related_name="pseudonyms")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=16)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "patient"], name="pseudonym_once"),
            models.UniqueConstraint(fields=["study", "code"], name="pseudonym_code_once"),
        ]

    def __str__(self) -> str:
        return self.code


class SavedCohort(models.Model):
    """A cohort's filters under a name, versioned: saving changed filters under the same name
    makes a new version, and the old ones stay as they were."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("cohort name"), max_length=80)
    version = models.PositiveIntegerField()
    query = models.JSONField()  # the cohort form's fields, as the page sends them
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["site_id", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name", "version"], name="saved_cohort_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


EXPORT_STATES = [
    ("queued", _("Waiting")),
    ("running", _("Running")),
    ("done", _("Ready")),
    ("failed", _("Failed")),
]


class ExportJob(models.Model):
    """A research export made on the task queue: its progress while it runs, the file after."""

    study = models.ForeignKey(ResearchStudy, on_delete=models.PROTECT, related_name="exports")
    format = models.CharField(_("format"), max_length=8)
    status = models.CharField(max_length=8, choices=EXPORT_STATES, default="queued")
    progress = models.PositiveSmallIntegerField(default=0)  # per cent
    filename = models.CharField(max_length=120, blank=True)
    content = models.BinaryField(null=True, blank=True)
    patients = models.PositiveIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=64, blank=True)  # an error code, never data
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.study_id} ({self.status})"


class ClaimsCheck(models.Model):
    """The claims check of a clinic whose registry is too large to measure while the page
    loads: made on the task queue with its progress, kept with the day it was measured on."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=EXPORT_STATES, default="queued")
    progress = models.PositiveSmallIntegerField(default=0)  # per cent
    as_of = models.DateField()  # the clinic's day the registry was read on
    results = models.JSONField(default=list)  # [{claim_set, results: [result_data, ...]}]
    treated = models.PositiveIntegerField(null=True, blank=True)  # joints in the registry
    error = models.CharField(max_length=64, blank=True)  # an error code, never data
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One check queued or running per clinic: a second request joins the first.
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status__in=["queued", "running"]),
                name="claims_check_one_at_a_time",
            )
        ]

    def __str__(self) -> str:
        return f"claims check {self.pk} of {self.site_id} ({self.status})"
