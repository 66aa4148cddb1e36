"""Translated labels for adverse events; the codes come from the pure domain."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from autologic.adverse_events.domain import ctcae
from autologic.adverse_events.domain.notify import Reason
from autologic.adverse_events.domain.rules import Criterion, Outcome, Relatedness

# CTCAE term and SOC names are the international English terminology and stay untranslated,
# as MedDRA-coded terms do in regulatory reports.
TERMS = [
    *[(term.code, term.name) for term in sorted(ctcae.TERMS, key=lambda t: t.name)],
    (ctcae.OTHER, _("Other, specify (choose the system organ class)")),
]
SOCS = sorted(ctcae.SOCS.items(), key=lambda item: item[1])
GRADES = [
    (1, _("1 · Mild")),
    (2, _("2 · Moderate")),
    (3, _("3 · Severe or medically significant")),
    (4, _("4 · Life-threatening")),
    (5, _("5 · Death related to the event")),
]
CRITERIA = [
    (Criterion.DEATH.value, _("Results in death")),
    (Criterion.LIFE_THREATENING.value, _("Is life-threatening")),
    (Criterion.HOSPITALISATION.value, _("Requires hospitalisation or prolongs it")),
    (Criterion.DISABILITY.value, _("Persistent or significant disability or incapacity")),
    (Criterion.CONGENITAL_ANOMALY.value, _("Congenital anomaly or birth defect")),
    (Criterion.MEDICALLY_IMPORTANT.value, _("Other important medical event")),
]
RELATEDNESS = [
    (Relatedness.NOT_RELATED.value, _("Not related")),
    (Relatedness.UNLIKELY.value, _("Unlikely")),
    (Relatedness.POSSIBLE.value, _("Possible")),
    (Relatedness.PROBABLE.value, _("Probable")),
    (Relatedness.DEFINITE.value, _("Definite")),
]
OUTCOMES = [
    (Outcome.RECOVERING.value, _("Recovering / resolving")),
    (Outcome.RECOVERED.value, _("Recovered / resolved")),
    (Outcome.RECOVERED_WITH_SEQUELAE.value, _("Recovered with sequelae")),
    (Outcome.NOT_RECOVERED.value, _("Not recovered / not resolved")),
    (Outcome.FATAL.value, _("Fatal")),
    (Outcome.UNKNOWN.value, _("Unknown")),
]
REASONS = [
    (Reason.OPERATOR.value, _("Gave the injection")),
    (Reason.COURSE_PHYSICIAN.value, _("Physician of the course")),
    (Reason.SITE_PHYSICIAN.value, _("Physician of the clinic")),
    (Reason.MANAGER.value, _("Clinic manager")),
]
