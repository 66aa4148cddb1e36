"""The pure bedside rules: FEFO allocation with its warnings, and the bedside check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from autologic.common.domain.identifiers import check_character, make_din, parse
from autologic.injections.domain import bedside
from autologic.injections.domain.coverage import Need, Stock, allocate
from autologic.patients.domain import wristband_code

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def needs(count: int, regions=(1,)) -> list[Need]:
    return [Need(100 + i, i + 1, r, T0 + 7 * i * DAY) for i in range(count) for r in regions]


def test_first_expiry_first_out_and_never_past_expiry():
    stock = [
        Stock(1, "released", T0 + 365 * DAY),
        Stock(2, "released", T0 + 3 * DAY),  # only good for the first session
        Stock(3, "released", T0 + 100 * DAY),
    ]
    plan = allocate(needs(3), stock, T0 - DAY)
    assert plan.reserve == {(100, 1): 2, (101, 1): 3, (102, 1): 1}
    assert plan.warnings == []


def test_a_unit_expiring_before_its_session_is_not_used_and_is_warned():
    stock = [Stock(1, "released", T0 + DAY), Stock(2, "released", T0 + 2 * DAY)]
    plan = allocate(needs(2), stock, T0 - DAY)
    assert plan.reserve == {(100, 1): 1}
    assert [w.code for w in plan.warnings] == ["expiry"]
    assert plan.warnings[0].sessions == (2,)


def test_kept_reservations_do_not_move_and_dead_ones_are_dropped():
    stock = [
        Stock(1, "reserved", T0 + 365 * DAY, held=(100, 1)),
        Stock(2, "quarantined", T0 + 365 * DAY, held=(101, 1)),  # excursion
        Stock(3, "released", T0 + 365 * DAY),
        Stock(4, "reserved", T0 + 365 * DAY, held=(999, 1)),  # its session was cancelled
    ]
    plan = allocate(needs(2), stock, T0 - DAY)
    assert plan.keep == {(100, 1): 1}
    assert sorted(plan.drop) == [2, 4]
    assert plan.reserve == {(101, 1): 3}


def test_issued_units_keep_their_session_even_when_expiry_is_close():
    stock = [Stock(1, "thawed", T0 + DAY, held=(100, 1))]
    plan = allocate(needs(1), stock, T0)
    assert plan.keep == {(100, 1): 1} and plan.drop == []


def test_warnings_name_failed_qc_and_units_awaiting_release():
    stock = [Stock(1, "discarded", None, failed_qc=True), Stock(2, "quarantined", None)]
    plan = allocate(needs(3), stock, T0 - DAY)
    codes = [w.code for w in plan.warnings]
    assert codes == ["count", "qc", "pending"]
    assert plan.warnings[0].units == 2  # 3 sessions, 1 unit pending, 0 usable


@given(
    sessions=st.integers(0, 8),
    regions=st.integers(1, 2),
    lives=st.lists(st.integers(1, 80), max_size=20),
)
def test_allocation_is_a_matching_that_respects_expiry(sessions, regions, lives):
    wanted = needs(sessions, tuple(range(1, regions + 1)))
    stock = [Stock(i, "released", T0 + days * DAY) for i, days in enumerate(lives)]
    plan = allocate(wanted, stock, T0 - DAY)
    units = list(plan.reserve.values())
    assert len(units) == len(set(units))  # a unit serves one session
    by_slot = {n.slot: n for n in wanted}
    expiry = {s.unit_id: s.expires_at for s in stock}
    for slot, unit in plan.reserve.items():
        assert expiry[unit] > by_slot[slot].at
    assert len(plan.reserve) + len(plan.uncovered) == len(wanted)
    # FEFO finds a unit for every session whenever one exists (greedy is optimal here:
    # sessions in time order, each takes the earliest-expiring unit still good for it).
    fit = sorted(expiry.values())
    possible = 0
    for need in sorted(wanted, key=lambda n: (n.at, n.region_id)):
        good = [e for e in fit if e > need.at]
        if good:
            fit.remove(good[0])
            possible += 1
    assert len(plan.reserve) == possible
    assert bool(plan.warnings) == bool(plan.uncovered)


KNEE = bedside.Site(5, "knee", "left")
SESSION = bedside.Session(
    appointment_id=7,
    patient_id=1,
    mrn="A0000001",
    route="intra_articular",
    sites=(KNEE,),
    # Assessed for the course: both knees and the left hip (the course treats the left knee).
    assessed=(KNEE, bedside.Site(6, "knee", "right"), bedside.Site(8, "hip", "left")),
)
BAND = wristband_code("K7P2Q9X4M")  # the session patient's wristband
BANDS = {
    BAND: bedside.Band(BAND, patient_id=1, mrn="A0000001", voided=False),
    wristband_code("000000009"): bedside.Band(
        wristband_code("000000009"), patient_id=2, mrn="A0000009", voided=False
    ),
    wristband_code("OLD000001"): bedside.Band(
        wristband_code("OLD000001"), patient_id=1, mrn="A0000001", voided=True
    ),
}
DIN = make_din("0A001", 2026, 42)


def unit(**kw) -> bedside.ScannedUnit:
    base = dict(
        identifier=DIN.data,
        patient_id=1,
        mrn="A0000001",
        state="thawed",
        frozen=True,
        expires_at=T0 + 300 * DAY,
        thawed_at=T0 - timedelta(minutes=10),
        thaw_window_min=60,
        appointment_id=7,
        planned=bedside.Site(5, "knee", "left"),
    )
    base.update(kw)
    return bedside.ScannedUnit(**base)


def run(
    wristband=BAND,
    scan=None,
    found=None,
    region="knee",
    side="left",
    now=T0,
    session=SESSION,
    **more,
):
    code = bedside.read_band(wristband)
    return bedside.check(
        session,
        wristband=wristband,
        band=BANDS.get(code) if isinstance(code, str) else None,
        identifier=bedside.read_unit(scan if scan is not None else DIN.barcode),
        unit=found if found is not None else unit(),
        region=region,
        side=side,
        now=now,
        **more,
    )


def test_everything_matching_passes():
    assert run().outcome == "pass"
    assert run(wristband=f" {BAND.lower()[:5]} {BAND.lower()[5:]}\n").outcome == "pass"  # noise


def test_another_patients_unit_or_wristband_stops():
    verdict = run(found=unit(patient_id=2, mrn="A0000009"))
    assert verdict.outcome == "stop" and "MRN A0000009" in verdict.message
    assert run(wristband=wristband_code("000000009")).outcome == "stop"


def test_the_wristband_is_compared_by_its_code_never_by_the_mrn():
    # Issue 14: an MRN can be renumbered and handed to another patient; a wristband code cannot.
    assert run(wristband="A0000001").findings[0].code == "not_a_wristband"
    assert run(wristband=BAND[:-1] + ("0" if BAND[-1] != "0" else "1")).outcome == "fail"
    unknown = run(wristband=wristband_code("ZZZZZZZZZ"))
    assert unknown.outcome == "stop" and unknown.findings[0].code == "unknown_wristband"
    void = run(wristband=wristband_code("OLD000001"))
    assert void.outcome == "fail" and void.findings[0].code == "void_wristband"


def test_a_chain_label_is_not_a_unit_label():
    assert parse(DIN.barcode).kind == "din"
    from autologic.common.domain.identifiers import make_coi

    chain = make_coi("0A001", 2026, "ABC123")
    verdict = run(scan=chain.data + check_character(chain.data))
    assert verdict.outcome == "fail" and verdict.findings[0].code == "not_a_unit"


def test_site_mismatches_ask_for_an_override_and_missing_site_fails():
    assert run(side="right").outcome == "override"
    assert run(region="hip").findings[0].code == "wrong_region"
    assert run(region="").outcome == "fail"
    assert run(side="").findings[0].code == "no_side"


def test_state_problems_fail_with_the_guard_reason():
    assert run(found=unit(state="reserved")).findings[0].code == "not_issued"
    assert run(found=unit(state="issued", thawed_at=None)).findings[0].code == "not_thawed"
    late = T0 + timedelta(minutes=51)
    assert run(now=late).findings[0].code == "thaw_window"
    assert run(found=unit(appointment_id=8)).findings[0].code == "other_session"
    assert run(found=unit(state="administered")).findings[0].code == "wrong_state"


def test_bedside_override_only_to_a_region_assessed_for_the_course():
    assert run(side="right").outcome == "override"  # the right knee was assessed
    assert run(region="hip").outcome == "override"  # so was the left hip
    shoulder = run(region="shoulder")
    assert shoulder.outcome == "fail" and shoulder.findings[0].code == "not_assessed"
    assert "left shoulder was not assessed" in shoulder.message
    assert run(region="hip", side="right").findings[0].code == "not_assessed"


def test_bedside_route_must_be_the_protocols_and_is_never_overridden():
    assert run(route="intra_articular").outcome == "pass"
    assert run(route="").outcome == "pass"  # not given: the protocol's
    wrong = run(route="intramuscular")
    assert wrong.outcome == "fail" and wrong.findings[0].code == "wrong_route"
    assert wrong.findings[0].field == "route" and "no override" in wrong.message
    # Another route at another side is still refused, not offered as an override.
    assert run(route="intramuscular", side="right").outcome == "fail"


SPINE = bedside.Site(5, "spine_lumbar", "", "L4/L5")
SPINE_SESSION = bedside.Session(
    appointment_id=7,
    patient_id=1,
    mrn="A0000001",
    route="epidural_perineural",
    sites=(SPINE,),
    assessed=(SPINE, bedside.Site(6, "spine_lumbar", "", "L5/S1")),
)


def spine(level: str, **more):
    return run(
        found=unit(planned=bedside.Site(5, "spine_lumbar", "")),
        region="spine_lumbar",
        side="",
        session=SPINE_SESSION,
        level=level,
        **more,
    )


def test_bedside_spinal_level_is_compared_with_the_plan():
    assert bedside.spinal_level("l4-5") == bedside.spinal_level(" L4 / L5 ") == "L4/L5"
    assert bedside.spinal_level("L5-S1") == "L5/S1"
    assert spine("L4/L5").outcome == "pass"
    assert spine("l4-l5").outcome == "pass"
    other = spine("L5/S1")
    assert other.outcome == "override" and other.findings[0].code == "wrong_level"
    assert "L4/L5" in other.message and "L5/S1" in other.message
    assert spine("L3/L4").findings[0].code == "not_assessed"  # never assessed
    missing = spine("")
    assert missing.outcome == "fail" and missing.findings[0].code == "no_level"


def test_injection_timing_is_compared_with_the_plan_and_the_protocol_window():
    from datetime import date

    window = dict(
        earliest=date(2026, 12, 1), latest=date(2026, 12, 5), min_days=3, max_days=7, after=1
    )
    planned = date(2026, 12, 4)
    on_plan = bedside.Timing(planned, planned, **window)
    assert run(timing=on_plan).timing == ()
    early = run(timing=bedside.Timing(date(2026, 12, 2), planned, **window))
    assert early.outcome == "pass" and [f.code for f in early.timing] == ["off_plan"]
    assert "2 days early" in early.timing[0].message and not early.needs_timing_reason
    assert "3–7 days after injection 1" in early.timing[0].message
    assert early.when is not None and early.when.early == 2
    too_early = run(timing=bedside.Timing(date(2026, 11, 30), planned, **window))
    assert [f.code for f in too_early.timing] == ["too_early"] and too_early.needs_timing_reason
    assert "needs a reason" in too_early.timing[0].message
    too_late = run(timing=bedside.Timing(date(2026, 12, 7), planned, **window))
    assert [f.code for f in too_late.timing] == ["too_late"]
