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


FA = Shown(Calendar.JALALI, ZoneInfo("Asia/Tehran"), "fa")


def test_codes_inside_events_read_as_words_in_persian(protocols):
    """Found by the seed walks in Persian: a consent's procedure, a decision's protocol and
    verdicts, a signature's meaning, the scheduler's method and a course's variant showed as
    codes (acs-spine, eligible, approved, greedy, adipose)."""
    with translation.override("fa"):
        consent = present("consent.create", {"procedure": [None, "acs-spine"]}, FA)
        decision = present(
            "eligibility.decide",
            {
                "protocol": "acs-spine v3",
                "computed_verdict": "eligible",
                "verdict": [None, "eligible"],
            },
            FA,
        )
        signed = present("signature.apply", {"meaning": "approved"}, FA)
        scheduled = present("course.schedule", {"method": "greedy"}, FA)
        course = present("course.create", {"protocol": "cells-hip v3", "variant": "adipose"}, FA)
        title = action_label("eligibility.decide")
    spine = protocols["acs-spine"].protocol.title.fa
    assert consent[0].after == spine
    assert decision[0].after == f"{spine} v3"
    assert decision[1].after == decision[2].after == "واجد شرایط"
    texts = " ".join(row.after for row in [*decision, *signed, *scheduled, *course])
    for code in ("acs-spine", "eligible", "approved", "greedy", "adipose"):
        assert code not in texts
    hip = protocols["cells-hip"].protocol
    assert course[1].after == next(v for v in hip.variants if v.key == "adipose").name.fa
    assert title == "تصمیم درباره واجد شرایط بودن امضا شد"


def test_a_clinical_record_event_uses_its_forms_labels_and_choices():
    with translation.override("es"):
        rows = present(
            "study.create", {"kind": [None, "cartigram_mri"], "result": [None, "normal"]}, BERLIN
        )
        assert action_label("study.create") == "Registro creado: Prueba preoperatoria"
    assert rows == [
        ChangeRow("Prueba", None, "RM con Cartigram"),
        ChangeRow("Resultado", None, "Normal"),
    ]
