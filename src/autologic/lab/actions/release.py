"""QA: deviation dispositions, QC results, and the signed release (or rejection) of a lot."""

from __future__ import annotations

from datetime import datetime

from autologic.accounts.models import User
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning
from autologic.audit.journal import audited_transaction
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab.actions.units import UnitRefused, change_state, locked
from autologic.lab.domain.holds import Disposing, check_disposal
from autologic.lab.domain.labels import reconcile
from autologic.lab.domain.release import LotFacts, ResultError, Verdict, describe, judge
from autologic.lab.domain.release import release_blockers as blockers
from autologic.lab.domain.states import Move, Refused, State
from autologic.lab.models import (
    Collection,
    Deviation,
    Disposal,
    Label,
    QCResult,
    Release,
    Unit,
)
from autologic.lab.signals import units_released
from autologic.protocols.domain.schema import SpecRow


def disposition_deviation(
    deviation: Deviation,
    *,
    decision: str,
    justification: str,
    proof: SignerProof,
    now: datetime,
) -> Deviation:
    """QA accepts or rejects a deviation with a justification and an electronic signature."""
    if decision not in ("accepted", "rejected"):
        raise ValidationFailed("decision", "Accept or reject the deviation.", "decision")
    if not justification.strip():
        raise ValidationFailed(
            "justification", "Give the reason for the decision.", "justification"
        )
    with audited_transaction():
        row = for_update(Deviation.objects).select_related("run__collection").get(pk=deviation.pk)
        if row.disposition != "open":
            raise ConflictError("decided", f"This deviation was already {row.disposition}.")
        row.disposition, row.justification = decision, justification.strip()
        row.decided_by, row.decided_at = proof.user, now
        row.save()
        apply_signature(
            proof,
            meaning=SignatureMeaning.REVIEWED,
            object_type="deviation",
            object_id=row.pk,
            content={"message": row.message, "decision": decision, "why": row.justification},
            now=now,
        )
        record_event(
            actor=proof.user,
            site=row.run.collection.site,
            action="deviation.disposition",
            object_type="collection",
            object_id=row.run.collection_id,
            changes={"deviation": row.pk, "disposition": ["open", decision]},
            now=now,
        )
    return row


def spec_row(collection: Collection, attribute: str) -> SpecRow:
    """The specification row for an attribute in the lot's pinned protocol version."""
    spec = collection.protocol.protocol.release
    for row in spec.specification if spec else []:
        if row.attribute == attribute:
            return row
    raise ValidationFailed(
        "unknown_attribute", f"{attribute!r} is not in the release specification.", "attribute"
    )


def record_result(
    collection: Collection, *, attribute: str, value: str, by: User, now: datetime
) -> QCResult:
    """Enter a QC result; it is judged against the specification in force for this lot."""
    row = spec_row(collection, attribute)
    try:
        verdict, number = judge(row, value)
    except ResultError as exc:
        raise ValidationFailed("result", str(exc), "value") from None
    with audited_transaction():
        lot = for_update(Collection.objects).get(pk=collection.pk)
        if Release.objects.filter(collection=lot).exists():
            raise ConflictError("lot_decided", "The lot is already decided; results are closed.")
        result = QCResult.objects.create(
            collection=lot,
            attribute=attribute,
            value=value.strip(),
            number=number,
            verdict=verdict.value,
            criterion=describe(row),
            method=row.method,
            by=by,
            at=now,
        )
        record_event(
            actor=by,
            site=lot.site,
            action="qc.result",
            object_type="collection",
            object_id=lot.pk,
            changes={"attribute": attribute, "value": value.strip(), "verdict": verdict.value},
            now=now,
        )
    return result


def lot_facts(collection: Collection) -> LotFacts:
    """Everything the release decision looks at for a lot, read from the database."""
    verdicts: dict[str, Verdict] = {}
    for attribute, verdict in (
        QCResult.objects.filter(collection=collection)
        .order_by("at", "id")
        .values_list("attribute", "verdict")
    ):
        verdicts[attribute] = Verdict(verdict)
    deviations = Deviation.objects.filter(run__collection=collection)
    units = list(
        Unit.objects.filter(collection=collection, parent__isnull=False).values_list(
            "identifier", "status"
        )
    )
    live = [name for name, status in units if status not in ("discarded", "expired")]
    labels = list(
        Label.objects.filter(unit__collection=collection, unit__parent__isnull=False).values_list(
            "unit__identifier", "state"
        )
    )
    reconciliation = reconcile(live, labels)
    return LotFacts(
        verdicts=verdicts,
        open_deviations=deviations.filter(disposition="open").count(),
        rejected_deviations=deviations.filter(disposition="rejected").count(),
        labels_balanced=reconciliation.balanced,
        label_problem=reconciliation.problem,
        units_waiting=sum(1 for _name, status in units if status == State.QUARANTINED.value),
    )


def release_lot(
    collection: Collection,
    *,
    decision: str,
    proofs: list[SignerProof],
    notes: str,
    now: datetime,
) -> Release:
    """Release the lot's quarantined units (or reject and discard them) under e-signature.

    The protocol's release specification says how many people sign; they must be different
    people, each re-authenticated.
    """
    if decision not in ("released", "rejected"):
        raise ValidationFailed("decision", "Release or reject the lot.", "decision")
    spec = collection.protocol.protocol.release
    needed = spec.signatures if spec else 1
    signers = {proof.user.pk for proof in proofs}
    if len(proofs) < needed or len(signers) < len(proofs):
        raise ValidationFailed(
            "signatures",
            f"This protocol needs {needed} signature(s) from different people.",
            "second_username" if needed > 1 else "password",
        )
    if decision == "rejected" and not notes.strip():
        raise ValidationFailed("notes", "Say why the lot is rejected.", "notes")
    with audited_transaction():
        # Lock order (docs/architecture.md): the course, then its lot, then the units.
        for_update(Course.objects).get(pk=collection.course_id)
        lot = for_update(Collection.objects).select_related("site").get(pk=collection.pk)
        if Release.objects.filter(collection=lot).exists():
            raise ConflictError("lot_decided", "This lot was already decided.")
        if decision == "released":
            problems = blockers(spec, lot_facts(lot))
            if problems:
                raise ValidationFailed(
                    "release_blocked",
                    "Release blocked: " + "; ".join(problems) + ".",
                    None,
                    {"problems": problems},
                )
        waiting = list(
            Unit.objects.filter(
                collection=lot, parent__isnull=False, status=State.QUARANTINED.value
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        content = {
            "lot": lot.pk,
            "chain": lot.chain.identifier,
            "decision": decision,
            "units": waiting,
            "results": list(
                QCResult.objects.filter(collection=lot).values_list("attribute", "value", "verdict")
            ),
        }
        signatures = [
            apply_signature(
                proof,
                meaning=SignatureMeaning.RELEASED
                if decision == "released"
                else SignatureMeaning.REVIEWED,
                object_type="collection",
                object_id=lot.pk,
                content=content,
                now=now,
            )
            for proof in proofs
        ]
        for unit_id in waiting:
            unit = locked(unit_id)
            if decision == "released":
                change_state(unit, Move.RELEASE, by=proofs[0].user, now=now)
            else:
                change_state(
                    unit,
                    Move.DISCARD,
                    by=proofs[0].user,
                    now=now,
                    reason=f"lot rejected: {notes.strip()}",
                )
        release = Release.objects.create(
            collection=lot,
            decision=decision,
            decided_at=now,
            signatures=signatures,
            first_signer=proofs[0].user,
            second_signer=proofs[1].user if len(proofs) > 1 else None,
            units=len(waiting),
            notes=notes.strip(),
        )
        if decision == "released":
            units_released.send(sender=Collection, course=lot.course, by=proofs[0].user, now=now)
        record_event(
            actor=proofs[0].user,
            site=lot.site,
            action=f"lot.{decision}",
            object_type="collection",
            object_id=lot.pk,
            changes={"units": len(waiting), "signatures": signatures},
            now=now,
        )
    return release


def requalify(unit: Unit, *, justification: str, proof: SignerProof, now: datetime) -> Unit:
    """After an excursion, QA returns a quarantined unit of a released lot to use, signed."""
    if not justification.strip():
        raise ValidationFailed(
            "justification", "Say why the unit is still usable.", "justification"
        )
    with audited_transaction():
        # The course first: re-reserving after the release locks it (docs/architecture.md).
        for_update(Course.objects).get(chain__units__pk=unit.pk)
        row = locked(unit.pk)
        released = Release.objects.filter(collection_id=row.collection_id, decision="released")
        if not released.exists():
            raise ValidationFailed(
                "lot_not_released", "Its lot was never released; release the lot instead.", None
            )
        signature = apply_signature(
            proof,
            meaning=SignatureMeaning.RELEASED,
            object_type="unit",
            object_id=row.identifier,
            content={"unit": row.identifier, "why": justification.strip()},
            now=now,
        )
        change_state(
            row,
            Move.RELEASE,
            by=proof.user,
            now=now,
            detail={"requalified": justification.strip(), "signature": signature},
            fields={"reserved_for": None},
        )
        units_released.send(sender=Unit, course=row.chain.course, by=proof.user, now=now)
    return row


def discard(
    unit: Unit, *, disposing: Disposing, witness: SignerProof, by: User, now: datetime
) -> Unit:
    """Discard a unit and record its disposal: a coded reason, the method and a witness who
    signs (damaged, expired thaw window, failed QC...)."""
    with audited_transaction():
        row = locked(unit.pk)
        dispose(row, disposing, witness=witness, by=by, now=now)
    return row


def dispose(
    row: Unit, disposing: Disposing, *, witness: SignerProof, by: User, now: datetime
) -> None:
    """Inside the caller's audited transaction: move a locked unit to discarded, take it out of
    its box, and record the disposal with the witness's signature (the ``Disposal`` row cites
    its audit event, so it is written as the transaction's events join the chain)."""
    from autologic.lab.actions.storage import check_out

    try:
        reason = check_disposal(disposing, by=by.pk, witness=witness.user.pk)
    except Refused as refused:
        raise UnitRefused(refused.code, refused.message, refused.field) from None
    if witness.user.site_id != row.site_id or not witness.user.is_active:
        raise ValidationFailed(
            "witness", "The witness must be active staff of this clinic.", "witness"
        )
    details = {
        "reason_code": disposing.reason_code,
        "method": disposing.method,
        "witness": witness.user.printed_name,
    }
    change_state(
        row,
        Move.DISCARD,
        by=by,
        now=now,
        reason=reason,
        detail=details,
        fields={"reserved_for": None},
    )
    check_out(row, by=by, now=now)
    signature = apply_signature(
        witness,
        meaning=SignatureMeaning.VERIFIED,
        object_type="unit",
        object_id=row.identifier,
        content={"unit": row.identifier, "disposed": reason, "method": disposing.method},
        now=now,
    )
    record_event(
        actor=by,
        site=row.site,
        action="unit.disposal",
        object_type="unit",
        object_id=row.identifier,
        changes={**details, "reason": disposing.reason.strip(), "signature": signature},
        now=now,
        then=lambda event: Disposal.objects.create(
            unit=row,
            reason_code=disposing.reason_code,
            reason=disposing.reason.strip()[:300],
            method=disposing.method,
            by=by,
            witness=witness.user,
            witness_signature=signature,
            at=now,
            audit_seq=event.seq,
        ),
    )
