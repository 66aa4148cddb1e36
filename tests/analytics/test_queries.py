"""The registry read from the database: a real injection, its lot's processing, questionnaires
at follow-ups, a later replacement and an adverse event; the claim file loaded and judged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

import autologic.analytics
from autologic.adverse_events import actions as ae
from autologic.analytics import actions, queries
from autologic.analytics.models import ClaimSet
from autologic.audit.models import AuditEvent
from autologic.care.models import Appointment
from autologic.clinical.actions import add_record
from autologic.clinical.models import Assessment
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.outcomes import actions as outcomes
from tests.adverse_events.conftest import report
from tests.conftest import signed_in

CLAIMS = Path(autologic.analytics.__file__).parent / "claims"


def answer(
    administration,
    key: str,
    pain: int,
    on: date,
    by,
    instrument: str = "NRS",
    answers: dict[str, int | None] | None = None,
) -> None:
    course = administration.appointment.course
    appointment = Appointment.objects.get(course=course, key=f"fu-{key}")
    outcomes.submit_response(
        administration.patient,
        outcomes.Entry(
            instrument=instrument,
            answers=answers if answers is not None else {"PAIN": pain},
            completed_on=on,
            language="en",
            mode="paper",
            region=administration.planned_region,
            appointment=appointment,
        ),
        by=by,
        staff_entered=True,
        now=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
    )


def test_the_registry_reads_a_treated_joint_with_its_process_data(
    administration, nurse, physician, fixed_clock
) -> None:
    given = administration.given_at.date()
    answer(administration, "baseline", 7, given, nurse)
    answer(administration, "m6", 3, given + timedelta(days=182), nurse)
    fixed_clock.current = administration.given_at + timedelta(days=2)
    ae.record_adverse_event(
        administration.patient,
        report(
            onset=administration.given_at + timedelta(hours=2),
            administration_id=administration.pk,
            grade=1,
            related_product="possible",
        ),
        by=physician,
        now=fixed_clock.now(),
    )
    outcomes.record_later_treatment(
        patient=administration.patient,
        region=administration.planned_region,
        kind="arthroplasty",
        performed_on=given + timedelta(days=300),
        source="hospital",
        note="",
        by=nurse,
        now=administration.given_at + timedelta(days=320),
    )
    assessment = administration.planned_region.assessment
    Assessment.objects.filter(pk=assessment.pk).update(height_cm=180, weight_kg=Decimal("81.0"))
    add_record(
        kind="imaging",
        patient=administration.patient,
        data={
            "modality": "mri",
            "region": "knee",
            "side": "left",
            "performed_on": given + timedelta(days=360),
            "findings": "Cartilage volume of the medial compartment larger than before.",
            "cartilage": "improved",
            "cartilage_measure": "volume",
            "read_by": "Dr. Weber",
        },
        by=physician,
    )
    today = given + timedelta(days=400)
    reg = queries.registry_for(administration.site, today)
    [t] = reg.treated
    assert t.bmi == pytest.approx(81 / 1.8**2)
    [reading] = reg.readings
    assert (reading.region, reading.side, reading.cartilage, reading.measure) == (
        "knee",
        "left",
        "improved",
        "volume",
    )
    course = administration.appointment.course
    assert t.key == f"{course.pk}:{administration.planned_region_id}"
    assert (t.therapy, t.protocol, t.region, t.side) == ("acs", "acs-large-joint", "knee", "left")
    assert t.treated_on == given
    assert (t.injections_received, t.injections_planned) == (1, course.injections)
    assert t.incubation_hours == pytest.approx(12)  # the lot's incubation step
    assert t.thaw_minutes == pytest.approx(25)  # thawed 25 minutes before it was given
    assert t.deviations == 0
    assert {"baseline", "w6", "m3", "m6"} <= t.closed  # windows closed by day 400
    assert "m24" not in t.closed
    pains = {(m.timepoint, m.value) for m in reg.measures if m.instrument == "NRS"}
    assert pains == {("baseline", 7.0), ("m6", 3.0)}
    assert reg.failures(["arthroplasty"]) == {t.key: given + timedelta(days=300)}
    [harm] = reg.harms
    assert (harm.course, harm.injection, harm.related, harm.serious) == (
        course.pk,
        administration.pk,
        True,
        False,
    )
    assert harm.resolved_hours is None  # recovering: no resolution time


def test_the_same_claim_file_loads_once_and_a_change_needs_a_version(site, manager) -> None:
    text = (CLAIMS / "seed-004.v1.yaml").read_text()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    row, new = actions.load_claims(
        site=site, text=text, source="seed-004.v1.yaml", by=manager, now=now
    )
    assert new and (row.code, row.version) == ("seed-004", 1)
    again, new = actions.load_claims(site=site, text=text, source="x", by=manager, now=now)
    assert (again.pk, new) == (row.pk, False)
    changed = text.replace("about: [75, 85]", "about: [70, 85]")
    with pytest.raises(ConflictError) as caught:
        actions.load_claims(site=site, text=changed, source="x", by=manager, now=now)
    assert caught.value.field == "version"
    newer = changed.replace("version: 1", "version: 2")
    row2, new = actions.load_claims(site=site, text=newer, source="x", by=manager, now=now)
    assert new and [r.version for r in queries.claim_sets(site)] == [2]
    # Version 1 again is already there: nothing changes, version 2 stays in force.
    assert actions.load_claims(site=site, text=text, source="x", by=manager, now=now) == (
        row,
        False,
    )
    assert [r.version for r in queries.claim_sets(site)] == [2]
    older = text.replace("claims: seed-004", "claims: other").replace("version: 1", "version: 3")
    actions.load_claims(site=site, text=older, source="x", by=manager, now=now)
    with pytest.raises(ConflictError) as stale:
        actions.load_claims(
            site=site,
            text=older.replace("version: 3", "version: 2"),
            source="x",
            by=manager,
            now=now,
        )
    assert stale.value.code == "older_version"
    assert AuditEvent.objects.filter(action="claims.load").count() == 3
    with pytest.raises(ValidationFailed) as bad:
        actions.load_claims(site=site, text="claims: [", source="x", by=manager, now=now)
    assert bad.value.field == "file"
    assert ClaimSet.objects.count() == 3


def test_the_claims_page_shows_each_claim_with_its_verdict(site, make_staff) -> None:
    manager = make_staff("manager")
    for name in ("seed-000.v1.yaml", "seed-003.v1.yaml", "seed-004.v2.yaml"):
        actions.load_claims(
            site=site,
            text=(CLAIMS / name).read_text(),
            source=name,
            by=manager,
            now=datetime(2027, 1, 1, tzinfo=UTC),
        )
    page = signed_in(manager).get(reverse("analytics:claims"))
    assert page.status_code == 200
    text = page.content.decode()
    for claim in range(1, 13):
        assert f'data-testid="claim-C{claim}"' in text
    # Nobody treated yet: no claim can be judged, and the page says why.
    assert text.count('data-verdict="not_enough_data"') == 12
    assert 'data-testid="qa-basis"' in text
    # C3 of seed-003 version 1 was written before the MRI reading existed: not measured.
    assert text.count('data-testid="unmeasured"') == 1


def test_the_claims_page_without_a_claim_file(site, make_staff) -> None:
    page = signed_in(make_staff("physician")).get(reverse("analytics:claims"))
    assert page.status_code == 200
    assert "No claim file is loaded" in page.content.decode()
