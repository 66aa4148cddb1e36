"""Codes shared by assessments, protocols and eligibility rules.

Codes are stable identifiers stored in the database and written in protocol files; the pages
translate them.  Adding a code here is a data change, not a rule change.
"""

from __future__ import annotations

from enum import StrEnum


class Region(StrEnum):
    """An affected body region."""

    KNEE = "knee"
    HIP = "hip"
    SHOULDER = "shoulder"
    ANKLE = "ankle"
    ELBOW = "elbow"
    WRIST = "wrist"
    HAND = "hand"
    TENDON = "tendon"
    MUSCLE = "muscle"
    SPINE_CERVICAL = "spine_cervical"
    SPINE_THORACIC = "spine_thoracic"
    SPINE_LUMBAR = "spine_lumbar"


SPINE = frozenset({Region.SPINE_CERVICAL, Region.SPINE_THORACIC, Region.SPINE_LUMBAR})
# Tendons, muscles and spinal segments are named in free text (e.g. "Achilles", "L4/L5").
NEEDS_DETAIL = frozenset({Region.TENDON, Region.MUSCLE, *SPINE})
NO_SIDE = SPINE


class Side(StrEnum):
    """Laterality of a region."""

    LEFT = "left"
    RIGHT = "right"
    MIDLINE = "midline"


class Diagnosis(StrEnum):
    """Working diagnosis for a region."""

    OSTEOARTHRITIS = "osteoarthritis"
    TENDINOPATHY = "tendinopathy"
    MUSCLE_INJURY = "muscle_injury"
    DISC_DEGENERATION = "disc_degeneration"
    SPINAL_STENOSIS = "spinal_stenosis"
    RADICULAR_PAIN = "radicular_pain"


class GradeSystem(StrEnum):
    """Radiographic classification systems; a grade is never stored without one."""

    KL = "KL"
    AHLBACK = "Ahlback"
    OUTERBRIDGE = "Outerbridge"


GRADE_RANGE: dict[GradeSystem, tuple[int, int]] = {
    GradeSystem.KL: (0, 4),
    GradeSystem.AHLBACK: (1, 5),
    GradeSystem.OUTERBRIDGE: (0, 4),
}


class DrugClass(StrEnum):
    """Medication classes that protocols care about."""

    ANTICOAGULANT = "anticoagulant"
    ANTIPLATELET = "antiplatelet"
    NSAID = "nsaid"
    CORTICOSTEROID = "corticosteroid"
    OTHER = "other"


FLAGGED_DRUGS = frozenset({DrugClass.ANTICOAGULANT, DrugClass.ANTIPLATELET, DrugClass.NSAID})


class StudyKind(StrEnum):
    """Pre-operative studies."""

    SEROLOGY = "serology"
    CHEST_XRAY = "chest_xray"
    ECG = "ecg"
    BLOOD_TESTS = "blood_tests"
    # Baseline imaging of the treated joint that a protocol requires on file (seed 003: "X-rays
    # and Cartigram magnetic resonance imaging" before the treatment is indicated).
    JOINT_XRAY = "joint_xray"
    CARTIGRAM_MRI = "cartigram_mri"


class ConservativeTreatment(StrEnum):
    """Treatments tried before a biological one (seed 002: "alternative treatment methods")."""

    PHYSIOTHERAPY = "physiotherapy"
    EXERCISE = "exercise"
    ANALGESICS = "analgesics"
    NSAID = "nsaid"
    WEIGHT_LOSS = "weight_loss"
    BRACE = "brace"
    CORTICOSTEROID_INJECTION = "corticosteroid_injection"
    HYALURONIC_ACID_INJECTION = "hyaluronic_acid_injection"


class ConservativeResult(StrEnum):
    """How a conservative treatment went: still under way, it helped, or it failed."""

    ONGOING = "ongoing"
    HELPED = "helped"
    FAILED = "failed"


class StudyResult(StrEnum):
    """Outcome of a pre-operative study."""

    PENDING = "pending"
    NORMAL = "normal"
    ABNORMAL = "abnormal"


class Marker(StrEnum):
    """Infectious-disease markers tested on the donor (the patient) before processing."""

    HIV_1_2 = "hiv_1_2"  # anti-HIV-1/2 (or HIV Ag/Ab combination)
    HBSAG = "hbsag"
    ANTI_HBC = "anti_hbc"
    HCV = "hcv"  # anti-HCV
    SYPHILIS = "syphilis"
    HIV_NAT = "hiv_nat"
    HBV_NAT = "hbv_nat"
    HCV_NAT = "hcv_nat"
    HTLV_1_2 = "htlv_1_2"


# Every protocol that lists markers tests at least these (HIV-1/2, HBsAg, anti-HBc, HCV, syphilis).
BASE_MARKERS = frozenset(
    {Marker.HIV_1_2, Marker.HBSAG, Marker.ANTI_HBC, Marker.HCV, Marker.SYPHILIS}
)


class MarkerResult(StrEnum):
    """The result of one marker test; a pending test counts as missing."""

    PENDING = "pending"
    NEGATIVE = "negative"
    REACTIVE = "reactive"


class Comorbidity(StrEnum):
    """Comorbidities recorded at assessment; protocols may exclude or accept on them."""

    ACTIVE_INFECTION = "active_infection"
    JOINT_INFECTION = "joint_infection"
    MALIGNANCY = "malignancy"
    BLEEDING_DISORDER = "bleeding_disorder"
    IMMUNOSUPPRESSION = "immunosuppression"
    DIABETES = "diabetes"
    CARDIOVASCULAR = "cardiovascular"
    PREGNANCY = "pregnancy"
    INFLAMMATORY_ARTHRITIS = "inflammatory_arthritis"
    OTHER = "other"


class AnaesthesiaRisk(StrEnum):
    """ASA physical status class, the usual anaesthesia risk grading."""

    ASA1 = "ASA1"
    ASA2 = "ASA2"
    ASA3 = "ASA3"
    ASA4 = "ASA4"


HIGH_ANAESTHESIA_RISK = frozenset({AnaesthesiaRisk.ASA3, AnaesthesiaRisk.ASA4})


class Modality(StrEnum):
    """Imaging modalities."""

    XRAY = "xray"
    MRI = "mri"
    CARTIGRAM_MRI = "cartigram_mri"
    ULTRASOUND = "ultrasound"
    CT = "ct"


class Guidance(StrEnum):
    """Image guidance for an injection; procedure rooms declare which they offer."""

    ULTRASOUND = "ultrasound"
    FLUOROSCOPY = "fluoroscopy"
