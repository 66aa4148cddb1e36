"""Outcome and safety data for the FHIR tests, built through the app's real actions: PROMs
submitted (scored on submit) and saved in progress, adverse events recorded and followed up, a
registry consent.  The audit trail those actions write is the AuditEvent data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from autologic.accounts.models import User
from autologic.adverse_events import actions as ae
from autologic.adverse_events.models import AdverseEvent
from autologic.audit.actions import SignerProof
from autologic.care.models import Appointment
from autologic.clinical.models import AffectedRegion
from autologic.outcomes import actions as outcomes
from autologic.outcomes.models import Response
from autologic.patients import actions as patients
from autologic.patients.models import Consent, Patient


def koos(value: int) -> dict[str, int | None]:
    """A complete KOOS with every item at one value."""
    layout = {"P": 9, "S": 7, "A": 17, "SP": 5, "Q": 4}
    return {f"{p}{n}": value for p, c in layout.items() for n in range(1, c + 1)}


def prom(
    patient: Patient,
    instrument: str,
    answers: dict[str, int | None],
    *,
    by: User,
    now: datetime,
    on: date | None = None,
    staff_entered: bool = True,
) -> Response:
    """A questionnaire submitted outside any timepoint (from paper, entered by staff)."""
    entry = outcomes.Entry(
        instrument=instrument,
        answers=answers,
        completed_on=on or (now - timedelta(hours=12)).date(),
        language="en",
        mode="paper" if staff_entered else "tablet",
    )
    return outcomes.submit_response(
        patient, entry, by=by if staff_entered else None, staff_entered=staff_entered, now=now
    )


def draft(
    patient: Patient,
    appointment: Appointment,
    region: AffectedRegion,
    instrument: str,
    answers: dict[str, int | None],
    *,
    now: datetime,
) -> Response:
    """Answers saved so far at a timepoint (the portal's autosave): an in-progress response."""
    entry = outcomes.Entry(
        instrument=instrument,
        answers=answers,
        completed_on=now.date(),
        language="de",
        mode="web",
        region=region,
        appointment=appointment,
    )
    return outcomes.save_progress(patient, entry, now=now)


def judged(**overrides: Any) -> ae.FollowUp:
    """A non-serious mild recovering event, possibly procedure-related, unless told."""
    values: dict[str, Any] = {
        "grade": 1,
        "serious": False,
        "criteria": (),
        "related_product": "unlikely",
        "related_procedure": "possible",
        "outcome": "recovering",
        "action_taken": "Ice and rest.",
        "resolved_on": None,
        "note": "",
    }
    values.update(overrides)
    return ae.FollowUp(**values)


def adverse_event(
    patient: Patient,
    *,
    by: User,
    onset: datetime,
    now: datetime,
    term: str = "arthralgia",
    administration_id: int | None = None,
    **judgement: Any,
) -> AdverseEvent:
    """An adverse event recorded by ``by`` (judgement fields as keyword arguments)."""
    report = ae.Report(
        term=term,
        onset_at=onset,
        description="Knee pain the evening after the injection.",
        judged=judged(**judgement),
        administration_id=administration_id,
        **({"soc": "musculoskeletal", "term_other": "Knee stiffness"} if term == "other" else {}),
    )
    return ae.record_adverse_event(patient, report, by=by, now=now)


def follow_up_event(
    event: AdverseEvent, *, by: User, now: datetime, **judgement: Any
) -> AdverseEvent:
    """A follow-up of the event (its version grows)."""
    return ae.update_adverse_event(
        event.pk, judged(**judgement), by=by, expected_version=event.version, now=now
    )


def registry_consent(patient: Patient, by: User, now: datetime) -> Consent:
    return patients.add_consent(
        patient=patient,
        data={
            "kind": "registry",
            "form_version": "2026 rev 1",
            "given_on": now.date(),
            "signed_by": patient.full_name,
            "signer_relation": "self",
            "procedure": "",
        },
        proof=SignerProof(user=by, second_factor=True),
        now=now,
    )


def outcomes_world(patient: Patient, by: User, now: datetime) -> dict[str, Any]:
    """Something of every outcome and safety type at ``now`` (for the shared FHIR world): a
    scored NRS and KOOS, and a mild adverse event three hours before ``now``."""
    return {
        "nrs": prom(patient, "NRS", {"PAIN": 4}, by=by, now=now),
        "koos": prom(patient, "KOOS", koos(2), by=by, now=now),
        "adverse_event": adverse_event(
            patient, by=by, onset=now - timedelta(hours=3), now=now, term="headache"
        ),
    }
