"""Patients and their consents."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

SEX_CHOICES = [
    ("female", _("Female")),
    ("male", _("Male")),
    ("other", _("Other")),
    ("unknown", _("Unknown")),
]
CONSENT_KINDS = [
    ("treatment", _("Treatment")),
    ("data_processing", _("Data processing (GDPR)")),
    ("research", _("Research use of data")),
    ("registry", _("Outcome registry for research")),
    ("contact", _("Reminders by e-mail or SMS")),
]
SIGNER_RELATIONS = [("self", _("Patient")), ("representative", _("Legal representative"))]


class Patient(models.Model):
    """A person treated at a site. The MRN is unique within the site."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(_("MRN"), max_length=20, db_index=True)
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    # Folding can lengthen a name (ß -> ss, ligatures), so the key has no length limit.
    name_key = models.TextField(db_index=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=8, choices=SEX_CHOICES)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "mrn"], name="patient_mrn_unique_per_site")
        ]
        indexes = [
            models.Index(fields=["site", "date_of_birth"], name="patient_site_dob_idx"),
            # The home page's newest patients.
            models.Index(fields=["site", "created_at"], name="patient_site_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"


class Consent(models.Model):
    """A paper consent signed by the patient or a representative, recorded and e-signed by staff."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(_("consent type"), max_length=32, choices=CONSENT_KINDS)
    form_version = models.CharField(_("form version"), max_length=32)
    given_on = models.DateField(_("date signed"))
    signed_by = models.CharField(_("signed by"), max_length=200)
    signer_relation = models.CharField(
        _("signer is"), max_length=16, choices=SIGNER_RELATIONS, default="self"
    )
    # The protocol code of the procedure a treatment consent covers (e.g. cells-hip); blank for
    # consents that cover no procedure (data processing, research, contact).
    procedure = models.CharField(_("procedure"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-given_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.form_version} ({self.given_on})"

    @property
    def withdrawn(self) -> ConsentWithdrawal | None:
        """The patient's withdrawal of this consent, if recorded."""
        try:
            return self.withdrawal  # type: ignore[no-any-return]
        except ObjectDoesNotExist:
            return None


class ConsentWithdrawal(models.Model):
    """The patient withdrew a consent: from that day it no longer covers anything new (a
    registry consent: every later research export leaves the patient out).  Recorded and
    e-signed by staff; the consent itself stays as it was signed."""

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_on = models.DateField(_("withdrawn on"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"withdrawal of consent {self.consent_id} ({self.withdrawn_on})"


class Wristband(models.Model):
    """A patient's wristband code: never reused, voided when the patient is renumbered."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="wristbands")
    code = models.CharField(max_length=11, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(voided_at__isnull=True),
                name="wristband_one_current_per_patient",
            )
        ]

    def __str__(self) -> str:
        return self.code
