"""QA: deviation dispositions, QC results, and the signed release (or rejection) of a lot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autologic.accounts.models import User
from autologic.accounts.roles import Role
from autologic.audit.actions import SignerProof, apply_signature, record_event
from autologic.audit.domain import SignatureMeaning
from autologic.audit.journal import audited_transaction
from autologic.care.models import Course
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab.actions.units import UnitRefused, change_state, locked
from autologic.lab.domain.holds import Disposing, check_disposal
from autologic.lab.domain.release import Blocker, ResultError, Verdict, describe, judge
from autologic.lab.domain.states import Move, Refused, State
from autologic.lab.models import (
    Collection,
    Deviation,
    Disposal,
    QCResult,
    Release,
    Unit,
)
from autologic.lab.queries import release_gate
from autologic.lab.signals import results_failed_after_release, units_released
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
    spec = collection.course.plan.release
    for row in spec.specification if spec else []:
        if row.attribute == attribute:
            return row
    raise ValidationFailed(
        "unknown_attribute", f"{attribute!r} is not in the release specification.", "attribute"
    )


def record_result(
    collection: Collection,
    *,
    attribute: str,
    value: str,
    by: User,
    now: datetime,
    reason: str = "",
) -> QCResult:
    """Enter a QC result; it is judged against the specification in force for this lot.

    Nothing is overwritten: a second result for an attribute is a repeat test, recorded as a
    new result citing the one it repeats, and it needs its reason. Results may arrive after
    the lot's release (a 7-day sterility culture): one that fails puts every unit of the lot
    not yet given on QA hold, alerts the physicians and managers, and opens a look-back, in
    this transaction.
    """
    row = spec_row(collection, attribute)
    try:
        verdict, number = judge(row, value, locale=collection.site.default_language)
    except ResultError as exc:
        raise ValidationFailed("result", str(exc), "value") from None
    with audited_transaction():
        # Lock order (docs/architecture.md): the course, then its lot.
        for_update(Course.objects).get(pk=collection.course_id)
        lot = for_update(Collection.objects).select_related("site").get(pk=collection.pk)
        decided = Release.objects.filter(collection=lot).first()
        if decided is not None and decided.decision != "released":
            raise ConflictError("lot_decided", "The lot was rejected; results are closed.")
        previous = QCResult.objects.filter(collection=lot, attribute=attribute).last()
        if previous is not None and not reason.strip():
            raise ValidationFailed(
                "repeat_reason",
                f"{attribute} already has a result ({previous.value}); a repeat test is a new "
                "result: say why it was repeated.",
                "reason",
            )
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
            repeat_of=previous,
            reason=reason.strip()[:300] if previous is not None else "",
            after_release=decided is not None,
        )
        record_event(
            actor=by,
            site=lot.site,
            action="qc.result",
            object_type="collection",
            object_id=lot.pk,
            changes={
                "attribute": attribute,
                "value": value.strip(),
                "verdict": verdict.value,
                **({"repeat_of": previous.pk, "reason": result.reason} if previous else {}),
                **({"after_release": True} if decided is not None else {}),
            },
            now=now,
        )
        if decided is not None and verdict is Verdict.FAIL:
            results_failed_after_release.send(
                sender=QCResult, collection=lot, result=result, by=by, now=now
            )
    return result


def disposition_result(
    result: QCResult,
    *,
    decision: str,
    justification: str,
    proof: SignerProof,
    now: datetime,
) -> QCResult:
    """QA's signed disposition of a failed result: ``invalidated`` when an investigation found
    a laboratory error (the result no longer counts; a repeat does), ``confirmed`` when the
    failure stands (the lot is rejected, or released with a physician's exception)."""
    if decision not in ("invalidated", "confirmed"):
        raise ValidationFailed("decision", "Invalidate or confirm the result.", "decision")
    if not justification.strip():
        raise ValidationFailed(
            "justification", "Give the reason for the decision.", "justification"
        )
    with audited_transaction():
        lot = for_update(Collection.objects).select_related("site").get(pk=result.collection_id)
        row = for_update(QCResult.objects).get(pk=result.pk)
        if row.verdict != Verdict.FAIL.value:
            raise ValidationFailed(
                "not_failed", "Only a failed result needs a QA disposition.", "decision"
            )
        if row.disposition:
            raise ConflictError("decided", "This result already has a QA disposition.")
        signature = apply_signature(
            proof,
            meaning=SignatureMeaning.REVIEWED,
            object_type="qc_result",
            object_id=row.pk,
            content={
                "lot": lot.pk,
                "attribute": row.attribute,
                "value": row.value,
                "decision": decision,
                "why": justification.strip(),
            },
            now=now,
        )
        row.disposition, row.disposition_reason = decision, justification.strip()
        row.disposed_by, row.disposed_at = proof.user, now
        row.disposition_signature = signature
        row.save(
            update_fields=[
                "disposition",
                "disposition_reason",
                "disposed_by",
                "disposed_at",
                "disposition_signature",
            ]
        )
        record_event(
            actor=proof.user,
            site=lot.site,
            action="qc.result_disposition",
            object_type="collection",
            object_id=lot.pk,
            changes={
                "result": row.pk,
                "attribute": row.attribute,
                "disposition": ["", decision],
                "why": row.disposition_reason,
            },
            now=now,
        )
    return row


@dataclass(frozen=True)
class ReleaseException:
    """Why a non-conforming product is released all the same: the physician's signed approval,
    the reason, and that the patient was informed of the non-conformance."""

    approval: SignerProof  # the physician who approves, re-authenticated
    reason: str
    patient_informed: bool


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
    people, each re-authenticated. A release is refused while ``release_gate`` names anything.
    """
    if decision not in ("released", "rejected"):
        raise ValidationFailed("decision", "Release or reject the lot.", "decision")
    if decision == "rejected" and not notes.strip():
        raise ValidationFailed("notes", "Say why the lot is rejected.", "notes")
    return _decide(collection, decision, proofs, notes, now, exception=None)


def release_with_exception(
    collection: Collection,
    *,
    proofs: list[SignerProof],
    exception: ReleaseException,
    notes: str,
    now: datetime,
) -> Release:
    """Release a non-conforming lot on a physician's signed approval: a separate, audited path.

    Only non-conformance may be waived (a failed result that QA has not invalidated, or a
    deviation QA rejected); a missing result, an unfinished step, unstored units, a QA hold,
    an open deviation or unreconciled labels still block. The physician signs with the
    meaning "approved", besides the protocol's release signatures, and confirms that the
    patient was informed.
    """
    if exception.approval.user.role != Role.PHYSICIAN:
        raise ValidationFailed(
            "exception_physician",
            "Release with exception is approved by a physician.",
            "physician_username",
        )
    if not exception.reason.strip():
        raise ValidationFailed(
            "exception_reason",
            "Give the reason the non-conforming product is released.",
            "exception_reason",
        )
    if not exception.patient_informed:
        raise ValidationFailed(
            "patient_informed",
            "The patient must be informed of the non-conformance before release.",
            "patient_informed",
        )
    return _decide(collection, "released", proofs, notes, now, exception=exception)


def _decide(
    collection: Collection,
    decision: str,
    proofs: list[SignerProof],
    notes: str,
    now: datetime,
    *,
    exception: ReleaseException | None,
) -> Release:
    spec = collection.course.plan.release
    needed = spec.signatures if spec else 1
    signers = {proof.user.pk for proof in proofs}
    if len(proofs) < needed or len(signers) < len(proofs):
        raise ValidationFailed(
            "signatures",
            f"This protocol needs {needed} signature(s) from different people.",
            "second_username" if needed > 1 else "password",
        )
    with audited_transaction():
        # Lock order (docs/architecture.md): the course, then its lot, then the units.
        for_update(Course.objects).get(pk=collection.course_id)
        lot = for_update(Collection.objects).select_related("site").get(pk=collection.pk)
        if Release.objects.filter(collection=lot).exists():
            raise ConflictError("lot_decided", "This lot was already decided.")
        waived: list[Blocker] = []
        if decision == "released":
            blockers = release_gate(lot)
            if exception is None:
                _refuse_blocked(blockers)
            else:
                _refuse_blocked([b for b in blockers if not b.waivable])
                waived = blockers
                if not waived:
                    raise ValidationFailed(
                        "nothing_to_waive",
                        "The lot conforms; release it the ordinary way.",
                        None,
                    )
        waiting = list(
            Unit.objects.filter(
                collection=lot, parent__isnull=False, status=State.QUARANTINED.value
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        content: dict[str, object] = {
            "lot": lot.pk,
            "chain": lot.chain.identifier,
            "decision": decision,
            "units": waiting,
            "results": list(
                QCResult.objects.filter(collection=lot)
                .order_by("at", "id")
                .values_list("attribute", "value", "verdict", "disposition")
            ),
        }
        if exception is not None:
            content["exception"] = {
                "waived": [b.message for b in waived],
                "reason": exception.reason.strip(),
                "patient_informed": exception.patient_informed,
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
        if exception is not None:
            signatures.append(
                apply_signature(
                    exception.approval,
                    meaning=SignatureMeaning.APPROVED,
                    object_type="collection",
                    object_id=lot.pk,
                    content=content,
                    now=now,
                )
            )
        for unit_id in waiting:
            unit = locked(unit_id)
            if decision == "released":
                change_state(
                    unit,
                    Move.RELEASE,
                    by=proofs[0].user,
                    now=now,
                    detail={"with_exception": exception.reason.strip()} if exception else None,
                )
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
            with_exception=exception is not None,
            exception_reason=exception.reason.strip() if exception else "",
            approved_by=exception.approval.user if exception else None,
            patient_informed=exception.patient_informed if exception else False,
        )
        if decision == "released":
            units_released.send(sender=Collection, course=lot.course, by=proofs[0].user, now=now)
        record_event(
            actor=proofs[0].user,
            site=lot.site,
            action="lot.released_with_exception" if exception else f"lot.{decision}",
            object_type="collection",
            object_id=lot.pk,
            changes={
                "units": len(waiting),
                "signatures": signatures,
                **({"exception": content["exception"]} if exception else {}),
            },
            now=now,
        )
    return release


def _refuse_blocked(blockers: list[Blocker]) -> None:
    if blockers:
        texts = [b.message for b in blockers]
        raise ValidationFailed(
            "release_blocked",
            "Release blocked: " + "; ".join(texts) + ".",
            None,
            {"problems": texts},
        )


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
