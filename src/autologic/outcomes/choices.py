"""Choices of the outcomes app."""

from django.utils.translation import gettext_lazy as _

MODES = [
    ("web", _("Patient, online")),
    ("paper", _("Paper form, entered by staff")),
    ("tablet", _("Tablet in clinic")),
    ("interview", _("Interview")),
    ("import", _("Imported from another system (FHIR)")),
]
RESPONSE_STATES = [
    ("in_progress", _("In progress")),
    ("submitted", _("Submitted")),
]
THRESHOLD_USES = [("change", _("Important change")), ("pass", _("Acceptable state"))]
REHAB_STATUSES = [
    ("started", _("Started")),
    ("done", _("Done")),
    ("problem", _("Problem")),
]
LATER_KINDS = [
    ("arthroplasty", _("Joint replacement")),
    ("repeat_orthobiologic", _("Another orthobiologic treatment")),
    ("other_surgery", _("Other surgery on this joint")),
]
LATER_SOURCES = [
    ("patient", _("The patient told us")),
    ("hospital", _("Hospital or surgeon's report")),
    ("clinic", _("Our own records")),
    ("registry", _("Joint replacement registry")),
]
