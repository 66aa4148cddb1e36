"""Translated labels for the lab's kinds and states."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

COLLECTION_KINDS = [
    ("blood_draw", _("Blood draw")),
    ("marrow_aspirate", _("Bone-marrow aspirate")),
    ("lipoaspirate", _("Lipoaspirate")),
]
ANAESTHESIA = [
    ("none", _("None")),
    ("local", _("Local anaesthesia")),
    ("local_sedation", _("Local anaesthesia with sedation")),
]
# What the donation's infectious-disease markers say about its product (identifiers-and-labels.md
# §8.3): labelled and stored apart unless every marker the protocol lists was tested negative.
INFECTIOUS_STATUSES = [
    ("negative", _("Tested negative")),
    ("not_evaluated", _("Not evaluated for infectious substances")),
    ("reactive", _("Biohazard: reactive infectious-disease marker")),
]
UNIT_KINDS = [
    ("specimen", _("Specimen")),
    ("syringe", _("Syringe")),
    ("vial", _("Vial")),
    ("bag", _("Bag")),
]
UNIT_STATES = [
    ("collected", _("Collected")),
    ("processing", _("Processing")),
    ("divided", _("Divided into units")),
    ("quarantined", _("Quarantined")),
    ("released", _("Released")),
    ("reserved", _("Reserved")),
    ("issued", _("Issued")),
    ("thawed", _("Thawed")),
    ("administered", _("Administered")),
    ("discarded", _("Discarded")),
    ("expired", _("Expired")),
]
DISPOSITIONS = [
    ("open", _("Waiting for QA")),
    ("accepted", _("Accepted")),
    ("rejected", _("Rejected")),
]
VERDICTS = [("pass", _("Pass")), ("fail", _("Fail")), ("recorded", _("Recorded"))]
RESULT_DISPOSITIONS = [
    ("invalidated", _("Invalidated (laboratory error)")),
    ("confirmed", _("Confirmed")),
]
RELEASE_DECISIONS = [("released", _("Released")), ("rejected", _("Rejected"))]
LABEL_STATES = [
    ("printed", _("Printed")),
    ("applied", _("Applied")),
    ("voided", _("Voided")),
    ("destroyed", _("Destroyed")),
]
DIRECTIONS = [("in", _("Checked in")), ("out", _("Checked out"))]
READING_SOURCES = [("manual", _("Typed in")), ("logger", _("Data logger"))]
# QA holds: what a hold covers, why it was placed, and how QA lifted it (signed).
HOLD_SCOPES = [
    ("unit", _("Unit")),
    ("lot", _("Lot")),
    ("chain", _("Chain of identity")),
    ("units", _("Units of a recall")),
]
HOLD_SOURCES = [
    ("manual", _("Placed by hand")),
    ("post_release_qc", _("Result failed after release")),
    ("recall", _("Recall and look-back")),
]
HOLD_DECISIONS = [
    ("released", _("Returned to use")),
    ("discarded", _("Disposed of")),
]
# Disposal of a unit: a coded reason, the method, and a witness who signs.
DISPOSAL_REASONS = [
    ("damaged", _("Container damaged or leaking")),
    ("expired", _("Past its expiry")),
    ("thaw_window", _("Thaw-to-injection window passed")),
    ("failed_qc", _("Failed QC")),
    ("qa_hold", _("QA hold: not returned to use")),
    ("contaminated", _("Contaminated or suspected contaminated")),
    ("cold_chain", _("Cold chain broken")),
    ("label", _("Label missing or unreadable")),
    ("not_needed", _("No longer needed (course ended)")),
    ("other", _("Other (say what)")),
]
DISPOSAL_METHODS = [
    ("incineration", _("Clinical-waste incineration")),
    ("autoclave", _("Autoclaved, then clinical waste")),
    ("chemical", _("Chemical inactivation, then clinical waste")),
    ("investigation", _("Sent for investigation")),
]
REAGENT_KINDS = [
    ("kit", _("Kit (e.g. glass-bead syringe)")),
    ("reagent", _("Reagent or medium")),
]

# The answers of qualitative QC rows and their criteria, as stored and as shown in each language
# (the stored value stays the English answer the specification judges).
QC_ANSWERS = [
    gettext_noop("not detected"),
    gettext_noop("detected"),
    gettext_noop("no growth"),
    gettext_noop("growth"),
    gettext_noop("conforms"),
    gettext_noop("does not conform"),
    gettext_noop("report"),
]
# Units of QC results that are words, not symbols (symbols such as mL and % stay as written).
QC_UNITS = [gettext_noop("million")]
