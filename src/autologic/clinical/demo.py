"""Demo preparation before collection: what a clinic records before a harvest or blood draw.

Everything goes through the real actions, so the gate before collection sees what it would see
in a clinic: the treatment consent for the protocol and negative infectious-disease markers.
"""

from __future__ import annotations

from datetime import date, timedelta

from autologic.accounts.models import User
from autologic.audit.actions import SignerProof
from autologic.clinical import actions
from autologic.clinical.models import MarkerTest
from autologic.patients import actions as patients
from autologic.patients.models import Consent, Patient
from autologic.protocols.models import ProtocolVersion


def prepare_for_collection(
    patient: Patient, protocol: ProtocolVersion, physician: User, today: date
) -> None:
    """Record the patient's signed consent for the protocol and negative markers (once)."""
    signed = today - timedelta(days=3)
    if not Consent.objects.filter(
        patient=patient, kind="treatment", procedure=protocol.code
    ).exists():
        patients.add_consent(
            patient=patient,
            data={
                "kind": "treatment",
                "form_version": "2026-1",
                "given_on": signed,
                "signed_by": patient.full_name,
                "signer_relation": "self",
                "procedure": protocol.code,
            },
            # The demo physician's signature, given when the demo is seeded.
            proof=SignerProof(user=physician, second_factor=True),
        )
    markers = protocol.protocol.preparation.markers
    if markers is None:
        return
    tested = set(MarkerTest.objects.filter(patient=patient).values_list("marker", flat=True))
    for marker in markers.tests:
        if marker.value in tested:
            continue
        actions.add_record(
            kind="marker_test",
            patient=patient,
            data={
                "marker": marker.value,
                "sampled_on": signed,
                "result": "negative",
                "method": "CMIA, clinic laboratory",
            },
            by=physician,
        )
