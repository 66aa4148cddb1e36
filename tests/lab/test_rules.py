"""Pure lab rules: step deviations, release judgement, label reconciliation, storage, loggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autologic.lab.domain.labels import LabelContent, reconcile, zpl
from autologic.lab.domain.processing import StepValues, check_step, missing_values
from autologic.lab.domain.release import (
    BlockerKind,
    LotFacts,
    ResultError,
    ResultFact,
    Verdict,
    describe,
    judge,
    release_blockers,
)
from autologic.lab.domain.storage import (
    LoggerFileError,
    excursions,
    free_positions,
    parse_logger_csv,
    position_name,
)
from autologic.protocols.domain.schema import Release, SpecRow, Step

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
INCUBATION = Step.model_validate(
    {
        "key": "incubation",
        "kind": "incubation",
        "name": {"en": "Incubation"},
        "equipment": "incubator",
        "duration_h": {"min": 6, "max": 24},
        "temperature_c": {"min": 36, "max": 38},
    }
)
SPIN = Step.model_validate(
    {
        "key": "centrifugation",
        "kind": "centrifugation",
        "name": {"en": "Spin"},
        "equipment": "centrifuge",
        "duration_h": {"min": 0.25, "max": 0.5},
        "g_force": 2000,
        "spin_min": 10,
    }
)


def test_a_step_inside_its_window_has_no_deviation():
    values = StepValues(T0, T0 + timedelta(hours=6), temperature_c=36.0)
    assert check_step(INCUBATION, values) == []
    values = StepValues(T0, T0 + timedelta(hours=24), temperature_c=38.0)
    assert check_step(INCUBATION, values) == []


def test_time_and_temperature_outside_the_window_are_deviations():
    values = StepValues(T0, T0 + timedelta(hours=5, minutes=59), temperature_c=38.5)
    found = check_step(INCUBATION, values)
    assert [f.code for f in found] == ["duration", "temperature"]
    assert "6–24 h" in found[0].message
    assert "36–38 °C" in found[1].message


def test_centrifugation_must_match_g_and_minutes():
    values = StepValues(T0, T0 + timedelta(minutes=20), g_force=1800, spin_min=10)
    assert [f.code for f in check_step(SPIN, values)] == ["g_force"]
    assert missing_values(SPIN, StepValues(T0, T0)) == ["g_force", "spin_min"]


def row(**kw) -> SpecRow:
    return SpecRow.model_validate({"name": {"en": kw["attribute"]}, "method": "lab method", **kw})


def test_numeric_limits_are_inclusive_where_the_operator_says_so():
    viability = row(attribute="viability", operator=">=", limit=70, unit="%")
    assert judge(viability, "70")[0] is Verdict.PASS
    assert judge(viability, "69,9", locale="de")[0] is Verdict.FAIL
    endotoxin = row(attribute="endotoxin", operator="<", limit=0.5)
    assert judge(endotoxin, "0.5")[0] is Verdict.FAIL
    count = row(attribute="count", operator="between", limit=36, limit_max=44, unit="million")
    assert [judge(count, v)[0] for v in ("36", "44", "44.01")] == [
        Verdict.PASS,
        Verdict.PASS,
        Verdict.FAIL,
    ]
    assert describe(count) == "36–44 million"


def test_qualitative_results_and_unreadable_input():
    sterility = row(attribute="sterility", operator="not_detected")
    assert judge(sterility, "No growth")[0] is Verdict.PASS
    assert judge(sterility, "growth")[0] is Verdict.FAIL
    with pytest.raises(ResultError, match="The answer here is"):
        judge(sterility, "maybe")
    with pytest.raises(ResultError, match="A number is needed"):
        judge(row(attribute="viability", operator=">=", limit=70), "high")
    report = row(attribute="il1ra", operator="report", blocking=False)
    assert judge(report, "2014.8") == (Verdict.RECORDED, 2014.8)


def facts(**kw) -> LotFacts:
    base = {
        "results": {"viability": [ResultFact(Verdict.PASS)]},
        "open_deviations": 0,
        "rejected_deviations": 0,
        "labels_balanced": True,
        "label_problem": "",
        "units_waiting": 6,
    }
    return LotFacts(**{**base, **kw})


def texts(spec, lot) -> list[str]:
    return [b.message for b in release_blockers(spec, lot)]


SPEC = Release(
    specification=[
        row(attribute="viability", operator=">=", limit=70, unit="%"),
        row(attribute="sterility", operator="not_detected"),
        row(attribute="il1ra", operator="report", blocking=False),
    ],
    signatures=2,
)
PASSED = {"viability": [ResultFact(Verdict.PASS)], "sterility": [ResultFact(Verdict.PASS)]}


def test_release_blockers_name_every_reason():
    assert texts(SPEC, facts(results=PASSED)) == []
    problems = texts(
        SPEC,
        facts(
            results={"viability": [ResultFact(Verdict.FAIL)]},
            open_deviations=1,
            labels_balanced=False,
            label_problem="1 printed label(s) not yet applied",
            unfinished_steps=["freezing is still running: enter its end time"],
            unstored=2,
            on_hold=1,
        ),
    )
    assert problems == [
        "freezing is still running: enter its end time",
        "viability: failed (≥ 70 % required); a failed result stands until QA invalidates it",
        "sterility: no result yet",
        "1 deviation(s) wait for a QA disposition",
        "labels do not reconcile: 1 printed label(s) not yet applied",
        "2 frozen unit(s) are not stored in a freezer box",
        "1 unit(s) are on QA hold; lifting it needs a signed QA disposition",
    ]
    assert texts(None, facts()) == ["the protocol version has no release specification"]


def test_qc_result_never_overwritten_a_later_pass_does_not_hide_a_failure():
    """A "does not conform · Fail" followed by a "Pass" still blocks: the failure stands until
    QA invalidates it (a confirmed laboratory error), and then the repeat counts."""
    failed_then_passed = {
        **PASSED,
        "sterility": [ResultFact(Verdict.FAIL), ResultFact(Verdict.PASS)],
    }
    (blocker,) = release_blockers(SPEC, facts(results=failed_then_passed))
    assert blocker.kind is BlockerKind.NON_CONFORMING and blocker.waivable
    invalidated = {
        **PASSED,
        "sterility": [ResultFact(Verdict.FAIL, invalidated=True), ResultFact(Verdict.PASS)],
    }
    assert texts(SPEC, facts(results=invalidated)) == []
    only_invalidated = {**PASSED, "sterility": [ResultFact(Verdict.FAIL, invalidated=True)]}
    assert texts(SPEC, facts(results=only_invalidated)) == ["sterility: no result yet"]


def test_release_blocked_while_processing_unfinished_or_units_unstored():
    for lot in (
        facts(results=PASSED, unfinished_steps=["freezing is not recorded"]),
        facts(results=PASSED, unstored=6),
        facts(results=PASSED, on_hold=6),
    ):
        (blocker,) = release_blockers(SPEC, lot)
        assert not blocker.waivable  # a release with exception cannot skip these


@pytest.mark.parametrize(
    ("text", "locale", "number"),
    [
        ("2,014", "en", 2014.0),
        ("2,014", "de", 2.014),
        ("2.014", "de", 2014.0),
        ("1.234,5", "es", 1234.5),
        ("۲٫۵", "fa", 2.5),
        ("2.5", "fa", 2.5),
        ("  0.25 ", "en", 0.25),
    ],
)
def test_qc_numbers_are_read_strictly_in_the_clinic_locale(text, locale, number):
    report = row(attribute="il1ra", operator="report", blocking=False, unit="pg/mL")
    assert judge(report, text, locale=locale) == (Verdict.RECORDED, number)


@pytest.mark.parametrize(
    ("attribute", "operator", "limit", "unit", "text"),
    [
        ("volume", ">=", 2, "mL", "Infinity"),
        ("volume", ">=", 2, "mL", "inf"),
        ("endotoxin", "<", 0.5, "EU/mL", "-inf"),
        ("endotoxin", "<", 0.5, "EU/mL", "-0.1"),
        ("endotoxin", "<", 0.5, "EU/mL", "NaN"),
        ("endotoxin", "<", 0.5, "EU/mL", "1e-3"),
        ("viability", ">=", 70, "%", "101"),
        ("viability", ">=", 70, "%", "2,01"),
        ("viability", ">=", 70, "%", "0x50"),
    ],
)
def test_qc_numbers_refused_when_not_finite_malformed_or_implausible(
    attribute, operator, limit, unit, text
):
    spec = row(attribute=attribute, operator=operator, limit=limit, unit=unit)
    with pytest.raises(ResultError) as refused:
        judge(spec, text, locale="en")
    assert unit in str(refused.value)  # it says what a result looks like here


def test_qc_plausible_bounds_come_from_the_protocol_when_given():
    count = row(
        attribute="count",
        operator="between",
        limit=36,
        limit_max=44,
        unit="million",
        plausible={"min": 0, "max": 500},
    )
    assert judge(count, "40")[0] is Verdict.PASS
    with pytest.raises(ResultError, match="not plausible here; a result lies in 0–500 million"):
        judge(count, "4000")


def test_label_reconciliation_balances_only_when_every_label_is_accounted_for():
    units = ["U1", "U2"]
    good = reconcile(units, [("U1", "applied"), ("U2", "applied"), ("U2", "voided")])
    assert good.balanced
    assert good.counts == {"printed": 0, "applied": 2, "voided": 1, "destroyed": 0, "total": 3}
    pending = reconcile(units, [("U1", "applied"), ("U2", "printed")])
    assert not pending.balanced
    assert "1 printed label(s)" in pending.problem
    assert "1 unit(s) without an applied label" in pending.problem
    doubled = reconcile(["U1"], [("U1", "applied"), ("U1", "applied")])
    assert "more than one applied" in doubled.problem


def test_zpl_escapes_field_data_and_carries_the_barcode():
    label = LabelContent(
        barcode="0AB0126000001A076",
        linear="0AB0126000001A076",
        eye_readable="0AB01 26 000001 A0",
        check="G",
        chain="CH0AB0126K7P2Q9",
        chain_check="4",
        patient_name="DOE^X, Jane_",
        date_of_birth="1960-01-01",
        mrn="B000001",
        product_code="ACS-2ML",
        product_name="Autologous conditioned serum",
        volume="2 mL",
        index="1/6",
        collected="2026-11-21 10:00 CET",
        facility="Test Clinic (0AB01)",
        expiry="2027-11-21 10:00 CET",
        storage="≤ −18 °C",
    )
    text = zpl(
        label,
        {k: k.upper() for k in ("dob", "mrn", "unit", "expires", "collected", "facility", "store")},
        7.0,
    )
    assert text.startswith("^XA") and text.rstrip().endswith("^XZ")
    assert "^BCN,88,N,N,N^FD0AB0126000001A076^FS" in text
    assert "^BXN,4,200^FD0AB0126000001A076^FS" in text
    assert "DOE_5EX, Jane_5F" in text
    assert "FOR AUTOLOGOUS USE ONLY" in text


def test_free_positions_fill_in_reading_order_and_stop_when_full():
    assert free_positions(2, 2, {(0, 0)}, 2) == [(0, 1), (1, 0)]
    assert free_positions(2, 2, {(0, 0), (0, 1), (1, 0)}, 3) == [(1, 1)]
    assert position_name(0, 0) == "A1" and position_name(8, 8) == "I9"


def test_excursions_start_at_the_last_good_reading():
    t = [T0 + timedelta(hours=h) for h in range(6)]
    readings = [(t[0], -20), (t[1], -19), (t[2], -12), (t[3], -8), (t[4], -21), (t[5], -20)]
    (episode,) = excursions(readings, -30, -18)
    assert (episode.started_at, episode.first_bad_at, episode.ended_at) == (t[1], t[2], t[4])
    assert episode.worst_c == -8
    ongoing = excursions([(t[0], -20), (t[1], -5)], -30, -18)
    assert ongoing[0].ended_at is None


def test_logger_files_are_read_with_clear_errors():
    rows = parse_logger_csv('time,temp\n2026-11-21T08:00:00Z,-20.1\n2026-11-21 09:00,"-19,5"\n')
    assert rows == [(T0, -20.1), (T0 + timedelta(hours=1), -19.5)]
    with pytest.raises(LoggerFileError, match="line 2"):
        parse_logger_csv("time,temp\nyesterday,-20\n")
    with pytest.raises(LoggerFileError, match="not a temperature"):
        parse_logger_csv("2026-11-21T08:00:00Z,cold\n")
    with pytest.raises(LoggerFileError, match="no readings"):
        parse_logger_csv("time,temp\n")
