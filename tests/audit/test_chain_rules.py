"""The hash-chain rules, checked against SHA-256 over canonical JSON computed independently."""

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from autologic.audit.domain import (
    GENESIS_HASH,
    EventFields,
    canonical_time,
    diff,
    event_hash,
    verify_chain,
)

T0 = datetime(2026, 1, 5, 8, 30, 0, 123456, tzinfo=UTC)


def independent_hash(event: EventFields) -> str:
    """The rule written out by hand: sorted keys, compact separators, UTF-8, times as ...Z."""
    body = {
        "alg": "sha256-canonical-json-v1",
        "seq": event.seq,
        "occurred_at": "2026-01-05T08:30:00.123456Z" if event.occurred_at == T0 else None,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "site_id": event.site_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "prev_hash": event.prev_hash,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_chain(n: int) -> list[tuple[EventFields, str]]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        fields = EventFields(
            seq=seq,
            occurred_at=T0 + timedelta(seconds=seq),
            actor_id=7,
            actor_name="Anna Weber",
            site_id=1,
            action="patient.update",
            object_type="patient",
            object_id=str(seq),
            changes={"family_name": ["Müller", "Mueller"]},
            prev_hash=prev,
        )
        prev = event_hash(fields)
        rows.append((fields, prev))
    return rows


def test_event_hash_is_sha256_of_the_canonical_form():
    event = EventFields(
        1, T0, 7, "Anna Weber", 1, "patient.create", "patient", "42", {"given_name": [None, "Zoë"]}
    )
    assert event_hash(event) == independent_hash(event)


def test_times_are_written_in_utc_whatever_zone_they_arrive_in():
    tehran = timezone(timedelta(hours=3, minutes=30))
    assert canonical_time(T0.astimezone(tehran)) == "2026-01-05T08:30:00.123456Z"
    with pytest.raises(ValueError):
        canonical_time(datetime(2026, 1, 1))


def test_an_intact_chain_verifies_and_reports_its_head():
    rows = make_chain(5)
    report = verify_chain(rows)
    assert report.ok and report.count == 5 and report.head_hash == rows[-1][1]


def test_an_empty_chain_is_intact():
    assert verify_chain([]).ok


def test_an_altered_row_is_the_first_broken_one():
    rows = make_chain(6)
    fields, stored = rows[3]
    rows[3] = (replace(fields, changes={"family_name": ["Müller", "Meier"]}), stored)
    report = verify_chain(rows)
    assert not report.ok and report.first_broken_seq == 4


def test_an_altered_row_whose_hash_was_recomputed_breaks_the_next_link():
    rows = make_chain(6)
    fields, _ = rows[2]
    forged = replace(fields, actor_name="Someone Else")
    rows[2] = (forged, event_hash(forged))
    report = verify_chain(rows)
    assert not report.ok and report.first_broken_seq == 4


def test_a_deleted_row_is_reported_at_its_sequence_number():
    rows = make_chain(6)
    del rows[2]
    report = verify_chain(rows)
    assert not report.ok and report.first_broken_seq == 3


def test_a_row_inserted_out_of_band_is_caught():
    rows = make_chain(4)
    last_fields, last_hash = rows[-1]
    intruder = replace(last_fields, seq=5, prev_hash=last_hash, action="patient.delete")
    rows.append((intruder, "f" * 64))
    report = verify_chain(rows)
    assert not report.ok and report.first_broken_seq == 5


def test_diff_lists_only_changed_fields_as_before_after_pairs():
    before = {"family_name": "Müller", "date_of_birth": date(1958, 4, 12), "phone": ""}
    after = {"family_name": "Mueller", "date_of_birth": date(1958, 4, 12), "phone": None}
    assert diff(before, after) == {"family_name": ["Müller", "Mueller"]}
    assert diff({}, {"date_of_birth": date(1958, 4, 12)}) == {"date_of_birth": [None, "1958-04-12"]}
