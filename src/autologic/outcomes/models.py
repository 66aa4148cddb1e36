"""Questionnaire responses with their item answers, the scores computed from them, and the
thresholds each clinic has chosen."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.outcomes import choices

USER = settings.AUTH_USER_MODEL


class Response(models.Model):
    """One questionnaire as the patient (or staff, from paper) answered it, item by item."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "care.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment = models.ForeignKey(
        "care.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
    )
    timepoint = models.CharField(_("timepoint"), max_length=40, blank=True)
    region = models.ForeignKey(
        "clinical.AffectedRegion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    instrument = models.CharField(_("instrument"), max_length=16)
    instrument_version = models.CharField(max_length=16)
    recall = models.CharField(max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8)
    mode = models.CharField(_("mode"), max_length=12, choices=choices.MODES)
    answers = models.JSONField(default=dict)
    missing = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=choices.RESPONSE_STATES)
    staff_entered = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["patient_id", "completed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "region", "instrument"],
                condition=models.Q(appointment__isnull=False),
                name="response_once_per_timepoint",
            ),
            models.CheckConstraint(
                condition=models.Q(staff_entered=False) | models.Q(entered_by__isnull=False),
                name="response_staff_entry_names_staff",
            ),
        ]
        indexes = [models.Index(fields=["patient", "instrument"], name="response_patient")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.timepoint or 'ad hoc'} (patient {self.patient_id})"


class Score(models.Model):
    """One subscale of one response: a value, or none with the reason the rules gave."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="scores")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "clinical.AffectedRegion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    timepoint = models.CharField(max_length=40, blank=True)
    measured_on = models.DateField()
    instrument = models.CharField(max_length=16)
    instrument_version = models.CharField(max_length=16)
    algorithm = models.CharField(max_length=80)
    derived_from = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=24)
    value = models.FloatField(null=True)
    reason = models.CharField(max_length=200, blank=True)
    answered = models.PositiveSmallIntegerField()
    missing = models.PositiveSmallIntegerField()
    higher_is_better = models.BooleanField()

    class Meta:
        ordering = ["measured_on", "id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "name"], name="score_series"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument}.{self.name} = {self.value}"


class ThresholdChoice(models.Model):
    """The MCID or PASS value a clinic uses for one score: a cited reference, or its own."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=16)
    score = models.CharField(max_length=24)
    use = models.CharField(max_length=8, choices=choices.THRESHOLD_USES)
    reference = models.CharField(max_length=40, blank=True)
    value = models.FloatField(null=True, blank=True)
    relative = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True)
    chosen_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "instrument", "score", "use"], name="threshold_choice_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(reference="") | models.Q(value__isnull=False),
                name="threshold_choice_has_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument}.{self.score} {self.use}"


class RehabProgress(models.Model):
    """Where a patient is with one rehabilitation phase of a course: started, done or a problem.

    One row per course and phase (the protocol's phase key); every change is an audit event.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "care.Course", on_delete=models.PROTECT, related_name="rehab_progress"
    )
    phase = models.CharField(_("phase"), max_length=63)
    status = models.CharField(_("status"), max_length=8, choices=choices.REHAB_STATUSES)
    on = models.DateField(_("on"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["course_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "phase"], name="rehab_progress_once")
        ]

    def __str__(self) -> str:
        return f"{self.phase} {self.status} (course {self.course_id})"


class LaterTreatment(models.Model):
    """A later treatment of a treated joint: a replacement, another orthobiologic treatment or
    other surgery, with its date and where the clinic learned of it.  The registry's survival
    analysis counts it as a failure; every row is an audit event."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "clinical.AffectedRegion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("treated joint"),
    )
    kind = models.CharField(_("what was done"), max_length=24, choices=choices.LATER_KINDS)
    performed_on = models.DateField(_("date of the operation or treatment"))
    source = models.CharField(_("source"), max_length=12, choices=choices.LATER_SOURCES)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["patient_id", "performed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "performed_on"], name="later_treatment_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.performed_on} (patient {self.patient_id})"


class SurgeryReportCheck(models.Model):
    """Staff checked a patient's yes to "since your treatment, have you had surgery on this
    joint?" and found no operation of the joint (an operation found is a ``LaterTreatment``).
    One check per answer; every check is an audit event."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, related_name="surgery_check"
    )
    note = models.TextField(_("how it was checked"))
    checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"no surgery (response {self.response_id})"
