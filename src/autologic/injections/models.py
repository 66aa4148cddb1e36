"""Reservations of aliquots for sessions, and administration records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.care.choices import GUIDANCE
from autologic.clinical.choices import REGIONS, SIDES
from autologic.injections import choices

USER = settings.AUTH_USER_MODEL


class Reservation(models.Model):
    """A unit set aside for one region of one session; it ends when given or re-planned."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("lab.Unit", on_delete=models.PROTECT, related_name="reservations")
    appointment = models.ForeignKey(
        "care.Appointment", on_delete=models.PROTECT, related_name="reservations"
    )
    region = models.ForeignKey(
        "clinical.AffectedRegion", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reserved_at = models.DateTimeField()
    # None: the system (reserving again after units expired in the worker's round).
    reserved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_why = models.CharField(max_length=16, blank=True, choices=choices.RESERVATION_ENDS)

    class Meta:
        ordering = ["appointment_id", "region_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=models.Q(ended_at__isnull=True), name="reservation_unit"
            ),
            models.UniqueConstraint(
                fields=["appointment", "region"],
                condition=models.Q(ended_at__isnull=True),
                name="reservation_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} -> {self.appointment_id}/{self.region_id}"


class Administration(models.Model):
    """The record of one unit given: where, how, by whom, checked by whom, and what followed.

    A unit is given once (one-to-one), and the database refuses a record whose patient is not
    the unit's source patient.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    unit = models.OneToOneField("lab.Unit", on_delete=models.PROTECT, related_name="administration")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "care.Appointment", on_delete=models.PROTECT, related_name="administrations"
    )
    planned_region = models.ForeignKey(
        "clinical.AffectedRegion", on_delete=models.PROTECT, related_name="+"
    )
    region = models.CharField(_("region"), max_length=16, choices=REGIONS)
    side = models.CharField(_("side"), max_length=8, choices=SIDES, blank=True)
    level = models.CharField(_("spinal level"), max_length=12, blank=True)
    route = models.CharField(_("route"), max_length=24, choices=choices.ROUTES, blank=True)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    # Given outside the protocol's window for the session (too early or too late): why.
    timing_reason = models.TextField(_("reason for the timing"), blank=True)
    guidance = models.CharField(_("guidance"), max_length=16, choices=GUIDANCE)
    approach = models.CharField(
        _("approach"), max_length=16, choices=choices.APPROACHES, blank=True
    )
    # Blank on records made before the procedure record (2026-12); "none": none was given.
    anaesthetic = models.CharField(
        _("local anaesthetic"), max_length=16, choices=choices.ANAESTHETICS, blank=True
    )
    anaesthetic_dose_mg = models.DecimalField(
        _("local anaesthetic dose (mg)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    volume_ml = models.DecimalField(
        _("volume given (mL)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    operator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    second_verifier = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # operator, verifier: {signer, meaning, record_hash} each (rows before 2026-12: Signature ids)
    signatures = models.JSONField(default=list)
    reactions = models.JSONField(_("immediate reactions"), default=list)
    reaction_notes = models.TextField(_("notes on reactions"), blank=True)
    wristband_scan = models.CharField(max_length=40)
    unit_scan = models.CharField(max_length=40)
    given_at = models.DateTimeField(_("given at"))
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["given_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(operator=models.F("second_verifier")),
                name="administration_two_people",
            ),
            # One injection per planned site per session, whatever a re-plan reserved.
            models.UniqueConstraint(
                fields=["appointment", "planned_region"], name="administration_once_per_site"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.region} {self.side}"
