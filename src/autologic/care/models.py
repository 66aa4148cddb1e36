"""Treatment courses, their planned events, the clinic's resources and what is booked on them."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.care import choices

if TYPE_CHECKING:
    from autologic.protocols.domain.schema import Protocol, Text

USER = settings.AUTH_USER_MODEL

# A protocol as a variant changes it, made once per (parsed protocol, variant) and process.
_VARIANTS: dict[tuple[int, str], tuple[Protocol, Protocol]] = {}


def _variant(protocol: Protocol, key: str) -> Protocol:
    found = _VARIANTS.get((id(protocol), key))
    if found is not None and found[0] is protocol:
        return found[1]
    made = protocol.variant(key)
    _VARIANTS[(id(protocol), key)] = (protocol, made)
    return made


class Resource(models.Model):
    """A procedure room, clinician, incubator, centrifuge, freezer or culture bank of a site."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=choices.RESOURCE_KINDS)
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    capacity = models.PositiveIntegerField(_("capacity"), default=1)
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    # Weekly hours as {"mon-fri": "08:00-12:30, 13:30-17:00"}; empty: available day and night.
    hours = models.JSONField(_("working hours"), default=dict, blank=True)
    staff = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="resource_code_unique_per_site"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="resource_capacity"),
        ]

    def __str__(self) -> str:
        return self.name


class ClosedDay(models.Model):
    """A day the site is closed (public holiday, staff training)."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="closed_day_unique_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.reason}"


class Course(models.Model):
    """A patient's treatment course: regions, a protocol version fixed at the start, choices."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.ForeignKey(
        "clinical.EligibilityDecision", on_delete=models.PROTECT, related_name="courses"
    )
    # The protocol's variant the course follows (seed 004: harvest from fat instead of marrow,
    # or cells multiplied in culture); blank: the protocol itself.
    variant = models.SlugField(_("variant"), max_length=40, blank=True, default="")
    regions = models.ManyToManyField("clinical.AffectedRegion", related_name="+")
    injections = models.PositiveSmallIntegerField(_("injections"))
    guidance = models.CharField(_("guidance"), max_length=16, choices=choices.GUIDANCE)
    earliest_start = models.DateField(_("earliest start"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(max_length=16, choices=choices.COURSE_STATUSES, default="waiting")
    # Why the last scheduling or re-planning failed (an Explanation), shown until solved.
    problem = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Work lists read the few courses in a state (waiting, attention, scheduled) out of all
        # the completed ones.
        indexes = [models.Index(fields=["site", "status"], name="course_site_status_idx")]

    def __str__(self) -> str:
        return f"Course {self.pk} ({self.protocol_id})"

    @cached_property
    def plan(self) -> Protocol:
        """What this course follows: its protocol version as its variant changes it.

        Everything bound to a course (collection kind, processing steps, release specification,
        scheduling windows, consumables) reads this, never the version's base protocol."""
        return _variant(self.protocol.protocol, self.variant)

    @property
    def variant_name(self) -> Text | None:
        """The chosen variant's localised name, or None for the protocol itself."""
        chosen = next((v for v in self.protocol.protocol.variants if v.key == self.variant), None)
        return chosen.name if chosen is not None else None

    @property
    def scheduling_id(self) -> str:
        """The course's id in the scheduler."""
        return f"course-{self.pk}"


class Appointment(models.Model):
    """A planned event of a course: booked on resources, or due within a window."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="appointments")
    key = models.CharField(max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=choices.EVENT_KINDS)
    sequence = models.PositiveSmallIntegerField()
    status = models.CharField(
        _("status"), max_length=16, choices=choices.APPOINTMENT_STATUSES, default="unscheduled"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    # When it was marked done (complete_appointment); for an event done without a booked time.
    done_at = models.DateTimeField(null=True, blank=True)
    due_from = models.DateField(null=True, blank=True)
    due_to = models.DateField(null=True, blank=True)
    kits = models.PositiveSmallIntegerField(default=0)
    # Earlier times of this event and why they were given up: [{start, status, at, by}].
    history = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="appointment_key_unique"),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
        ]
        indexes = [
            # A day's or a few days' injections and collections (bedside, lab queue, calendar).
            models.Index(fields=["kind", "starts_at"], name="appointment_kind_starts_idx"),
            # Open events by the close of their window. The follow-ups owed today are open ones
            # whose window has not closed: those in their window and those still ahead, a set
            # bounded by the courses under way. An unanswered timepoint stays open after its
            # window closes unless someone marks it missed, so an index by the opening of the
            # window would grow with the clinic's whole history.
            models.Index(
                fields=["due_to"],
                condition=models.Q(status__in=choices.OPEN_APPOINTMENT_STATUSES),
                name="appointment_open_due_to_idx",
            ),
            # The same by due date: the oldest owed come first without sorting every one.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(status__in=choices.OPEN_APPOINTMENT_STATUSES),
                name="appointment_open_due_on_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.course_id})"


class Booking(models.Model):
    """Capacity of one resource held by a course: a step on it, or material kept in it."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="bookings")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    amount = models.PositiveIntegerField(default=1)
    # Which demand of the step, or which hold of the course, this booking answers.
    demand_index = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_index = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_from = models.CharField(max_length=40, blank=True)
    hold_to = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["resource", "starts_at"], name="booking_resource_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="booking_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.starts_at}-{self.ends_at}"
