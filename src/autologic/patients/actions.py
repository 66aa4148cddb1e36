"""State changes for patients and consents, each audited in its own transaction."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError
from django.db.models import F, Max
from django.db.models.functions import Length

from autologic.accounts.models import Site, User
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning, diff
from autologic.audit.journal import audited_transaction
from autologic.common import clock
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.patients.domain import (
    WRISTBAND_ALPHABET,
    name_key,
    normalise_mrn,
    wristband_code,
)
from autologic.patients.models import Consent, ConsentWithdrawal, Patient, Wristband

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
CONSENT_FIELDS = (
    "kind",
    "form_version",
    "given_on",
    "signed_by",
    "signer_relation",
    "procedure",
)


def _next_mrn(site: Site) -> str:
    """Take the site's next free MRN number atomically, skipping numbers typed in by hand.

    A number already taken (typed in, or imported from the clinic's old system) moves the
    sequence past the highest number of the same form in one step, so the first registration
    after an import of 100,000 records does not try them one by one."""
    while True:
        Site.objects.filter(pk=site.pk).update(mrn_sequence=F("mrn_sequence") + 1)
        number = Site.objects.values_list("mrn_sequence", flat=True).get(pk=site.pk)
        candidate = f"{site.mrn_prefix}{number:07d}"
        if not Patient.objects.filter(site=site, mrn=candidate).exists():
            return candidate
        highest = (
            Patient.objects.filter(site=site, mrn__startswith=site.mrn_prefix)
            .annotate(width=Length("mrn"))
            .filter(width=len(candidate))
            .aggregate(Max("mrn"))["mrn__max"]
        )
        digits = (highest or "")[len(site.mrn_prefix) :]
        if digits.isdigit() and int(digits) > number:
            Site.objects.filter(pk=site.pk, mrn_sequence__lt=int(digits)).update(
                mrn_sequence=int(digits)
            )


def _snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def create_patient(
    *, site: Site, data: dict[str, Any], by: User | None, now: datetime | None = None
) -> Patient:
    """Register a patient at a site; a blank MRN takes the site's next number.  ``by`` is None
    for a patient a FHIR client imported (its import event names the client)."""
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
            issue_wristband(patient, by=by, now=now)
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
            if after["mrn"] != before["mrn"]:
                raise ValidationFailed(
                    "mrn_needs_renumbering",
                    "The MRN cannot be edited: renumber the patient (signed), which voids the "
                    "old wristbands.",
                    "mrn",
                )
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
    """Record a signed consent form; the recording staff member e-signs it as author.

    A treatment consent names the procedure (protocol code) it covers; the gate before
    collection looks for one that covers the course's protocol."""
    now = now or clock.now()
    values = {name: data.get(name, "") for name in CONSENT_FIELDS}
    if values["kind"] != "treatment":
        values["procedure"] = ""
    elif not values["procedure"]:
        raise ValidationFailed(
            "consent_needs_procedure",
            "A treatment consent names the procedure it covers.",
            "procedure",
        )
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


def issue_wristband(patient: Patient, *, by: User | None, now: datetime) -> Wristband:
    """Give the patient a new wristband code (a random serial that is never reused)."""
    with audited_transaction():
        for _attempt in range(8):
            code = wristband_code("".join(secrets.choice(WRISTBAND_ALPHABET) for _ in range(9)))
            if not Wristband.objects.filter(code=code).exists():
                break
        else:  # pragma: no cover - 36^9 codes
            raise ConflictError("wristband_code", "Could not draw an unused wristband code.")
        band = Wristband.objects.create(patient=patient, code=code, issued_at=now, issued_by=by)
        record_event(
            actor=by,
            site=patient.site,
            action="wristband.issue",
            object_type="patient",
            object_id=patient.pk,
            changes={"wristband": code},
            now=now,
        )
    return band


def renumber_patient(
    *,
    patient_id: int,
    site: Site,
    new_mrn: str,
    reason: str,
    proof: SignerProof,
    expected_version: int,
    now: datetime | None = None,
) -> Patient:
    """Change a patient's MRN under signature: the old wristbands are voided, a new one issued."""
    now = now or clock.now()
    new_mrn = normalise_mrn(new_mrn)
    if not reason.strip():
        raise ValidationFailed("reason", "Say why the patient is renumbered.", "reason")
    try:
        with audited_transaction():
            patient = for_update(Patient.objects).get(pk=patient_id, site=site)
            if patient.version != expected_version:
                raise ConflictError(
                    "stale_patient",
                    "Someone else saved this patient meanwhile; reload and renumber again.",
                )
            old = patient.mrn
            if new_mrn == old:
                raise ValidationFailed("same_mrn", "That is the patient's MRN already.", "mrn")
            patient.mrn, patient.version, patient.updated_at = new_mrn, patient.version + 1, now
            patient.save(update_fields=["mrn", "version", "updated_at"])
            voided = list(
                Wristband.objects.filter(patient=patient, voided_at__isnull=True).values_list(
                    "code", flat=True
                )
            )
            Wristband.objects.filter(patient=patient, voided_at__isnull=True).update(
                voided_at=now, void_reason=f"renumbered {old} -> {new_mrn}"[:300]
            )
            apply_signature(
                proof,
                meaning=SignatureMeaning.APPROVED,
                object_type="patient",
                object_id=patient.pk,
                content={"mrn": [old, new_mrn], "reason": reason.strip(), "voided": voided},
                now=now,
            )
            record_event(
                actor=proof.user,
                site=site,
                action="patient.renumber",
                object_type="patient",
                object_id=patient.pk,
                changes={"mrn": [old, new_mrn], "reason": reason.strip(), "voided": voided},
                now=now,
            )
            issue_wristband(patient, by=proof.user, now=now)
    except IntegrityError as exc:
        raise ConflictError(
            "duplicate_mrn", f"MRN {new_mrn} is already used at this site.", "mrn"
        ) from exc
    return patient


def withdraw_consent(
    *,
    consent: Consent,
    withdrawn_on: date,
    note: str,
    proof: SignerProof,
    now: datetime | None = None,
) -> ConsentWithdrawal:
    """Record that the patient withdrew a consent, e-signed by the staff member; audited.

    A consent is withdrawn once; the date lies between its signing and today."""
    now = now or clock.now()
    patient = consent.patient
    today = now.astimezone(ZoneInfo(patient.site.time_zone)).date()
    if withdrawn_on > today:
        raise ValidationFailed(
            "future_date", "The withdrawal date is in the future.", "withdrawn_on"
        )
    if withdrawn_on < consent.given_on:
        raise ValidationFailed(
            "before_consent",
            "The withdrawal date is before the consent was signed.",
            "withdrawn_on",
        )
    with audited_transaction():
        locked = for_update(Consent.objects).get(pk=consent.pk)
        if ConsentWithdrawal.objects.filter(consent=locked).exists():
            raise ConflictError(
                "already_withdrawn", "This consent has already been withdrawn.", "withdrawn_on"
            )
        row = ConsentWithdrawal.objects.create(
            consent=locked,
            withdrawn_on=withdrawn_on,
            note=note.strip(),
            recorded_by=proof.user,
            recorded_at=now,
        )
        record_event(
            actor=proof.user,
            site=patient.site,
            action="consent.withdraw",
            object_type="patient",
            object_id=patient.pk,
            changes={
                "consent_id": locked.pk,
                "kind": locked.kind,
                "withdrawn_on": withdrawn_on.isoformat(),
            },
            now=now,
        )
        apply_signature(
            proof,
            meaning=SignatureMeaning.AUTHORED,
            object_type="consent_withdrawal",
            object_id=row.pk,
            content={"consent": locked.pk, "withdrawn_on": withdrawn_on.isoformat()},
            now=now,
        )
    return row
