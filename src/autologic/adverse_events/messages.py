"""Refusals of the adverse-event rules in the user's language.

The domain raises a stable code with English text and parameters; this catalogue translates the
codes it knows and falls back to the shared catalogue (and then to the English text).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autologic.common.domain.errors import DomainError
from autologic.common.messages import message_for as common_message

MESSAGES = {
    "soc_required": _("Choose the system organ class of the other event."),
    "other_needs_text": _("Say what the other event is."),
    "unknown_term": _("Choose a CTCAE term from the list."),
    "grade_not_allowed": _("CTCAE v5.0 grades %(term)s only as %(allowed)s."),
    "unknown_criterion": _("Choose criteria from the list."),
    "serious_needs_criterion": _("A serious event needs at least one seriousness criterion."),
    "criteria_need_serious": _(
        "Seriousness criteria apply only to a serious event; mark it serious or clear them."
    ),
    "unknown_relatedness": _("Choose how likely the event is related."),
    "onset_future": _("The onset cannot be in the future."),
    "onset_before_injection": _("The onset cannot be before the linked injection was given."),
    "unknown_outcome": _("Choose an outcome from the list."),
    "resolution_date_required": _("A recovered event needs the date it resolved."),
    "resolution_date_not_resolved": _("Only a recovered or fatal event has a resolution date."),
    "resolution_before_onset": _("The resolution date cannot be before the onset."),
    "resolution_future": _("The resolution date cannot be in the future."),
    "fatal_needs_grade_5_term": _(
        "CTCAE v5.0 has no grade 5 for %(term)s; record a fatal event under the term that "
        "caused the death."
    ),
    "grade_5_is_fatal": _(
        "Grade 5 means death related to the event: use it exactly when the outcome is fatal."
    ),
    "fatal_is_serious": _("A fatal event is serious with the criterion 'results in death'."),
    "death_needs_fatal_outcome": _("The criterion 'results in death' needs the outcome 'fatal'."),
    "description_required": _("Describe the event."),
    "action_taken_required": _("Say what was done (or 'none')."),
    "text_too_long": _("This text is too long."),
    "unknown_injection": _("No such injection."),
    "injection_other_patient": _(
        "This injection was given to another patient; link one of this patient's."
    ),
    "unit_not_given": _("The unit must be the one given in the linked injection."),
    "unknown_unit": _("No such unit."),
    "unit_other_patient": _("This unit was made from another patient; link one of this patient's."),
    "other_site": _("This patient belongs to another clinic."),
    "stale_adverse_event": _(
        "Someone else updated this event while you were editing. Reload to see their "
        "follow-up; your entries are still in the form."
    ),
    "nothing_changed": _("Nothing changed: change a field or write a follow-up note."),
    "no_alert": _("You have no alert for this event."),
    "already_acknowledged": _("You have already acknowledged this alert."),
}


def message_for(error: DomainError) -> str:
    """Return a refusal's message in the active language."""
    template = MESSAGES.get(error.code)
    if template is None:
        return common_message(error)
    try:
        return str(template) % error.data if error.data else str(template)
    except (KeyError, TypeError, ValueError):
        return error.message


def add_error(form: forms.Form, error: DomainError) -> None:
    """Attach a refusal to the field it names, or to the whole form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, message_for(error))
