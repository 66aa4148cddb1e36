"""What the clinic's staff do with FHIR: hand over a copy of a patient's whole record."""

from __future__ import annotations

from datetime import datetime

from autologic.accounts.models import User
from autologic.audit.actions import audited_transaction, record_event
from autologic.interop.queries import RecordCopy


def hand_over_record(copy: RecordCopy, *, by: User, now: datetime) -> None:
    """Note that a staff member took the patient's whole record as a file (a disclosure: to the
    patient, or to the clinic that takes the patient over), with what it held."""
    with audited_transaction():
        record_event(
            actor=by,
            action="patient.everything",
            object_type="patient",
            object_id=copy.patient_id,
            changes={"channel": "download", "counts": dict(copy.counts)},
            now=now,
        )
