"""Translated labels for recalls and look-back."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ORIGINS = [
    ("unit", _("Unit")),
    ("lot", _("Lot")),
    ("donation", _("Donation")),
    ("reagent_lot", _("Reagent or kit lot")),
    ("excursion", _("Freezer excursion")),
    ("adverse_event", _("Adverse event")),
]
TRIGGERS = [
    ("manual", _("Started by hand")),
    ("post_release_qc", _("Result failed after release")),
]
FINDINGS = [
    ("given", _("Already given")),
    ("to_hold", _("Held by this recall")),
    ("held", _("Already in quarantine")),
    ("in_process", _("Still in processing")),
    ("closed", _("Discarded, expired or divided")),
]
REASONS = [
    ("patient", _("Patient whose product is affected")),
    ("physician", _("Physician of the course")),
    ("follow_up", _("Follow up: the product was given")),
    ("manager", _("Clinic manager")),
]
STEPS = [
    ("opened", _("Recall opened")),
    ("held", _("Units held")),
    ("notified", _("Notifications queued")),
    ("note", _("Note")),
    ("closed", _("Recall closed")),
]
