"""Translated labels for the bedside."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

REACTIONS = [
    ("none", _("None")),
    ("pain_flare", _("Pain flare")),
    ("swelling", _("Swelling")),
    ("vasovagal", _("Vasovagal reaction")),
    ("bleeding", _("Bleeding or haematoma")),
    ("allergic", _("Allergic reaction")),
    ("other", _("Other (describe)")),
]
RESERVATION_ENDS = [
    ("administered", _("Administered")),
    ("replanned", _("Re-planned")),
    ("unusable", _("Unit no longer usable")),
]
# The protocol's injection route (protocols/domain/schema.py Injections.route).
ROUTES = [
    ("intra_articular", _("Intra-articular")),
    ("peritendinous", _("Peritendinous")),
    ("intramuscular", _("Intramuscular")),
    ("epidural_perineural", _("Epidural perineural")),
]
# Local anaesthetics at the bedside (injections/domain/procedure.py MAX_DOSE_MG).
ANAESTHETICS = [
    ("none", _("None given")),
    ("lidocaine", _("Lidocaine")),
    ("bupivacaine", _("Bupivacaine")),
    ("ropivacaine", _("Ropivacaine")),
]
# Approaches (injections/domain/procedure.py: which fit which route).
APPROACHES = [
    ("interlaminar", _("Interlaminar")),
    ("transforaminal", _("Transforaminal")),
    ("caudal", _("Caudal")),
    ("anterior", _("Anterior")),
    ("anterolateral", _("Anterolateral")),
    ("anteromedial", _("Anteromedial")),
    ("lateral", _("Lateral")),
    ("medial", _("Medial")),
    ("posterior", _("Posterior")),
    ("superolateral", _("Superolateral")),
]
