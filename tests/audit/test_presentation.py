"""Audit changes as a reader sees them: labels from the model, translated; dates in the clinic's
calendar; choices by their labels; ids, hashes and signature material left out."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from autologic.audit.presentation import ChangeRow, Shown, action_label, present
from autologic.common.domain.calendars import Calendar

pytestmark = pytest.mark.django_db  # the app registry and the catalogues, no rows

TEHRAN = Shown(Calendar.JALALI, ZoneInfo("Asia/Tehran"), "en")
BERLIN = Shown(Calendar.GREGORIAN, ZoneInfo("Europe/Berlin"), "de")


def test_a_registration_shows_labels_and_a_jalali_date_not_field_names():
    rows = present(
        "patient.create",
        {"date_of_birth": [None, "1971-05-02"], "family_name": [None, "Ahmadi"]},
        TEHRAN,
    )
    assert rows == [
        ChangeRow("date of birth", None, "1350/02/12"),
        ChangeRow("family name", None, "Ahmadi"),
    ]


def test_labels_and_choices_follow_the_user_language():
    with translation.override("de"):
        rows = present("patient.update", {"sex": ["male", "female"]}, BERLIN)
        assert rows == [ChangeRow("Geschlecht", "Männlich", "Weiblich")]


def test_ids_hashes_and_signatures_are_left_out():
    rows = present(
        "consent.create",
        {
            "consent_id": [None, 7],
            "record_hash": "ab12",
            "signature": {"meaning": "approval"},
            "kind": [None, "treatment"],
        },
        TEHRAN,
    )
    assert [row.label for row in rows] == ["consent type"]
    assert rows[0].after == "Treatment"


def test_a_datetime_is_shown_in_the_clinic_zone_and_a_list_is_not_a_pair():
    rows = present(
        "course.create",
        {"regions": ["knee left", "spine_lumbar midline"], "first": "2026-11-23T06:30:00+00:00"},
        Shown(Calendar.GREGORIAN, ZoneInfo("Europe/Berlin"), "en"),
    )
    assert rows[0] == ChangeRow("regions", None, "Left knee, Lumbar spine, midline")
    assert rows[1].label == "first appointment" and "07:30" in rows[1].after


def test_every_action_code_the_code_writes_has_a_label():
    import re
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "src" / "autologic"
    codes = set()
    for path in source.rglob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', text))
        codes |= set(re.findall(r'record_session\([^"]*"([a-z_]+\.[a-z_]+)"', text))
    unlabelled = {c for c in codes if action_label(c) == c.partition(".")[0].capitalize()}
    assert "session.start" in codes
    assert unlabelled == set()
