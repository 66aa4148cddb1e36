"""Saved progress (the portal's autosave) is audited: one event per change of the answers."""

from __future__ import annotations

import pytest

from autologic.audit.models import AuditEvent
from autologic.outcomes import actions
from autologic.outcomes.models import Response
from tests.outcomes.conftest import follow_up, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def save(course, patient, fixed_clock):
    """Save answers to the baseline KOOS of the knee, as the portal does."""
    baseline = follow_up(course, "baseline")

    def go(answers: dict[str, int | None]) -> Response:
        entry = actions.Entry(
            instrument="KOOS",
            answers=answers,
            completed_on=fixed_clock.now().date(),
            language="en",
            mode="web",
            region=region(course, "knee"),
            appointment=baseline,
        )
        return actions.save_progress(patient, entry, now=fixed_clock.now())

    return go


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="prom.progress_saved").order_by("seq"))


def test_save_progress_is_audited(save, patient):
    response = save({"P1": 2, "P2": 1})
    (event,) = _events()
    assert event.object_type == "patient" and event.object_id == str(patient.pk)
    assert event.actor is None and event.site_id == patient.site_id
    assert event.changes == {
        "response_id": response.pk,
        "instrument": "KOOS",
        "timepoint": response.timepoint,
        "region_id": response.region_id,
        "items": ["P1", "P2"],
    }


def test_autosave_burst_adds_one_event_per_answer_change(save):
    save({"P1": 2})
    for _ in range(20):  # the phone resends the answer it already saved
        save({"P1": 2})
    assert len(_events()) == 1
    save({"P1": 3, "P2": None})  # one answer changed, one left unanswered as it was
    save({"P2": 4})
    events = _events()
    assert [e.changes["items"] for e in events] == [["P1"], ["P1"], ["P2"]]
    assert Response.objects.get().answers == {"P1": 3, "P2": 4}
    assert Response.objects.get().version == 3
