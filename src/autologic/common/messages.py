"""The one place where a refused operation's code becomes a message in the user's language.

Domain modules cannot import Django's translation machinery, so they raise ``DomainError`` with a
stable code, an English message and parameters; pages, the API and commands show ``message_for``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from autologic.common.domain.errors import DomainError
from autologic.common.texts import translate_text

MESSAGES = {
    "invalid_date": _("This is not a date; use %(hint)s."),
    "impossible_date": _("%(text)s is not a real date."),
    "date_out_of_range": _("Enter a date from %(earliest)s to %(latest)s."),
    "time_out_of_range": _("Enter a time from %(earliest)s to %(latest)s."),
    "invalid_datetime": _("This is not a date and time; type it like %(hint)s."),
    "impossible_time": _("%(text)s is not a real time."),
    "invalid_phone": _(
        "%(text)s is not a valid phone number; a foreign number needs its country code (+…)."
    ),
    "phone_needs_country": _("Type the number with its country code, e.g. +49 30 1234567."),
    "invisible_character": _(
        "%(label)s contains an invisible character (%(character)s) that can change how it "
        "reads; remove it."
    ),
    "bidi_control": _(
        "%(label)s contains a direction control (%(character)s) that can show it in another "
        "order than it was typed; remove it."
    ),
    "stray_zwnj": _(
        "%(label)s has a zero-width non-joiner (U+200C) that joins nothing here; keep it only "
        "inside a word, between the two letters it separates."
    ),
    "invalid_mrn": _(
        "An MRN has 1 to 20 letters, digits or dashes and starts with a letter or digit."
    ),
    "birth_date_future": _("The date of birth is in the future."),
    "birth_date_too_old": _("The date of birth is more than %(years)s years ago."),
    "duplicate_mrn": _("MRN %(mrn)s is already used at this site."),
    "possible_duplicate": _(
        "Already registered with the same name and date of birth: %(names)s. Open that chart, "
        "or confirm that this is a different person."
    ),
    "stale_patient": _(
        "Someone else saved this patient while you were editing. "
        "Reload to see their changes; your entries are still in the form."
    ),
    "wrong_password": _("The password is not correct."),
    "wrong_otp": _("The authenticator code is not correct."),
    "otp_reused": _("This code was just used; wait for the next code."),
    "otp_required": _("Enter the code from your authenticator app."),
    "signing_locked": _("Too many failed signing attempts; wait %(minutes)s minutes."),
    "duplicate_username": _("The username %(username)s is taken."),
    "invalid_role": _("Unknown role %(role)s."),
    "override_needs_justification": _(
        "An override needs a justification of at least %(min)s characters."
    ),
    "stale_eligibility": _(
        "The record changed while you were reading the report; review it again."
    ),
    "physician_only": _("Only a physician may sign an eligibility decision."),
    "grade_without_system": _("A grade needs its classification system."),
    "conservative_ends_before_start": _("The treatment ends before it starts."),
    "fasting_not_recorded": _("Record when the patient last ate or drank (%(hours)s h fasting)."),
    "intake_after_collection": _("The last food or drink is after the collection time."),
    "fasting_too_short": _(
        "The patient fasted %(fasted)s h; the protocol asks for %(hours)s h before the harvest."
    ),
    "anaesthesia_not_recorded": _("Record the anaesthesia given."),
    "sedation_agent_missing": _("Name the sedation agent and dose."),
    "discharged_before_collection": _(
        "The discharge from the recovery room is before the collection."
    ),
    "discharged_in_future": _("The discharge time is in the future."),
    "rehab_phase_unknown": _("This course tracks no such rehabilitation phase."),
    "rehab_status_unknown": _("Choose started, done or problem."),
    "rehab_problem_needs_note": _("Describe the problem."),
    "rehab_note_too_long": _("The note is too long."),
    "rehab_injection_unplanned": _(
        "Rehabilitation counts from the injection, which is not planned yet."
    ),
    "rehab_before_injection": _(
        "Rehabilitation counts from the injection; nothing is recorded before it."
    ),
    "decision_not_eligible": _("A course can only start from an eligible decision."),
    "earliest_start_past": _("The earliest start cannot be in the past."),
    "injections_out_of_range": _("This protocol gives %(min)s to %(max)s injections."),
    "guidance_not_offered": _("This protocol is guided by %(allowed)s."),
    "variant_not_offered": _("This protocol offers the variants %(allowed)s."),
    "course_already_scheduled": _("This course is already scheduled."),
    "course_changed": _(
        "Someone else changed this course meanwhile; reload the page and try again."
    ),
    "course_cancelled": _("This course is cancelled."),
    "appointment_not_planned": _("Only a planned appointment can be missed or cancelled."),
    "duplicate_resource": _("This code is already used at this site."),
    "duplicate_closed_day": _("This day is already closed."),
    "bad_reason": _("Say whether the appointment was missed or cancelled."),
    # Gates before collection and processing (issue 15).
    "decision_not_final": _(
        "A course starts only from a final decision; this one is conditional. Meet its "
        "conditions and have a physician sign an eligible decision."
    ),
    "schedule_hold_not_started": _(
        "%(medication)s is not on hold; record when it was stopped before scheduling."
    ),
    "collected_in_future": _("The collection time is in the future."),
    "collected_before_course": _("The collection time is before the treatment course was created."),
    "volume": _("The volume must be more than 0 mL."),
    "containers": _("At least one container."),
    "markers_reactive": _(
        "The protocol stops processing: reactive infectious-disease marker(s) %(markers)s."
    ),
    "markers_missing": _("The protocol stops processing: no negative result for %(markers)s."),
    "marker_resulted": _("This marker has its result; record a repeat test as a new result."),
    "clinician_only": _("Only a physician or a nurse may confirm the medication hold."),
    "hold_classes": _("Choose the drug classes the patient has not taken."),
    "physician_exception_only": _("Only a physician may sign an exception to a gate."),
    "gate_not_exceptable": _("This protocol allows no exception to this gate."),
    "exception_needs_reason": _("An exception needs a reason of at least %(min)s characters."),
    "gate_already_excepted": _("This gate is already excepted."),
    "consent_needs_procedure": _("A treatment consent names the procedure it covers."),
    "box_infectious_mismatch": _(
        "%(unit)s cannot go into box %(box)s, which is kept for products of another "
        "infectious-disease status; store it in a box kept for them."
    ),
    "box_not_empty": _("The box still holds %(units)s; move them out first."),
    "bad_infectious": _("Choose what the box holds."),
    "anaesthetic_missing": _(
        "The protocol gives this injection under local anaesthesia: record the local "
        "anaesthetic, or that none was given."
    ),
    "anaesthetic_dose_without_agent": _("A dose was entered but no local anaesthetic was given."),
    "anaesthetic_unknown": _("Choose a local anaesthetic from the list."),
    "anaesthetic_dose_missing": _("Enter the dose of the local anaesthetic given, in mg."),
    "anaesthetic_dose_not_positive": _("The dose must be more than 0 mg."),
    "anaesthetic_dose_over_maximum": _(
        "%(dose)s mg is more than the maximum single dose of this local anaesthetic (%(max)s mg)."
    ),
    "approach_missing": _("Record the approach."),
    "approach_wrong_route": _("This approach does not fit the protocol's route."),
}


def message_for(error: DomainError) -> str:
    """Return the error's message in the active language (the English text if none is known).

    A code without its own entry here is translated from its English text (``common.texts``).
    """
    template = MESSAGES.get(error.code)
    if template is None:
        return translate_text(error.message)
    try:
        return str(template) % error.data if error.data else str(template)
    except (KeyError, TypeError, ValueError):
        return error.message
