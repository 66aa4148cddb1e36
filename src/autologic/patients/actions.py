"""State changes for patients and consents, each audited in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError
from django.db.models import F

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning, diff
from autologic.audit.journal import audited_transaction
from autologic.common import clock
from autologic.common.domain.errors import ConflictError
from autologic.common.locks import for_update
from autologic.patients.domain import name_key
from autologic.patients.models import Consent, Patient

PATIENT_FIELDS = (
    "mrn",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "preferred_language",
)
CONSENT_FIELDS = ("kind", "form_version", "given_on", "signed_by", "signer_relation")


def _next_mrn(site: Site) -> str:
    """Take the site's next free MRN number atomically, skipping numbers typed in by hand."""
    while True:
        Site.objects.filter(pk=site.pk).update(mrn_sequence=F("mrn_sequence") + 1)
        number = Site.objects.values_list("mrn_sequence", flat=True).get(pk=site.pk)
        candidate = f"{site.mrn_prefix}{number:07d}"
        if not Patient.objects.filter(site=site, mrn=candidate).exists():
            return candidate


def _snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def create_patient(
    *, site: Site, data: dict[str, Any], by: User, now: datetime | None = None
) -> Patient:
    """Register a patient at a site; a blank MRN takes the site's next number."""
    now = now or clock.now()
    values = {name: data.get(name, "") for name in PATIENT_FIELDS}
    try:
        with audited_transaction():
            if not values["mrn"]:
                values["mrn"] = _next_mrn(site)
            patient = Patient.objects.create(
                site=site,
                name_key=name_key(values["family_name"], values["given_name"]),
                created_at=now,
                updated_at=now,
                **values,
            )
            record_event(
                actor=by,
                site=site,
                action="patient.create",
                object_type="patient",
                object_id=patient.pk,
                changes=diff({}, values),
                now=now,
            )
    except IntegrityError as exc:
        raise ConflictError(
            "duplicate_mrn",
            f"MRN {values['mrn']} is already used at this site.",
            "mrn",
            {"mrn": values["mrn"]},
        ) from exc
    return patient


def update_patient(
    *,
    patient_id: int,
    site: Site,
    data: dict[str, Any],
    expected_version: int,
    by: User,
    now: datetime | None = None,
) -> Patient:
    """Change a patient's details unless someone else saved a newer version first."""
    now = now or clock.now()
    try:
        with audited_transaction():
            patient = for_update(Patient.objects).get(pk=patient_id, site=site)
            if patient.version != expected_version:
                raise ConflictError(
                    "stale_patient",
                    "Someone else saved this patient while you were editing. "
                    "Reload to see their changes; your entries are still in the form.",
                )
            before = _snapshot(patient, PATIENT_FIELDS)
            after = {name: data.get(name, before[name]) for name in PATIENT_FIELDS}
            changes = diff(before, after)
            if not changes:
                return patient
            for name, value in after.items():
                setattr(patient, name, value)
            patient.name_key = name_key(patient.family_name, patient.given_name)
            patient.version += 1
            patient.updated_at = now
            patient.save()
            record_event(
                actor=by,
                site=site,
                action="patient.update",
                object_type="patient",
                object_id=patient.pk,
                changes=changes,
                now=now,
            )
    except IntegrityError as exc:
        raise ConflictError(
            "duplicate_mrn",
            f"MRN {data.get('mrn')} is already used at this site.",
            "mrn",
            {"mrn": data.get("mrn")},
        ) from exc
    return patient


def add_consent(
    *,
    patient: Patient,
    data: dict[str, Any],
    proof: SignerProof,
    now: datetime | None = None,
) -> Consent:
    """Record a signed consent form; the recording staff member e-signs it as author."""
    now = now or clock.now()
    values = {name: data[name] for name in CONSENT_FIELDS}
    with audited_transaction():
        consent = Consent.objects.create(
            site=patient.site,
            patient=patient,
            recorded_by=proof.user,
            recorded_at=now,
            **values,
        )
        record_event(
            actor=proof.user,
            site=patient.site,
            action="consent.create",
            object_type="patient",
            object_id=patient.pk,
            changes={"consent_id": [None, consent.pk], **diff({}, values)},
            now=now,
        )
        apply_signature(
            proof,
            meaning=SignatureMeaning.AUTHORED,
            object_type="consent",
            object_id=consent.pk,
            content={"patient": patient.pk, **values},
            now=now,
        )
    return consent
