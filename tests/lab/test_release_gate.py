"""The release gate: one function for the lot page and the release action; results never
overwritten; processing finished and frozen units stored; release with exception."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent, Signature
from autologic.common.domain.errors import ConflictError, DomainError, ValidationFailed
from autologic.lab import queries
from autologic.lab.actions import collection as lab
from autologic.lab.actions import labels
from autologic.lab.actions.release import (
    ReleaseException,
    disposition_result,
    record_result,
    release_lot,
    release_with_exception,
)
from autologic.lab.domain.processing import StepValues
from autologic.lab.models import QCResult, Release, Run, Unit
from tests.conftest import signed_in

from .conftest import ACS_STEPS, NOW, pass_qc, proof, store_units

LATER = NOW + timedelta(days=2)
pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(make_staff):
    return make_staff("nurse")


def release(lot, manager):
    return release_lot(lot, decision="released", proofs=[proof(manager)], notes="", now=LATER)


def page_blockers(client, lot) -> str:
    response = client.get(f"/lab/lots/{lot.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_release_refused_while_the_freezing_step_is_still_running(
    start_course, physician, tech, manager, freezer, fixed_clock
):
    """Seen on main: the page said "Every release condition is met" and the lot was released
    while freezing still ran; a nurse then thawed a unit that had never been stored."""
    from autologic.care import actions as care

    course = start_course()
    care.schedule_course(course=course, by=physician, expected_version=course.version)
    lot = lab.record_collection(
        course=course,
        collected_at=NOW,
        collected_by=physician,
        volume_ml=Decimal("60"),
        containers=6,
        container_type="10 mL glass-bead syringe",
        notes="",
        by=tech,
        now=NOW,
    )
    run = lab.start_run(lot, by=tech, now=NOW)
    t = NOW
    for key, spec in ACS_STEPS:
        end = t + timedelta(hours=spec["hours"])
        values = StepValues(t, end, **{k: v for k, v in spec.items() if k != "hours"})
        lab.record_step(run, key=key, values=values, by=tech, now=end)
        t = end
    units = lab.divide(run, count=6, volume_ml=Decimal(2), cells_million=None, by=tech, now=t)
    freezing = lab.record_step(run, key="freezing", values=StepValues(t), by=tech, now=t)
    labels.print_labels(units, by=tech, now=t)
    for unit in units:
        labels.set_label_state(unit.labels.get(), state="applied", by=tech, now=t)
    pass_qc(lot, tech)

    blockers = [b.message for b in queries.release_gate(lot)]
    assert blockers == [
        "Freezing at −20 °C is still running: enter its end time",
        "6 frozen unit(s) are not stored in a freezer box",
    ]
    html = page_blockers(signed_in(manager), lot)
    assert "Every release condition is met" not in html
    for text in blockers:
        assert text in html  # the page shows what the gate enforces, from the same function
    with pytest.raises(ValidationFailed, match="Freezing at −20 °C is still running"):
        release(lot, manager)

    end = t + timedelta(hours=1)
    lab.finish_step(freezing, values=StepValues(t, end, temperature_c=-20.0), by=tech, now=end)
    with pytest.raises(ValidationFailed, match="not stored in a freezer box"):
        release(lot, manager)
    store_units(lot, tech, end)
    assert queries.release_gate(lot) == []
    assert "Every release condition is met" in page_blockers(signed_in(manager), lot)
    release(lot, manager)
    assert Run.objects.get(collection=lot).finished_at is not None


def test_qc_result_never_overwritten_a_later_pass_does_not_release_a_failed_lot(
    make_lot, tech, manager
):
    """Seen on main: "does not conform · Fail" was replaced by a later "Pass" and the lot was
    released. The failure stands until QA disposes of it; the repeat is a new result."""
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    failed = QCResult.objects.get(collection=lot, attribute="appearance")
    with pytest.raises(ValidationFailed) as refused:
        record_result(lot, attribute="appearance", value="does not conform", by=tech, now=LATER)
    assert refused.value.field == "reason"
    failed = record_result(
        lot,
        attribute="appearance",
        value="does not conform",
        by=tech,
        now=LATER,
        reason="Second look, new light",
    )
    repeat = record_result(
        lot,
        attribute="appearance",
        value="conforms",
        by=tech,
        now=LATER + timedelta(hours=1),
        reason="Re-inspected against the reference card",
    )
    assert repeat.repeat_of == failed and failed.repeat_of is not None
    assert QCResult.objects.filter(collection=lot, attribute="appearance").count() == 3
    with pytest.raises(ValidationFailed, match="Appearance: failed"):
        release(lot, manager)
    html = page_blockers(signed_in(manager), lot)
    assert "Appearance: failed" in html and "Stands until QA disposes of it." in html
    assert "Re-inspected against the reference card" in html

    # The database itself refuses to rewrite or delete a result.
    with pytest.raises(DatabaseError), transaction.atomic():
        QCResult.objects.filter(pk=failed.pk).update(value="conforms", verdict="pass")
    with pytest.raises(DatabaseError), transaction.atomic():
        QCResult.objects.filter(pk=failed.pk).delete()
    failed.refresh_from_db()
    assert (failed.value, failed.verdict) == ("does not conform", "fail")

    disposition_result(
        failed,
        decision="invalidated",
        justification="Lamp fault at the bench; re-inspection conforms.",
        proof=proof(manager),
        now=LATER + timedelta(hours=2),
    )
    failed.refresh_from_db()
    assert failed.disposition == "invalidated" and failed.disposition_signature["signer"]
    release(lot, manager)
    assert audit.verify().ok


def test_qc_result_disposition_is_signed_once_and_only_for_a_failure(make_lot, tech, manager):
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    passed = QCResult.objects.get(collection=lot, attribute="appearance")
    with pytest.raises(ValidationFailed, match="Only a failed result"):
        disposition_result(
            passed, decision="invalidated", justification="x", proof=proof(manager), now=LATER
        )
    failed = record_result(
        lot,
        attribute="appearance",
        value="does not conform",
        by=tech,
        now=LATER,
        reason="Second look, new light",
    )
    with pytest.raises(ValidationFailed) as refused:
        disposition_result(
            failed, decision="invalidated", justification=" ", proof=proof(manager), now=LATER
        )
    assert refused.value.field == "justification"
    disposition_result(
        failed,
        decision="confirmed",
        justification="Haemolysis confirmed",
        proof=proof(manager),
        now=LATER,
    )
    with pytest.raises(ConflictError):
        disposition_result(
            failed, decision="invalidated", justification="later", proof=proof(manager), now=LATER
        )
    # A confirmed failure still blocks an ordinary release.
    with pytest.raises(ValidationFailed, match="Appearance: failed"):
        release(lot, manager)


def test_qc_numbers_strict_at_the_action_infinity_and_grouping_never_stored(make_lot, tech):
    lot = make_lot(store=True)
    for text in ("Infinity", "-inf", "NaN", "1e400", "-2"):
        with pytest.raises(ValidationFailed) as refused:
            record_result(lot, attribute="volume", value=text, by=tech, now=LATER)
        assert refused.value.field == "value"
    assert not QCResult.objects.filter(collection=lot).exists()


def test_release_with_exception_needs_a_physician_the_reason_and_the_patient_informed(
    make_lot, tech, manager, physician, nurse
):
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    record_result(
        lot, attribute="volume", value="1.5", by=tech, now=LATER, reason="Re-measured, 2 syringes"
    )
    view = queries.lot(lot.pk, lot.site)
    assert view is not None and view.waivable

    def attempt(approver, *, reason="Only product available; benefit outweighs risk.", told=True):
        return release_with_exception(
            lot,
            proofs=[proof(manager)],
            exception=ReleaseException(proof(approver), reason, told),
            notes="",
            now=LATER,
        )

    with pytest.raises(ValidationFailed) as refused:
        attempt(nurse)
    assert refused.value.field == "physician_username"
    with pytest.raises(ValidationFailed) as refused:
        attempt(physician, told=False)
    assert refused.value.field == "patient_informed"
    with pytest.raises(ValidationFailed) as refused:
        attempt(physician, reason="  ")
    assert refused.value.field == "exception_reason"
    assert not Release.objects.filter(collection=lot).exists()

    decided = attempt(physician)
    assert decided.with_exception and decided.approved_by == physician
    assert decided.patient_informed
    meanings = set(
        Signature.objects.filter(object_type="collection", object_id=str(lot.pk)).values_list(
            "meaning", flat=True
        )
    )
    assert meanings == {"released", "approved"}
    event = AuditEvent.objects.get(action="lot.released_with_exception", object_id=str(lot.pk))
    assert "Volume per syringe: failed" in str(event.changes)
    assert {u.status for u in Unit.objects.filter(collection=lot, parent__isnull=False)} == {
        "reserved"
    }


def test_release_with_exception_cannot_waive_unstored_units_or_missing_results(
    make_lot, tech, manager, physician
):
    lot = make_lot()  # frozen units not stored
    record_result(lot, attribute="volume", value="1.5", by=tech, now=LATER)
    with pytest.raises(DomainError) as refused:
        release_with_exception(
            lot,
            proofs=[proof(manager)],
            exception=ReleaseException(proof(physician), "Only product available.", True),
            notes="",
            now=LATER,
        )
    assert "not stored" in refused.value.message and "no result yet" in refused.value.message
    assert not Release.objects.filter(collection=lot).exists()


def test_post_release_result_recorded_and_a_failure_holds_the_lot(make_lot, tech, manager):
    """A result arriving after release is recorded (no longer "the lot is decided"); a failing
    one holds every unit not yet given, in the transaction that records it."""
    lot = make_lot(store=True)
    pass_qc(lot, tech)
    release(lot, manager)
    late = record_result(
        lot,
        attribute="sterility",
        value="growth",
        by=tech,
        now=LATER + timedelta(days=5),
        reason="7-day culture read",
    )
    assert late.after_release
    units = Unit.objects.filter(collection=lot, parent__isnull=False)
    assert {u.status for u in units} == {"quarantined"}
    assert lot.holds.filter(lifted_at__isnull=True, source="post_release_qc").exists()
    from autologic.recalls.models import Recall

    recall = Recall.objects.get()
    assert recall.trigger == "post_release_qc" and recall.result == late
    assert AuditEvent.objects.filter(action="recall.opened").exists()


def test_qc_page_shows_the_accepted_values_and_keeps_a_refused_value_at_its_field(make_lot, tech):
    lot = make_lot(store=True)
    client = signed_in(tech)
    html = client.get(f"/lab/lots/{lot.pk}/").content.decode()
    assert "A number, at least 0" in html  # the volume row's accepted values, beside its field
    assert '<option value="conforms"' in html and '<option value="does not conform"' in html
    response = client.post(
        f"/lab/lots/{lot.pk}/results/", {"attribute": "volume", "value": "Infinity"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    row = html[html.index('data-attribute="volume"') :]
    row = row[: row.index("</tr>")]
    assert 'value="Infinity"' in row  # what was typed is kept
    assert 'class="error"' in row and "A number is needed here" in row
    assert not QCResult.objects.filter(collection=lot).exists()


def test_release_blockers_shown_in_the_users_language(make_lot, manager):
    lot = make_lot()  # no QC result yet, frozen units not stored
    client = signed_in(manager)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    html = client.get(f"/lab/lots/{lot.pk}/").content.decode()
    section = html[html.index('data-testid="release-blockers"') :]
    section = section[: section.index("</div>")]
    assert "Aussehen: noch kein Ergebnis" in section
    assert "6 gefrorene Einheit(en) sind nicht in einer Gefrierbox eingelagert" in section
    assert "no result yet" not in section and "not stored" not in section
