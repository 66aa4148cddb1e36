"""Translated labels for the vocabulary codes, for forms and pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

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
VERDICTS = [
    ("eligible", _("Eligible")),
    ("eligible_with_conditions", _("Eligible with conditions")),
    ("not_eligible", _("Not eligible")),
]
