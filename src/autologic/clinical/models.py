"""Assessments and the clinical facts eligibility looks at."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.clinical import choices
from autologic.clinical.domain import body

USER = settings.AUTH_USER_MODEL


class Assessment(models.Model):
    """A dated clinical assessment of a patient by a physician."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    complaint = models.TextField(_("presenting complaint"), blank=True)
    comorbidities = models.JSONField(_("comorbidities"), default=list, blank=True)
    comorbidity_notes = models.TextField(_("comorbidity notes"), blank=True)
    anaesthesia_risk = models.CharField(
        _("anaesthesia risk"), max_length=4, choices=choices.ANAESTHESIA_RISKS, blank=True
    )
    avoids_surgery = models.BooleanField(_("wishes to avoid surgery"), default=False)
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"Assessment {self.assessed_on} ({self.patient_id})"

    @property
    def bmi(self) -> float | None:
        """The body-mass index from this assessment's height and weight, if both were taken."""
        return body.bmi(self.height_cm, self.weight_kg)


class AffectedRegion(models.Model):
    """A region with its side, diagnosis and radiographic grade (always with its system)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="regions")
    region = models.CharField(_("region"), max_length=16, choices=choices.REGIONS)
    side = models.CharField(_("side"), max_length=8, choices=choices.SIDES, blank=True)
    detail = models.CharField(_("tendon, muscle or level"), max_length=60, blank=True)
    diagnosis = models.CharField(_("diagnosis"), max_length=20, choices=choices.DIAGNOSES)
    grade_system = models.CharField(
        _("grading system"), max_length=12, choices=choices.GRADE_SYSTEMS, blank=True
    )
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    grade_reader = models.CharField(_("read by"), max_length=120, blank=True)
    grade_read_on = models.DateField(_("imaging date"), null=True, blank=True)
    grade_notes = models.CharField(_("reader's wording"), max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | ~models.Q(grade_system=""),
                name="region_grade_has_system",
            )
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.region, self.side, self.detail) if p)


class PatientRecord(models.Model):
    """Common columns of facts recorded on the patient, kept across assessments."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        abstract = True


class ImagingStudy(PatientRecord):
    """An imaging study and its findings."""

    modality = models.CharField(_("modality"), max_length=16, choices=choices.MODALITIES)
    region = models.CharField(_("region"), max_length=16, choices=choices.REGIONS)
    side = models.CharField(_("side"), max_length=8, choices=choices.SIDES, blank=True)
    performed_on = models.DateField(_("date"))
    findings = models.TextField(_("findings"))
    # The structured cartilage reading of an MRI, compared with the previous one (optional).
    cartilage = models.CharField(
        _("cartilage compared with the previous MRI"),
        max_length=16,
        choices=choices.CARTILAGE_CHANGES,
        blank=True,
    )
    cartilage_measure = models.CharField(
        _("measured by"), max_length=12, choices=choices.CARTILAGE_MEASURES, blank=True
    )
    read_by = models.CharField(_("read by"), max_length=120, blank=True)

    class Meta:
        ordering = ["-performed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cartilage="")
                | (
                    models.Q(modality__in=choices.MRI_MODALITIES)
                    & ~models.Q(cartilage_measure="")
                    & ~models.Q(read_by="")
                ),
                name="imaging_cartilage_reading_complete",
            )
        ]

    def __str__(self) -> str:
        return f"{self.modality} {self.region} {self.performed_on}"


class Medication(PatientRecord):
    """A current or past medication; ``held_since`` is confirmed by a clinician."""

    name = models.CharField(_("medication"), max_length=120)
    drug_class = models.CharField(_("class"), max_length=16, choices=choices.DRUG_CLASSES)
    dose = models.CharField(_("dose"), max_length=60, blank=True)
    held_since = models.DateField(_("on hold since"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.drug_class})"

    @property
    def flagged(self) -> bool:
        """Anticoagulants, antiplatelets and NSAIDs matter for harvests and injections."""
        return self.drug_class in {"anticoagulant", "antiplatelet", "nsaid"}


class PreopStudy(PatientRecord):
    """A pre-operative study: serology, chest X-ray, ECG, blood tests."""

    kind = models.CharField(_("study"), max_length=16, choices=choices.STUDY_KINDS)
    performed_on = models.DateField(_("date"))
    result = models.CharField(_("result"), max_length=8, choices=choices.STUDY_RESULTS)
    result_text = models.TextField(_("result details"), blank=True)

    class Meta:
        ordering = ["-performed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.performed_on} {self.result}"


class ConservativeTreatment(PatientRecord):
    """A conservative treatment tried before a biological one: what, from when to when, result."""

    treatment = models.CharField(
        _("treatment"), max_length=28, choices=choices.CONSERVATIVE_TREATMENTS
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=choices.CONSERVATIVE_RESULTS)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="conservative_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.treatment} {self.started_on} {self.result}"


class Authorisation(PatientRecord):
    """A regulatory authorisation for this patient's treatment (e.g. AEMPS, per patient)."""

    agency = models.CharField(_("agency"), max_length=60)
    reference = models.CharField(_("reference"), max_length=60)
    scope = models.CharField(_("scope (protocol code)"), max_length=64)
    requested_on = models.DateField(_("requested on"))
    granted_on = models.DateField(_("granted on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_on", "-id"]

    def __str__(self) -> str:
        return f"{self.agency} {self.reference}"


class MarkerTest(PatientRecord):
    """One infectious-disease marker tested on the patient: the sample's date and the result.

    A result, once known, is never changed: a repeat test is a new record.
    """

    marker = models.CharField(_("marker"), max_length=16, choices=choices.MARKERS)
    sampled_on = models.DateField(_("sample taken on"))
    result = models.CharField(_("result"), max_length=8, choices=choices.MARKER_RESULTS)
    method = models.CharField(_("method or laboratory"), max_length=120, blank=True)

    class Meta:
        ordering = ["marker", "-sampled_on", "-id"]

    def __str__(self) -> str:
        return f"{self.marker} {self.sampled_on} {self.result}"


class HoldConfirmation(PatientRecord):
    """A clinician's confirmation, on the day, that the patient took none of the held drugs."""

    confirmed_on = models.DateField(_("confirmed on"))
    classes = models.JSONField(_("drug classes"), default=list)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-confirmed_on", "-id"]

    def __str__(self) -> str:
        return f"hold confirmed {self.confirmed_on}"


class GateException(models.Model):
    """A physician's signed exception to one gate before a course's collection, with a reason.

    Only gates the protocol's preparation lists under ``exceptions`` can be excepted.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "care.Course", on_delete=models.PROTECT, related_name="gate_exceptions"
    )
    gate = models.CharField(_("gate"), max_length=20, choices=choices.EXCEPTABLE_GATES)
    reason = models.TextField(_("reason"))
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "gate"], name="gate_exception_once")
        ]

    def __str__(self) -> str:
        return f"{self.gate} excepted for course {self.course_id}"


class EligibilityDecision(models.Model):
    """A physician's signed decision on an eligibility report, possibly overriding it."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="decisions")
    protocol = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    regions = models.JSONField(default=list)
    computed_verdict = models.CharField(max_length=24, choices=choices.VERDICTS)
    report = models.JSONField()
    verdict = models.CharField(_("decision"), max_length=24, choices=choices.VERDICTS)
    overridden = models.BooleanField(default=False)
    justification = models.TextField(_("justification"), blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.verdict} ({self.protocol_id})"
