"""The lab's records: chains, collections, units, processing, storage, QC, release and labels.

Custody rows (``UnitEvent``, ``StorageEvent``, ``Label`` prints) are insert-only: the database
refuses UPDATE and DELETE on the event tables (see migration ``0002_custody_triggers``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.lab import choices

USER = settings.AUTH_USER_MODEL


class Chain(models.Model):
    """The chain of identity of one treatment course: one pseudonymous CoI identifier."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    course = models.OneToOneField("care.Course", on_delete=models.PROTECT, related_name="chain")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    identifier = models.CharField(max_length=15, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.identifier


class Counter(models.Model):
    """The last sequence number used for a facility's donation-style identifiers in a year."""

    facility = models.CharField(max_length=5)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "year"], name="counter_facility_year")
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.year}: {self.last}"


class Collection(models.Model):
    """A blood draw, marrow aspirate or lipoaspirate: who collected what from whom, and when."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    chain = models.ForeignKey(Chain, on_delete=models.PROTECT, related_name="collections")
    course = models.ForeignKey("care.Course", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=choices.COLLECTION_KINDS)
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    volume_ml = models.DecimalField(_("volume (mL)"), max_digits=6, decimal_places=1)
    containers = models.PositiveSmallIntegerField(_("containers"))
    container_type = models.CharField(_("container type"), max_length=80)
    notes = models.TextField(_("notes"), blank=True)
    # The harvest record (seed 003): fasting, anaesthesia with sedation, recovery-room discharge.
    last_intake_at = models.DateTimeField(_("last food or drink at"), null=True, blank=True)
    anaesthesia = models.CharField(
        _("anaesthesia"), max_length=16, choices=choices.ANAESTHESIA, blank=True
    )
    sedation_agent = models.CharField(_("sedation (agent and dose)"), max_length=120, blank=True)
    discharged_at = models.DateTimeField(
        _("discharged from the recovery room at"), null=True, blank=True
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # Set when the collection is recorded, from the donor's markers and the protocol; a lot made
    # before markers were recorded was never evaluated.
    infectious = models.CharField(
        _("infectious-disease markers"),
        max_length=16,
        choices=choices.INFECTIOUS_STATUSES,
        default="not_evaluated",
    )

    class Meta:
        ordering = ["-collected_at", "-id"]
        # The work queue reads the recent collections, whatever the size of the clinic.
        indexes = [models.Index(fields=["site", "recorded_at"], name="collection_recorded_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.collected_at:%Y-%m-%d}"


class Unit(models.Model):
    """A specimen, intermediate or final product unit (syringe, vial) with its lineage."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    chain = models.ForeignKey(Chain, on_delete=models.PROTECT, related_name="units")
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="units")
    # The source patient, copied from the chain so the bedside check needs no join.
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # The collection's DIN and the unit's division code (docs/adr/0006); 13 characters, the DIN
    # alone, for units made before divisions.  Flags: Type 3, over both.
    identifier = models.CharField(max_length=15, unique=True)
    flags = models.CharField(max_length=2)
    kind = models.CharField(_("kind"), max_length=16, choices=choices.UNIT_KINDS)
    product_code = models.CharField(_("product code"), max_length=20)
    volume_ml = models.DecimalField(
        _("volume (mL)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    cells_million = models.DecimalField(
        _("cells (million)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    index = models.PositiveSmallIntegerField(default=1)
    of = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(_("status"), max_length=16, choices=choices.UNIT_STATES)
    status_reason = models.CharField(max_length=300, blank=True)
    frozen = models.BooleanField(default=False)
    made_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    thawed_at = models.DateTimeField(null=True, blank=True)
    reserved_for = models.ForeignKey(
        "care.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    box = models.ForeignKey(
        "lab.Box", on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    row = models.PositiveSmallIntegerField(null=True, blank=True)
    col = models.PositiveSmallIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["collection_id", "parent_id", "index", "id"]
        indexes = [
            models.Index(fields=["site", "status"], name="unit_site_status"),
            models.Index(fields=["chain", "status"], name="unit_chain_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["box", "row", "col"],
                condition=models.Q(box__isnull=False),
                name="unit_one_per_position",
            ),
            models.CheckConstraint(
                condition=models.Q(box__isnull=True)
                | (models.Q(row__isnull=False) & models.Q(col__isnull=False)),
                name="unit_position_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.identifier


class UnitEvent(models.Model):
    """One custody step of a unit: every state change, with who, when and why (insert-only)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    move = models.CharField(max_length=24)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    detail = models.JSONField(default=dict, blank=True)
    audit_seq = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.move} {self.at:%Y-%m-%d %H:%M}"


class Run(models.Model):
    """The processing of one collection's specimen through the protocol's steps."""

    collection = models.OneToOneField(Collection, on_delete=models.PROTECT, related_name="run")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"run of collection {self.collection_id}"


class StepRecord(models.Model):
    """What was done in one protocol step (or one culture passage), as the technician saw it."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="steps")
    key = models.CharField(max_length=63)
    kind = models.CharField(max_length=16)
    passage = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    g_force = models.PositiveIntegerField(_("g-force"), null=True, blank=True)
    spin_min = models.PositiveSmallIntegerField(_("spin (min)"), null=True, blank=True)
    cell_count_million = models.DecimalField(
        _("cells (million)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    viability_pct = models.DecimalField(
        _("viability (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    equipment = models.ForeignKey(
        "care.Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key", "passage"], name="step_once_per_run"),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="step_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} #{self.passage}" if self.passage else self.key


class Deviation(models.Model):
    """A step outside its window; QA accepts or rejects it, with a signature, before release."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="deviations")
    step = models.ForeignKey(StepRecord, on_delete=models.PROTECT, related_name="deviations")
    code = models.CharField(max_length=24)
    field = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    disposition = models.CharField(
        max_length=12, choices=choices.DISPOSITIONS, default="open", db_index=True
    )
    justification = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.message


class QCResult(models.Model):
    """A release-test result for a lot (a collection), judged against the pinned specification.

    A result is never overwritten (a database trigger refuses it): a repeat test is a new
    result citing the one it repeats and why, and a failed result stands until QA signs a
    disposition that invalidates it (a confirmed laboratory error) or confirms it.
    """

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="results")
    attribute = models.CharField(max_length=63)
    value = models.CharField(_("result"), max_length=80)
    number = models.FloatField(null=True, blank=True)
    verdict = models.CharField(max_length=10, choices=choices.VERDICTS)
    criterion = models.CharField(max_length=80)
    method = models.CharField(max_length=200)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    reason = models.CharField(_("reason for the repeat"), max_length=300, blank=True)
    after_release = models.BooleanField(default=False)  # arrived after the lot's release
    disposition = models.CharField(
        max_length=12, choices=choices.RESULT_DISPOSITIONS, blank=True, default=""
    )
    disposition_reason = models.TextField(blank=True)
    disposed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposed_at = models.DateTimeField(null=True, blank=True)
    disposition_signature = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["attribute", "at", "id"]

    def __str__(self) -> str:
        return f"{self.attribute}: {self.value} ({self.verdict})"


class Release(models.Model):
    """The signed decision to release (or reject) a lot."""

    collection = models.OneToOneField(Collection, on_delete=models.PROTECT, related_name="release")
    decision = models.CharField(max_length=10, choices=choices.RELEASE_DECISIONS)
    decided_at = models.DateTimeField()
    # {signer, meaning, record_hash} per signature (rows before 2026-12: Signature ids)
    signatures = models.JSONField(default=list)
    first_signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    second_signer = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    units = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True)
    # Release with exception: a non-conforming product released on a physician's signed
    # approval, with the reason and the patient informed.
    with_exception = models.BooleanField(default=False)
    exception_reason = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient_informed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.decision} {self.decided_at:%Y-%m-%d}"


class Label(models.Model):
    """One printed label and what became of it: applied, voided or destroyed."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="labels")
    job = models.CharField(max_length=64)  # print job id; also the ZPL file name
    template = models.CharField(max_length=40)
    template_version = models.PositiveSmallIntegerField()
    reprint = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=choices.LABEL_STATES, default="printed")
    printed_at = models.DateTimeField()
    printed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["printed_at", "id"]

    def __str__(self) -> str:
        return f"label {self.pk} of {self.unit_id} ({self.state})"


class Freezer(models.Model):
    """A freezer with its alarm limits; its racks hold boxes of units."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    low_c = models.DecimalField(_("lowest allowed (°C)"), max_digits=5, decimal_places=1)
    high_c = models.DecimalField(_("highest allowed (°C)"), max_digits=5, decimal_places=1)
    resource = models.OneToOneField(
        "care.Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="freezer"
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="freezer_code_per_site"),
            models.CheckConstraint(
                condition=models.Q(low_c__lt=models.F("high_c")), name="freezer_limits_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Rack(models.Model):
    """A rack (or shelf) in a freezer."""

    freezer = models.ForeignKey(Freezer, on_delete=models.PROTECT, related_name="racks")
    code = models.CharField(_("code"), max_length=16)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["freezer", "code"], name="rack_code")]

    def __str__(self) -> str:
        return f"{self.freezer.code}/{self.code}"


class Box(models.Model):
    """A box of rows × columns positions in a rack."""

    rack = models.ForeignKey(Rack, on_delete=models.PROTECT, related_name="boxes")
    code = models.CharField(_("code"), max_length=16)
    rows = models.PositiveSmallIntegerField(_("rows"), default=9)
    cols = models.PositiveSmallIntegerField(_("columns"), default=9)
    # Which products the box may hold: those whose collection's ``infectious`` is this value, so
    # untested and reactive donations are stored apart from tested-negative ones.
    infectious = models.CharField(
        _("holds products"),
        max_length=16,
        choices=choices.INFECTIOUS_STATUSES,
        default="negative",
    )

    class Meta:
        ordering = ["rack_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["rack", "code"], name="box_code"),
            models.CheckConstraint(
                condition=models.Q(rows__gte=1, rows__lte=26, cols__gte=1, cols__lte=26),
                name="box_size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rack}/{self.code}"


class StorageEvent(models.Model):
    """A unit put into or taken out of a box position (insert-only)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="storage_events")
    box = models.ForeignKey(Box, on_delete=models.PROTECT, related_name="+")
    freezer = models.ForeignKey(Freezer, on_delete=models.PROTECT, related_name="+")
    row = models.PositiveSmallIntegerField()
    col = models.PositiveSmallIntegerField()
    direction = models.CharField(max_length=3, choices=choices.DIRECTIONS)
    at = models.DateTimeField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["freezer", "at"], name="storage_event_freezer_at")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.direction} {self.at:%Y-%m-%d %H:%M}"


class Reading(models.Model):
    """A freezer temperature reading, typed in or imported from a data logger."""

    freezer = models.ForeignKey(Freezer, on_delete=models.PROTECT, related_name="readings")
    at = models.DateTimeField()
    celsius = models.DecimalField(max_digits=5, decimal_places=1)
    source = models.CharField(max_length=8, choices=choices.READING_SOURCES)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["freezer", "at"], name="reading_once_per_time")
        ]

    def __str__(self) -> str:
        return f"{self.celsius} °C at {self.at:%Y-%m-%d %H:%M}"


class Excursion(models.Model):
    """A time a freezer was outside its limits, and the units it put in quarantine."""

    freezer = models.ForeignKey(Freezer, on_delete=models.PROTECT, related_name="excursions")
    started_at = models.DateTimeField()
    first_bad_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    worst_c = models.DecimalField(max_digits=5, decimal_places=1)
    units = models.JSONField(default=list)  # identifiers quarantined
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_bad_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["freezer", "first_bad_at"], name="excursion_once_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.freezer_id} from {self.started_at:%Y-%m-%d %H:%M}"


class Hold(models.Model):
    """A QA hold (quarantine) on a unit, a lot, a chain of identity or a recall's units.

    While it is active (not lifted) no unit it covers is released: the lot's units, the chain's
    units and the units listed in ``HeldUnit``, including those made after the hold was placed.
    Lifting it takes a signed QA disposition: the units return to use, or they are disposed of.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("held"), max_length=8, choices=choices.HOLD_SCOPES)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    collection = models.ForeignKey(
        Collection, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    chain = models.ForeignKey(
        Chain, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    source = models.CharField(max_length=16, choices=choices.HOLD_SOURCES, default="manual")
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    decision = models.CharField(
        _("disposition"), max_length=10, choices=choices.HOLD_DECISIONS, blank=True
    )
    justification = models.TextField(_("justification"), blank=True)
    signature = models.JSONField(default=dict, blank=True)  # {signer, meaning, record_hash}
    lifted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["site", "lifted_at"], name="hold_site_active")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope="units")
                | models.Q(scope="unit", unit__isnull=False)
                | models.Q(scope="lot", collection__isnull=False)
                | models.Q(scope="chain", chain__isnull=False),
                name="hold_names_its_target",
            ),
            models.CheckConstraint(
                condition=models.Q(lifted_at__isnull=True, decision="")
                | models.Q(lifted_at__isnull=False, decision__in=["released", "discarded"]),
                name="hold_lifted_with_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} ({self.scope})"

    @property
    def active(self) -> bool:
        """Whether the hold still stands."""
        return self.lifted_at is None


class HeldUnit(models.Model):
    """A unit a hold covers by name, with the state it was in when the hold was placed."""

    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="held_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="holds")
    status_before = models.CharField(max_length=16, choices=choices.UNIT_STATES)

    class Meta:
        ordering = ["hold_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["hold", "unit"], name="held_unit_once_per_hold")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} in hold {self.hold_id}"


class Disposal(models.Model):
    """How a unit was disposed of: a coded reason, the method, and a witness who signed."""

    unit = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="disposal")
    reason_code = models.CharField(_("reason"), max_length=16, choices=choices.DISPOSAL_REASONS)
    reason = models.CharField(_("details"), max_length=300, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=choices.DISPOSAL_METHODS)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witness_signature = models.JSONField(default=dict)  # {signer, meaning, record_hash}
    at = models.DateTimeField()
    audit_seq = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(by=models.F("witness")), name="disposal_witness_is_another"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} disposed ({self.reason_code})"


class ReagentLot(models.Model):
    """A manufacturer's lot of a reagent or kit (a glass-bead syringe kit, a culture medium)."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=choices.REAGENT_KINDS)
    name = models.CharField(_("product"), max_length=120)
    lot_number = models.CharField(_("lot number"), max_length=40)
    manufacturer = models.CharField(_("manufacturer"), max_length=120, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "lot_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "kind", "name", "lot_number"], name="reagent_lot_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} lot {self.lot_number}"


class ReagentUse(models.Model):
    """A reagent or kit lot used for a collection, or for one of its processing steps."""

    reagent_lot = models.ForeignKey(ReagentLot, on_delete=models.PROTECT, related_name="uses")
    collection = models.ForeignKey(
        Collection, on_delete=models.PROTECT, related_name="reagent_uses"
    )
    step = models.ForeignKey(
        StepRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="reagent_uses"
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reagent_lot", "collection"],
                condition=models.Q(step__isnull=True),
                name="reagent_use_once_per_collection",
            ),
            models.UniqueConstraint(
                fields=["reagent_lot", "step"],
                condition=models.Q(step__isnull=False),
                name="reagent_use_once_per_step",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reagent_lot_id} in {self.collection_id}"
