"""The protocol file schema.  A protocol is data; this module says what valid data looks like.

Every model forbids unknown keys, so a typo in a protocol file is an error that names the field,
never a silently ignored setting.  Units are in the field names (``_h``, ``_min``, ``_days``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autologic.clinical.domain.vocabulary import (
    BASE_MARKERS,
    AnaesthesiaRisk,
    Comorbidity,
    ConservativeTreatment,
    Diagnosis,
    DrugClass,
    GradeSystem,
    Guidance,
    Marker,
    Modality,
    Region,
    StudyKind,
)
from autologic.outcomes.domain import registry as instruments

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Outcome = Literal["eligible", "conditional", "not_eligible"]
LANGUAGES = ("en", "de", "es", "fa")


class Model(BaseModel):
    """Base for every protocol section: unknown keys are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Model):
    """A text in the clinic's languages; English is required and is the fallback."""

    en: str = Field(min_length=1)
    de: str | None = None
    es: str | None = None
    fa: str | None = None

    def get(self, language: str) -> str:
        """Return the text in ``language`` or English."""
        value = getattr(self, language[:2], None) if language[:2] in LANGUAGES else None
        return value or self.en


class Range(Model):
    """A closed interval with an optional target inside it."""

    min: float
    max: float
    target: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.target is not None and not self.min <= self.target <= self.max:
            raise ValueError(f"target ({self.target}) is outside {self.min}..{self.max}")
        return self


class Storage(Model):
    """How the product is kept and for how long."""

    condition: Literal["frozen", "refrigerated", "ambient", "fresh"]
    temperature_min_c: float | None = None  # printed on the label with the maximum
    temperature_max_c: float | None = None
    set_point_c: float | None = None
    shelf_life_days: int = Field(gt=0)

    @model_validator(mode="after")
    def _range(self) -> Storage:
        low, high = self.temperature_min_c, self.temperature_max_c
        if low is not None and high is not None and low > high:
            raise ValueError("temperature_min_c must not be above temperature_max_c")
        return self


class Dose(Model):
    """The amount given per injection."""

    volume_ml: float | None = Field(default=None, gt=0)
    cells_million: Range | None = None


# Cold-chain defaults for a frozen product whose file does not say (version 1 files): a unit
# out of its freezer is thawed within half an hour, and goes back to stock within a quarter.
DEFAULT_ISSUE_TO_THAW_MIN = 30
DEFAULT_OUT_OF_FREEZER_MIN = 15


class Product(Model):
    """What is made from the patient: drives labels, storage, expiry and regulation."""

    code: Annotated[str, Field(pattern=r"^[A-Z0-9-]{2,20}$")]
    name: Text
    source_tissue: Literal["venous_blood", "bone_marrow", "adipose"]
    manipulation: Literal["minimal", "enzymatic", "culture_expanded"]
    cell_type: Literal["none", "BMAC", "SVF", "ADSC", "BM-MSC"]
    storage: Storage
    thaw_to_injection_max_min: int | None = Field(default=None, gt=0)
    # The cold chain at the bedside (frozen products): an issued unit is thawed within
    # ``issue_to_thaw_max_min`` of leaving its freezer, and may go back to stock only within
    # ``out_of_freezer_max_min``.  Absent (version 1 files): the defaults below.
    issue_to_thaw_max_min: int | None = Field(default=None, gt=0)
    out_of_freezer_max_min: int | None = Field(default=None, gt=0)
    dose: Dose | None = None

    @model_validator(mode="after")
    def _cold_chain(self) -> Product:
        frozen = self.storage.condition == "frozen"
        for name in ("issue_to_thaw_max_min", "out_of_freezer_max_min"):
            if getattr(self, name) is not None and not frozen:
                raise ValueError(f"{name} applies only to a frozen product")
        thaw, back = self.issue_to_thaw_limit_min, self.out_of_freezer_limit_min
        if thaw is not None and back is not None and back > thaw:
            raise ValueError(
                f"out_of_freezer_max_min ({back}) is longer than issue_to_thaw_max_min ({thaw})"
            )
        return self

    @property
    def issue_to_thaw_limit_min(self) -> int | None:
        """Minutes from issue to the start of thawing (frozen products only)."""
        if self.storage.condition != "frozen":
            return None
        return self.issue_to_thaw_max_min or DEFAULT_ISSUE_TO_THAW_MIN

    @property
    def out_of_freezer_limit_min(self) -> int | None:
        """Minutes out of the freezer after which an issued unit cannot go back to stock."""
        if self.storage.condition != "frozen":
            return None
        return self.out_of_freezer_max_min or DEFAULT_OUT_OF_FREEZER_MIN


class MedicationHold(Model):
    """Drug classes to stop a number of days before collection, confirmed by a clinician."""

    classes: list[DrugClass] = Field(min_length=1)
    days_before_collection: int = Field(gt=0)


class Fasting(Model):
    """Hours of fasting before the named events."""

    hours: float = Field(gt=0)
    before: list[Literal["collection", "injection"]] = Field(min_length=1)


class StudyRequirement(Model):
    """A pre-operative study that must be on file, not older than ``max_age_days``."""

    kind: StudyKind
    max_age_days: int = Field(gt=0)


class AuthorisationRequirement(Model):
    """A regulatory authorisation needed per patient before treatment."""

    agency: str = Field(min_length=2)
    scope: str = Field(min_length=2)


class Markers(Model):
    """Infectious-disease markers tested on the donor, and what a gap or a reactive result does.

    A sample counts when taken on the collection day or at most ``max_age_days`` before it.
    ``block`` stops processing; ``mark`` lets it go on, and the product is labelled (biohazard,
    or "not evaluated for infectious substances") and stored apart.
    """

    tests: list[Marker] = Field(min_length=1)
    max_age_days: int = Field(gt=0)
    reactive: Literal["block", "mark"] = "block"
    missing: Literal["block", "mark"] = "block"

    @model_validator(mode="after")
    def _base(self) -> Markers:
        if len(self.tests) != len(set(self.tests)):
            raise ValueError("each marker is listed once")
        absent = sorted(BASE_MARKERS - set(self.tests))
        if absent:
            raise ValueError(f"the markers must include {', '.join(absent)}")
        return self


# Gates before collection a physician may except, with a signed reason, where a protocol allows.
Exceptable = Literal["studies", "medication_hold"]


class Preparation(Model):
    """Everything that must be true or done before collection."""

    medication_hold: MedicationHold | None = None
    fasting: Fasting | None = None
    studies: list[StudyRequirement] = []
    authorisation: AuthorisationRequirement | None = None
    markers: Markers | None = None
    exceptions: list[Exceptable] = []

    @model_validator(mode="after")
    def _exceptions(self) -> Preparation:
        present = {"studies": bool(self.studies), "medication_hold": bool(self.medication_hold)}
        for gate in self.exceptions:
            if not present[gate]:
                raise ValueError(f"exceptions lists {gate}, which this preparation does not have")
        return self


class Collection(Model):
    """Blood draw, marrow aspirate or lipoaspirate."""

    kind: Literal["blood_draw", "marrow_aspirate", "lipoaspirate"]
    volume_ml_per_injection: float | None = Field(default=None, gt=0)
    volume_ml: float | None = Field(default=None, gt=0)
    duration_min: int = Field(gt=0)
    recovery_min: int = Field(ge=0)
    anaesthesia: Literal["none", "local", "local_sedation"]
    rest_after_h: Range | None = None

    @model_validator(mode="after")
    def _one_volume(self) -> Collection:
        if (self.volume_ml is None) == (self.volume_ml_per_injection is None):
            raise ValueError("give exactly one of volume_ml and volume_ml_per_injection")
        return self


class Step(Model):
    """A processing step with its time window; actual times outside it become deviations."""

    key: Slug
    kind: Literal["incubation", "centrifugation", "culture", "separation", "aliquoting", "freezing"]
    name: Text
    equipment: Literal["incubator", "centrifuge", "culture", "biosafety_cabinet", "freezer"] | None
    duration_h: Range | None = None
    duration_days: Range | None = None
    temperature_c: Range | None = None
    g_force: int | None = Field(default=None, gt=0)
    spin_min: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _duration(self) -> Step:
        if (self.duration_h is None) == (self.duration_days is None):
            raise ValueError("give exactly one of duration_h and duration_days")
        if self.kind == "centrifugation" and (self.g_force is None or self.spin_min is None):
            raise ValueError("a centrifugation step needs g_force and spin_min")
        return self

    @property
    def hours(self) -> Range:
        """The duration window in hours whatever unit the file used."""
        if self.duration_h is not None:
            return self.duration_h
        days = self.duration_days
        assert days is not None  # guaranteed by _duration
        target = None if days.target is None else days.target * 24
        return Range(min=days.min * 24, max=days.max * 24, target=target)


Operator = Literal[">=", "<=", ">", "<", "=", "between", "not_detected", "conforms", "report"]


class SpecRow(Model):
    """One row of a release specification: attribute, method, operator, limit and unit.

    ``report`` rows are recorded but never judged; ``blocking: false`` rows are judged and shown
    but do not stop a release (therapies.md §5.3).
    """

    attribute: Slug
    name: Text
    method: str = Field(min_length=2)
    operator: Operator
    limit: float | None = None
    limit_max: float | None = None
    unit: str = ""
    blocking: bool = True
    # The values a measurement can take at all (a typing error lies outside); without it,
    # 0–100 for "%" and non-negative otherwise.
    plausible: Range | None = None

    @model_validator(mode="after")
    def _limits(self) -> SpecRow:
        numeric = self.operator in {">=", "<=", ">", "<", "=", "between"}
        if numeric and self.limit is None:
            raise ValueError(f"operator {self.operator} needs a limit")
        if (self.operator == "between") != (self.limit_max is not None):
            raise ValueError("limit_max is given exactly when the operator is between")
        if self.limit is not None and self.limit_max is not None and self.limit > self.limit_max:
            raise ValueError(f"limit ({self.limit}) is greater than limit_max ({self.limit_max})")
        if not numeric and self.limit is not None:
            raise ValueError(f"operator {self.operator} takes no limit")
        if self.operator == "report" and self.blocking:
            raise ValueError("a report row records a value only; set blocking: false")
        if self.plausible is not None and not numeric and self.operator != "report":
            raise ValueError(f"operator {self.operator} takes no plausible range")
        return self


class Release(Model):
    """The versioned release specification of the product and how many must sign the release."""

    specification: list[SpecRow] = Field(min_length=1)
    signatures: int = Field(default=1, ge=1, le=2)

    @model_validator(mode="after")
    def _unique(self) -> Release:
        names = [row.attribute for row in self.specification]
        if len(names) != len(set(names)):
            raise ValueError("release specification attributes must be unique")
        return self


class Count(Model):
    """How many injections: a default the physician may change within min..max."""

    default: int = Field(ge=1)
    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _inside(self) -> Count:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"default ({self.default}) is outside {self.min}..{self.max}")
        return self


class Injections(Model):
    """The injection series: count, cadence, guidance and what each session needs."""

    route: Literal["intra_articular", "peritendinous", "intramuscular", "epidural_perineural"]
    count: Count
    interval_days: Range | None = None
    first_after_collection_days: Range
    session_min: int = Field(gt=0)
    recovery_min: int = Field(ge=0)
    guidance: list[Guidance] = Field(min_length=1)
    anaesthesia: Literal["none", "local", "local_sedation"]
    kits_per_region: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _cadence(self) -> Injections:
        if self.count.max > 1 and self.interval_days is None:
            raise ValueError("interval_days is required when more than one injection is allowed")
        return self


class Restriction(Model):
    """An instruction after a procedure, for a number of hours or days."""

    after: Literal["collection", "injection", "last_injection"]
    hours: float | None = Field(default=None, gt=0)
    days: float | None = Field(default=None, gt=0)
    text: Text


class RehabPhase(Model):
    """A rehabilitation phase counted in days from the (last) injection.

    A phase with a ``key`` is tracked per course (started, done, problem); phases without one
    (version 1 and 2 files) are instructions only.
    """

    key: Slug | None = None
    from_day: int = Field(ge=0)
    until_day: int | None = Field(default=None, ge=0)
    activity: Text

    @model_validator(mode="after")
    def _ordered(self) -> RehabPhase:
        if self.until_day is not None and self.until_day < self.from_day:
            raise ValueError(f"until_day ({self.until_day}) is before from_day ({self.from_day})")
        return self


class Timepoint(Model):
    """A follow-up due a number of weeks or months after the anchor, with a tolerance window."""

    key: Slug
    kind: Literal["visit", "imaging", "prom"]
    weeks: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)
    window_days_before: int = Field(default=0, ge=0)
    window_days_after: int = Field(default=0, ge=0)
    instruments: list[str] = []
    modality: Modality | None = None

    @model_validator(mode="after")
    def _when(self) -> Timepoint:
        if (self.weeks is None) == (self.months is None):
            raise ValueError("give exactly one of weeks and months")
        if self.kind == "imaging" and self.modality is None:
            raise ValueError("an imaging timepoint needs a modality")
        unknown = [i for i in self.instruments if not instruments.known(i)]
        if unknown:
            known = ", ".join(instruments.INSTRUMENTS)
            raise ValueError(f"unknown instrument {', '.join(unknown)}; known: {known}")
        return self

    @property
    def offset_days(self) -> int:
        """Days after the anchor; a month counts as 30 days, a common convention in trials."""
        return self.weeks * 7 if self.weeks is not None else (self.months or 0) * 30


class FollowUp(Model):
    """The follow-up schedule and the event it counts from."""

    anchor: Literal["first_injection", "last_injection"]
    timepoints: list[Timepoint] = Field(min_length=1)


class Consumable(Model):
    """A consumable used per region-injection, per collection or per course."""

    item: str = Field(min_length=2)
    per: Literal["region_injection", "collection", "course"]
    quantity: int = Field(ge=1)


class PriceItem(Model):
    """A price line; amounts per currency (ISO 4217), counted per course or per injection."""

    code: Slug
    label: Text
    per: Literal["course", "injection", "region_injection"]
    amounts: dict[str, Decimal]

    @field_validator("amounts")
    @classmethod
    def _currencies(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, amount in value.items():
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
            if amount < 0:
                raise ValueError(f"the amount for {currency} is negative")
        return value


class Band(Model):
    """What a set of grades means for eligibility."""

    grades: list[int] = Field(min_length=1)
    outcome: Outcome
    requires_any: list[
        Literal["high_anaesthesia_risk", "comorbidity", "young", "avoids_surgery"]
    ] = []
    flag: Literal["lower_expected_success"] | None = None
    otherwise: Outcome = "not_eligible"
    note: Text | None = None


class RegionRule(Model):
    """Only these regions and diagnoses are treated by the protocol."""

    id: Slug
    kind: Literal["region"]
    regions: list[Region] = Field(min_length=1)
    diagnoses: list[Diagnosis] = Field(min_length=1)


class GradeRule(Model):
    """Eligibility by radiographic grade, for the listed diagnoses."""

    id: Slug
    kind: Literal["grade"]
    system: GradeSystem = GradeSystem.KL
    diagnoses: list[Diagnosis] = Field(min_length=1)
    bands: list[Band] = Field(min_length=1)
    young_below_age: int | None = Field(default=None, gt=0)
    missing: Outcome = "conditional"


class ExclusionRule(Model):
    """Comorbidities that exclude (or need a physician's review)."""

    id: Slug
    kind: Literal["exclusion"]
    comorbidities: list[Comorbidity] = Field(min_length=1)
    outcome: Outcome = "not_eligible"


class AgeRule(Model):
    """An age range; outside it the outcome applies."""

    id: Slug
    kind: Literal["age"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    outcome: Outcome = "not_eligible"


class AnaesthesiaRule(Model):
    """An anaesthesia risk ceiling for procedures under sedation."""

    id: Slug
    kind: Literal["anaesthesia"]
    refuse: list[AnaesthesiaRisk] = Field(min_length=1)
    outcome: Outcome = "not_eligible"


class StudiesRule(Model):
    """The preparation's studies must be on file, recent and normal."""

    id: Slug
    kind: Literal["studies"]
    abnormal: Outcome = "not_eligible"


class HoldRule(Model):
    """Flagged drugs the patient takes must be on hold long enough before collection."""

    id: Slug
    kind: Literal["medication_hold"]


class AuthorisationRule(Model):
    """The preparation's authorisation must be granted and cover the treatment."""

    id: Slug
    kind: Literal["authorisation"]


class ConservativeRule(Model):
    """Conservative treatment first: one of ``treatments`` tried for ``min_weeks`` and failed.

    Nothing recorded gives ``missing``; a treatment still under way or tried too briefly is
    conditional (an action says until when); a treatment that helped gives ``helped``.
    """

    id: Slug
    kind: Literal["conservative_first"]
    treatments: list[ConservativeTreatment] = Field(min_length=1)
    min_weeks: int = Field(gt=0)
    missing: Outcome = "conditional"
    helped: Outcome = "not_eligible"

    @model_validator(mode="after")
    def _unique(self) -> ConservativeRule:
        if len(self.treatments) != len(set(self.treatments)):
            raise ValueError("each treatment is listed once")
        return self


Rule = Annotated[
    RegionRule
    | GradeRule
    | ExclusionRule
    | AgeRule
    | AnaesthesiaRule
    | StudiesRule
    | HoldRule
    | AuthorisationRule
    | ConservativeRule,
    Field(discriminator="kind"),
]

# What each collection kind harvests: a variant may change both, never one without the other.
COLLECTED_TISSUE = {
    "blood_draw": "venous_blood",
    "marrow_aspirate": "bone_marrow",
    "lipoaspirate": "adipose",
}


class Variant(Model):
    """Another harvest or processing route of the same protocol, chosen per course.

    Seed 004: cells are harvested "from the pelvic bone marrow or abdominal fat tissue" and
    "multiplied if needed".  A variant replaces the sections it gives; the rest is the protocol's.
    """

    key: Slug
    name: Text
    product: Product | None = None
    collection: Collection | None = None
    processing: list[Step] | None = Field(default=None, min_length=1)
    release: Release | None = None
    first_after_collection_days: Range | None = None
    consumables: list[Consumable] | None = None


class Protocol(Model):
    """One version of one therapy protocol."""

    schema_version: Literal[1]
    code: Slug
    version: int = Field(ge=1)
    status: Literal["active", "draft", "retired"]
    therapy: Literal["acs", "bm_msc", "cells_hip"]
    title: Text
    summary: Text
    product: Product
    preparation: Preparation = Preparation()
    collection: Collection
    processing: list[Step] = Field(min_length=1)
    release: Release | None = None
    injections: Injections
    restrictions: list[Restriction] = []
    rehabilitation: list[RehabPhase] = []
    follow_up: FollowUp
    consumables: list[Consumable] = []
    prices: list[PriceItem] = []
    eligibility: list[Rule] = Field(min_length=1)
    variants: list[Variant] = []
    unconfirmed: list[str] = []
    sources: list[str] = []

    def variant(self, key: str) -> Protocol:
        """The protocol as the variant ``key`` changes it ("" is the protocol itself)."""
        if not key:
            return self
        chosen = next((v for v in self.variants if v.key == key), None)
        if chosen is None:
            known = ", ".join(v.key for v in self.variants) or "none"
            raise ValueError(f"{self.code} v{self.version} has no variant {key!r}; known: {known}")
        update: dict[str, object] = {"variants": []}
        for name in ("product", "collection", "processing", "release", "consumables"):
            value = getattr(chosen, name)
            if value is not None:
                update[name] = value
        if chosen.first_after_collection_days is not None:
            update["injections"] = self.injections.model_copy(
                update={"first_after_collection_days": chosen.first_after_collection_days}
            )
        return self.model_copy(update=update)

    @model_validator(mode="after")
    def _variants(self) -> Protocol:
        keys = [variant.key for variant in self.variants]
        if len(keys) != len(set(keys)):
            raise ValueError("variant keys must be unique")
        for index, variant in enumerate(self.variants):
            resolved = self.variant(variant.key)
            problem = _route_problem(resolved)
            if problem:
                raise ValueError(f"variants[{index}] ({variant.key}): {problem}")
        problem = _route_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _rehabilitation(self) -> Protocol:
        keys = [phase.key for phase in self.rehabilitation if phase.key]
        if len(keys) != len(set(keys)):
            raise ValueError("rehabilitation phase keys must be unique")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        keys = [step.key for step in self.processing]
        if len(keys) != len(set(keys)):
            raise ValueError("processing step keys must be unique")
        rule_ids = [rule.id for rule in self.eligibility]
        if len(rule_ids) != len(set(rule_ids)):
            raise ValueError("eligibility rule ids must be unique")
        kinds = {rule.kind for rule in self.eligibility}
        if "region" not in kinds:
            raise ValueError("eligibility needs a region rule")
        if self.preparation.authorisation and "authorisation" not in kinds:
            raise ValueError("the preparation needs an authorisation but no rule checks it")
        if self.preparation.studies and "studies" not in kinds:
            raise ValueError("the preparation lists studies but no rule checks them")
        if self.preparation.medication_hold and "medication_hold" not in kinds:
            raise ValueError("the preparation has a medication hold but no rule checks it")
        if self.product.storage.condition == "frozen" and self.product.thaw_to_injection_max_min:
            return self
        if self.product.storage.condition == "frozen":
            raise ValueError("a frozen product needs product.thaw_to_injection_max_min")
        return self


def _route_problem(protocol: Protocol) -> str:
    """What makes the harvest, product and processing of a protocol (or variant) disagree."""
    tissue = COLLECTED_TISSUE[protocol.collection.kind]
    if protocol.product.source_tissue != tissue:
        return (
            f"collection {protocol.collection.kind} harvests {tissue}, "
            f"but the product is made from {protocol.product.source_tissue}"
        )
    keys = [step.key for step in protocol.processing]
    if len(keys) != len(set(keys)):
        return "processing step keys must be unique"
    cultured = any(step.kind == "culture" for step in protocol.processing)
    if protocol.product.manipulation == "culture_expanded" and not cultured:
        return "a culture-expanded product needs a culture processing step"
    if cultured and protocol.product.manipulation != "culture_expanded":
        return "a culture step makes the product culture_expanded"
    if (
        protocol.product.storage.condition == "frozen"
        and not protocol.product.thaw_to_injection_max_min
    ):
        return "a frozen product needs product.thaw_to_injection_max_min"
    return ""
