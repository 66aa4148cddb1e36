"""Portal rules without a database: tokens, expiry, the licence gate, wordings, reminder days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain import registry
from autologic.portal import domain
from autologic.portal.texts import shipped

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_tokens_are_long_random_and_only_their_hash_is_kept():
    a, b = domain.new_token(), domain.new_token()
    assert a != b and len(a) >= 43  # 32 random bytes, base64url
    assert domain.token_hash(a) != a and len(domain.token_hash(a)) == 64
    assert domain.token_hash(a) == domain.token_hash(a)


def test_a_link_lasts_to_the_end_of_the_window_in_the_clinic_zone():
    ends = domain.expires_at(NOW, date(2026, 12, 5), "Europe/Berlin")
    assert ends == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # midnight in Berlin (UTC+1)


def test_a_link_never_lasts_more_than_sixty_days():
    assert domain.expires_at(NOW, date(2027, 6, 1), "UTC") == datetime(2027, 1, 20, 9, tzinfo=UTC)
    assert domain.expires_at(NOW, None, "UTC") == datetime(2027, 1, 20, 9, tzinfo=UTC)


def test_the_gate_refuses_a_licence_that_needs_clearance_until_it_is_recorded():
    odi = registry.get("ODI")
    refusal = domain.gate(odi, "en", cleared=False, has_text=True)
    assert refusal is not None and refusal.code == "licence_not_cleared"
    assert domain.gate(odi, "en", cleared=True, has_text=True) is None


def test_the_gate_refuses_a_questionnaire_without_wording_in_the_language():
    refusal = domain.gate(registry.get("KOOS"), "fa", cleared=False, has_text=False)
    assert refusal is not None and refusal.code == "no_text"
    assert domain.gate(registry.get("KOOS"), "en", cleared=False, has_text=True) is None


def test_licensed_wordings_never_ship():
    instruments = {instrument for instrument, _ in shipped()}
    assert {"WOMAC", "ODI"}.isdisjoint(instruments)
    for instrument_id in ("WOMAC", "ODI"):
        assert not registry.get(instrument_id).licence.ships_item_texts


def test_every_shipped_wording_covers_every_item_with_the_right_number_of_options():
    found = shipped()
    assert {("KOOS", "en"), ("HOOS", "en"), ("NRS", "fa"), ("NRS", "de"), ("VAS", "es")} <= set(
        found
    )
    for (instrument_id, _language), texts in found.items():
        instrument = registry.get(instrument_id)
        asked = {q.id: q for q in texts.questions()}
        assert set(asked) == {i.id for i in instrument.items}
        for item in instrument.items:
            q = asked[item.id]
            assert q.is_scale or len(q.options) == item.high - item.low + 1


def test_koos_straightening_is_coded_always_as_zero():
    s4 = next(q for q in shipped()[("KOOS", "en")].questions() if q.id == "S4")
    assert s4.choices()[0] == (0, "Always")


def _file(**overrides):
    data = {
        "instrument": "NRS",
        "version": "1",
        "language": "de",
        "source": "test",
        "title": "Schmerz",
        "sections": [{"items": [{"id": "PAIN", "text": "Wie stark?", "scale": {"low": "0"}}]}],
    }
    data.update(overrides)
    return data


def test_a_wording_file_is_checked_and_errors_name_the_place():
    nrs = registry.get("NRS")
    assert domain.parse_texts(_file(), nrs).questions()[0].id == "PAIN"
    with pytest.raises(ValidationFailed) as wrong_version:
        domain.parse_texts(_file(version="2"), nrs)
    assert wrong_version.value.field == "version"
    with pytest.raises(ValidationFailed) as missing:
        domain.parse_texts(_file(sections=[{"items": []}]), nrs)
    assert "PAIN" in missing.value.message
    with pytest.raises(ValidationFailed) as unknown:
        domain.parse_texts(_file(sections=[{"items": [{"id": "X9", "text": "?"}]}]), nrs)
    assert unknown.value.field == "X9"
    koos_item = [{"id": "P1", "text": "?", "options": ["a", "b"]}]
    with pytest.raises(ValidationFailed) as count:
        domain.parse_texts(
            _file(instrument="KOOS", version="2012", sections=[{"items": koos_item}]),
            registry.get("KOOS"),
        )
    assert count.value.field == "P1" and "5 options" in count.value.message


def test_region_is_filled_into_the_wording():
    texts = shipped()[("NRS", "en")].with_region("left knee")
    assert "left knee" in texts.questions()[0].text
    assert "{region}" not in texts.questions()[0].text


def test_reminders_go_at_opening_on_the_due_day_and_three_days_before_closing():
    steps = domain.reminder_steps(date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 22))
    assert [(s.name, s.on) for s in steps] == [
        ("open", date(2026, 12, 1)),
        ("due", date(2026, 12, 8)),
        ("last", date(2026, 12, 19)),
    ]


def test_reminder_days_never_repeat_when_the_window_is_short():
    steps = domain.reminder_steps(date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 3))
    assert [s.name for s in steps] == ["open"]


def test_the_latest_step_that_has_come_is_due_and_none_after_the_window():
    steps = domain.reminder_steps(date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 22))
    assert domain.step_due(steps, date(2026, 11, 30), date(2026, 12, 22)) is None
    assert domain.step_due(steps, date(2026, 12, 9), date(2026, 12, 22)).name == "due"
    assert domain.step_due(steps, date(2026, 12, 23), date(2026, 12, 22)) is None


def test_no_shipped_title_waits_for_a_region() -> None:
    # The patient's list of questionnaires shows each title as it stands, without a region.
    assert all("{region}" not in texts.title for texts in shipped().values())
