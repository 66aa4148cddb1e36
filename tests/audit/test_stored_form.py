"""What is hashed is exactly what the database gives back (issue 14: 1e16 broke verify on PG)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autologic.audit import queries
from autologic.audit.actions import record_event
from autologic.audit.domain import EventFields, event_hash, stored_form
from autologic.audit.journal import audited_transaction
from autologic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\x00", "\ud800"])),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _record(physician, value) -> AuditEvent:
    with audited_transaction():
        record_event(
            actor=physician,
            action="threshold.choose",
            object_type="site",
            object_id=physician.site_id,
            changes={"value": value},
        )
    return AuditEvent.objects.order_by("-seq").first()


def _rehash(event: AuditEvent) -> str:
    fields = EventFields(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        site_id=event.site_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=event.changes,
        prev_hash=event.prev_hash,
    )
    return event_hash(fields)


def test_a_threshold_of_1e16_does_not_break_audit_verify(physician):
    # PostgreSQL keeps JSON numbers as decimals: 1e16 came back as 10000000000000000.
    event = _record(physician, 1e16)
    event.refresh_from_db()
    assert event.changes == {"value": 10**16}
    assert _rehash(event) == event.hash
    assert queries.verify().ok


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=json_values)
def test_any_json_value_round_trips_through_the_database_with_its_hash(physician, value):
    event = _record(physician, value)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.changes == {"value": stored_form(value)}
    assert _rehash(stored) == stored.hash


def test_stored_form_keeps_text_for_what_json_cannot_hold():
    assert stored_form(math.nan) == "NaN" and stored_form(-math.inf) == "-Infinity"
    assert stored_form(-0.0) == 0 and stored_form(1.5) == 1.5
    assert stored_form(1e300) == 10**300
    assert stored_form("a\x00b\ud800") == "a\ufffdb\ufffd"
