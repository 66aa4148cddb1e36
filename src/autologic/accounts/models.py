"""Sites (clinics) and staff users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.accounts.roles import Role
from autologic.common.domain.calendars import Calendar
from autologic.common.domain.identifiers import internal_facility

ROLE_CHOICES = [
    (Role.PHYSICIAN.value, _("Physician")),
    (Role.NURSE.value, _("Nurse")),
    (Role.LAB_TECHNICIAN.value, _("Lab technician")),
    (Role.COORDINATOR.value, _("Coordinator")),
    (Role.BILLING.value, _("Billing")),
    (Role.MANAGER.value, _("Clinic manager")),
    (Role.ADMINISTRATOR.value, _("Administrator")),
    (Role.RESEARCHER.value, _("Researcher")),
]
CALENDAR_CHOICES = [
    (Calendar.GREGORIAN.value, _("Gregorian")),
    (Calendar.JALALI.value, _("Jalali")),
]


class Site(models.Model):
    """A clinic: every clinical row belongs to one."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    calendar = models.CharField(
        _("calendar"),
        max_length=16,
        choices=CALENDAR_CHOICES,
        default=Calendar.GREGORIAN.value,
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code."))],
    )
    languages = models.JSONField(_("languages"), default=list)
    default_language = models.CharField(_("default language"), max_length=8, default="en")
    mrn_prefix = models.CharField(_("MRN prefix"), max_length=6, default="P")
    mrn_sequence = models.PositiveIntegerField(default=0, editable=False)
    # ICCBBA Facility Identification Number; empty when the clinic has no ISBT 128 licence.
    iccbba_fin = models.CharField(_("ICCBBA facility number"), max_length=5, blank=True)
    # The URI the clinic's own record system names its MRNs by (an OID or URL it was assigned);
    # empty: the platform's per-clinic system.  Used as the MRN's system in FHIR.
    mrn_system = models.CharField(_("MRN identifier system"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["iccbba_fin"],
                condition=~models.Q(iccbba_fin=""),
                name="site_fin_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def facility_code(self) -> str:
        """The facility part of every identifier: the FIN, or the site's internal code."""
        return self.iccbba_fin or internal_facility(self.pk)


class User(AbstractUser):
    """A staff member, with one role at one site."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, related_name="staff", verbose_name=_("site")
    )
    role = models.CharField(_("role"), max_length=32, choices=ROLE_CHOICES)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    @property
    def printed_name(self) -> str:
        """The name shown on signatures and audit entries."""
        return self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        """The role's display name."""
        return str(dict(self._meta.get_field("role").flatchoices).get(self.role, self.role))


class ThrottledBurst(models.Model):
    """Sign-in attempts refused without being checked (a throttled code, a locked account),
    counted until one audit event records the whole burst with its count."""

    step = models.CharField(max_length=8)  # "login" or "otp", as in the audit action's name
    username = models.CharField(max_length=150)  # as typed: locked names need not exist
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "username"], name="one_burst_per_step_and_name")
        ]
        indexes = [models.Index(fields=["last_at"], name="burst_last_at")]

    def __str__(self) -> str:
        return f"{self.step} {self.username}: {self.count}"
