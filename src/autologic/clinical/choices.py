"""Translated labels for the vocabulary codes, for forms and pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

REGIONS = [
    ("knee", _("Knee")),
    ("hip", _("Hip")),
    ("shoulder", _("Shoulder")),
    ("ankle", _("Ankle")),
    ("elbow", _("Elbow")),
    ("wrist", _("Wrist")),
    ("hand", _("Hand")),
    ("tendon", _("Tendon")),
    ("muscle", _("Muscle")),
    ("spine_cervical", _("Cervical spine")),
    ("spine_thoracic", _("Thoracic spine")),
    ("spine_lumbar", _("Lumbar spine")),
]
SIDES = [("left", _("Left")), ("right", _("Right")), ("midline", _("Midline"))]
DIAGNOSES = [
    ("osteoarthritis", _("Osteoarthritis")),
    ("tendinopathy", _("Tendinopathy")),
    ("muscle_injury", _("Muscle injury")),
    ("disc_degeneration", _("Disc degeneration")),
    ("spinal_stenosis", _("Spinal stenosis")),
    ("radicular_pain", _("Radicular pain")),
]
GRADE_SYSTEMS = [
    ("KL", _("Kellgren–Lawrence (0–4)")),
    ("Ahlback", _("Ahlbäck (1–5)")),
    ("Outerbridge", _("Outerbridge (0–4)")),
]
DRUG_CLASSES = [
    ("anticoagulant", _("Anticoagulant")),
    ("antiplatelet", _("Antiplatelet")),
    ("nsaid", _("NSAID")),
    ("corticosteroid", _("Corticosteroid")),
    ("other", _("Other")),
]
STUDY_KINDS = [
    ("serology", _("Infection serology")),
    ("chest_xray", _("Chest X-ray")),
    ("ecg", _("ECG")),
    ("blood_tests", _("Blood tests")),
    ("joint_xray", _("X-ray of the joint")),
    ("cartigram_mri", _("Cartigram MRI")),
]
CONSERVATIVE_TREATMENTS = [
    ("physiotherapy", _("Physiotherapy")),
    ("exercise", _("Exercise programme")),
    ("analgesics", _("Analgesics")),
    ("nsaid", _("NSAIDs")),
    ("weight_loss", _("Weight loss")),
    ("brace", _("Brace or orthosis")),
    ("corticosteroid_injection", _("Corticosteroid injection")),
    ("hyaluronic_acid_injection", _("Hyaluronic acid injection")),
]
CONSERVATIVE_RESULTS = [
    ("ongoing", _("Still under way")),
    ("helped", _("Helped")),
    ("failed", _("Failed")),
]
MARKERS = [
    ("hiv_1_2", _("HIV-1/2 antibody")),
    ("hbsag", _("Hepatitis B surface antigen (HBsAg)")),
    ("anti_hbc", _("Hepatitis B core antibody (anti-HBc)")),
    ("hcv", _("Hepatitis C antibody (anti-HCV)")),
    ("syphilis", _("Syphilis")),
    ("hiv_nat", _("HIV NAT")),
    ("hbv_nat", _("HBV NAT")),
    ("hcv_nat", _("HCV NAT")),
    ("htlv_1_2", _("HTLV-1/2 antibody")),
]
MARKER_RESULTS = [
    ("pending", _("Pending")),
    ("negative", _("Negative (non-reactive)")),
    ("reactive", _("Reactive")),
]
# Gates before collection a physician may except where the protocol allows it.
EXCEPTABLE_GATES = [
    ("studies", _("Pre-operative studies")),
    ("medication_hold", _("Medication hold")),
    ("deposit", _("Deposit before collection")),
]
STUDY_RESULTS = [("pending", _("Pending")), ("normal", _("Normal")), ("abnormal", _("Abnormal"))]
COMORBIDITIES = [
    ("active_infection", _("Active infection")),
    ("joint_infection", _("Joint infection")),
    ("malignancy", _("Malignancy")),
    ("bleeding_disorder", _("Bleeding disorder")),
    ("immunosuppression", _("Immunosuppression")),
    ("diabetes", _("Diabetes")),
    ("cardiovascular", _("Cardiovascular disease")),
    ("pregnancy", _("Pregnancy")),
    ("inflammatory_arthritis", _("Inflammatory arthritis")),
    ("other", _("Other")),
]
ANAESTHESIA_RISKS = [
    ("ASA1", _("ASA I: healthy")),
    ("ASA2", _("ASA II: mild systemic disease")),
    ("ASA3", _("ASA III: severe systemic disease")),
    ("ASA4", _("ASA IV: constant threat to life")),
]
MODALITIES = [
    ("xray", _("X-ray")),
    ("mri", _("MRI")),
    ("cartigram_mri", _("Cartigram MRI")),
    ("ultrasound", _("Ultrasound")),
    ("ct", _("CT")),
]
# A structured MRI cartilage reading (claims.md C3), compared with the previous MRI of the joint.
CARTILAGE_CHANGES = [
    ("improved", _("Improved")),
    ("unchanged", _("Unchanged")),
    ("worse", _("Worse")),
    ("not_assessable", _("Not assessable")),
]
CARTILAGE_MEASURES = [
    ("volume", _("Cartilage volume")),
    ("t2_map", _("T2 map (e.g. Cartigram)")),
    ("dgemric", _("dGEMRIC")),
    ("morphology", _("Morphology only")),
]
MRI_MODALITIES = ("mri", "cartigram_mri")
VERDICTS = [
    ("eligible", _("Eligible")),
    ("eligible_with_conditions", _("Eligible with conditions")),
    ("not_eligible", _("Not eligible")),
]

# A region with its side as one phrase, so the side agrees with the region in gender and
# number where a language needs it ("rodilla derecha", "hombro derecho").
SITE_LABELS = {
    ("knee", "left"): pgettext_lazy("site", "Left knee"),
    ("knee", "right"): pgettext_lazy("site", "Right knee"),
    ("knee", "midline"): pgettext_lazy("site", "Knee, midline"),
    ("hip", "left"): pgettext_lazy("site", "Left hip"),
    ("hip", "right"): pgettext_lazy("site", "Right hip"),
    ("hip", "midline"): pgettext_lazy("site", "Hip, midline"),
    ("shoulder", "left"): pgettext_lazy("site", "Left shoulder"),
    ("shoulder", "right"): pgettext_lazy("site", "Right shoulder"),
    ("shoulder", "midline"): pgettext_lazy("site", "Shoulder, midline"),
    ("ankle", "left"): pgettext_lazy("site", "Left ankle"),
    ("ankle", "right"): pgettext_lazy("site", "Right ankle"),
    ("ankle", "midline"): pgettext_lazy("site", "Ankle, midline"),
    ("elbow", "left"): pgettext_lazy("site", "Left elbow"),
    ("elbow", "right"): pgettext_lazy("site", "Right elbow"),
    ("elbow", "midline"): pgettext_lazy("site", "Elbow, midline"),
    ("wrist", "left"): pgettext_lazy("site", "Left wrist"),
    ("wrist", "right"): pgettext_lazy("site", "Right wrist"),
    ("wrist", "midline"): pgettext_lazy("site", "Wrist, midline"),
    ("hand", "left"): pgettext_lazy("site", "Left hand"),
    ("hand", "right"): pgettext_lazy("site", "Right hand"),
    ("hand", "midline"): pgettext_lazy("site", "Hand, midline"),
    ("tendon", "left"): pgettext_lazy("site", "Tendon, left"),
    ("tendon", "right"): pgettext_lazy("site", "Tendon, right"),
    ("tendon", "midline"): pgettext_lazy("site", "Tendon, midline"),
    ("muscle", "left"): pgettext_lazy("site", "Muscle, left"),
    ("muscle", "right"): pgettext_lazy("site", "Muscle, right"),
    ("muscle", "midline"): pgettext_lazy("site", "Muscle, midline"),
    ("spine_cervical", "left"): pgettext_lazy("site", "Cervical spine, left"),
    ("spine_cervical", "right"): pgettext_lazy("site", "Cervical spine, right"),
    ("spine_cervical", "midline"): pgettext_lazy("site", "Cervical spine, midline"),
    ("spine_thoracic", "left"): pgettext_lazy("site", "Thoracic spine, left"),
    ("spine_thoracic", "right"): pgettext_lazy("site", "Thoracic spine, right"),
    ("spine_thoracic", "midline"): pgettext_lazy("site", "Thoracic spine, midline"),
    ("spine_lumbar", "left"): pgettext_lazy("site", "Lumbar spine, left"),
    ("spine_lumbar", "right"): pgettext_lazy("site", "Lumbar spine, right"),
    ("spine_lumbar", "midline"): pgettext_lazy("site", "Lumbar spine, midline"),
}


def site_label(region: str, side: str | None) -> str:
    """A region with its side in the user's language ("Right knee"); the region alone without."""
    label = SITE_LABELS.get((region, side or ""))
    if label is not None:
        return str(label)
    return str(dict(REGIONS).get(region, region))
