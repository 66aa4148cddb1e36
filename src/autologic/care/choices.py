"""Translated labels for resources, courses and their events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RESOURCE_KINDS = [
    ("room", _("Procedure room")),
    ("clinician", _("Clinician")),
    ("incubator", _("Incubator")),
    ("centrifuge", _("Centrifuge")),
    ("freezer", _("Freezer")),
    ("culture", _("Culture bank")),
]
# What a resource's capacity counts, by kind.
CAPACITY_UNITS = {
    "room": _("patient at a time"),
    "clinician": _("patient at a time"),
    "incubator": _("tubes"),
    "centrifuge": _("run at a time"),
    "freezer": _("positions"),
    "culture": _("cultures"),
}
CAPABILITIES = [
    ("ultrasound", _("Ultrasound")),
    ("fluoroscopy", _("Fluoroscopy")),
    ("harvest", _("Marrow or fat harvest")),
]
GUIDANCE = [("ultrasound", _("Ultrasound")), ("fluoroscopy", _("Fluoroscopy"))]
COURSE_STATUSES = [
    ("waiting", _("Waiting to be scheduled")),
    ("scheduled", _("Scheduled")),
    ("attention", _("Needs attention")),
    ("completed", _("Completed")),
    ("cancelled", _("Cancelled")),
]
EVENT_KINDS = [
    ("collection", _("Collection")),
    ("processing", _("Lab processing")),
    ("injection", _("Injection")),
    ("visit", _("Follow-up visit")),
    ("imaging", _("Imaging")),
    ("prom", _("Questionnaires")),
]
APPOINTMENT_STATUSES = [
    ("unscheduled", _("Not scheduled yet")),
    ("planned", _("Planned")),
    ("due", _("Due")),
    ("done", _("Done")),
    ("missed", _("Missed")),
    ("cancelled", _("Cancelled")),
]
# An event not yet done, missed or cancelled.
OPEN_APPOINTMENT_STATUSES = ("unscheduled", "planned", "due")
MISS_REASONS = [("missed", _("Patient did not come")), ("cancelled", _("Cancelled"))]
