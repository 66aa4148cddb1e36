"""Translated labels for the lab's kinds and states."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COLLECTION_KINDS = [
    ("blood_draw", _("Blood draw")),
    ("marrow_aspirate", _("Bone-marrow aspirate")),
    ("lipoaspirate", _("Lipoaspirate")),
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
RELEASE_DECISIONS = [("released", _("Released")), ("rejected", _("Rejected"))]
LABEL_STATES = [
    ("printed", _("Printed")),
    ("applied", _("Applied")),
    ("voided", _("Voided")),
    ("destroyed", _("Destroyed")),
]
DIRECTIONS = [("in", _("Checked in")), ("out", _("Checked out"))]
READING_SOURCES = [("manual", _("Typed in")), ("logger", _("Data logger"))]
