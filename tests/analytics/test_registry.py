"""The registry's measures on hand-built registries: denominators, failures, censoring, harms,
and the claims check with its verdicts, against cases worked by hand and against lifelines."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from autologic.analytics.domain import claims, registry, stats
from autologic.analytics.domain.registry import Criterion, Harm, LaterEvent, Measure, Treated
from autologic.outcomes.domain.thresholds import BY_ID, DEFAULTS

TODAY = date(2027, 6, 1)
CLAIMS = Path(registry.__file__).resolve().parents[1] / "claims"
NRS = ("NRS", "pain", "change")
THRESHOLDS = {key: BY_ID[ref] for key, ref in DEFAULTS.items()}


def hip(n: int, treated_on: date, **extra) -> Treated:
    values = {
        "key": f"{n}:{n}",
        "patient": n,
        "course": n,
        "site": "thr",
        "therapy": "cells_hip",
        "protocol": "cells-hip",
        "protocol_version": 3,
        "region": "hip",
        "side": "right",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": 2,
        "age": 60,
        "sex": "female",
        "treated_on": treated_on,
        "injections_planned": 1,
        "injections_received": 1,
        "closed": frozenset({"w12", "m12"}),
    }
    values.update(extra)
    return Treated(**values)


def pain(t: Treated, timepoint: str, value: float | None, days: int) -> Measure:
    return Measure(
        t.key, timepoint, "NRS", "pain", value, t.treated_on + timedelta(days=days), False
    )


def test_responder_rate_states_every_denominator() -> None:
    start = date(2026, 1, 1)
    rows = [hip(i, start) for i in range(1, 13)]
    measures = []
    for t in rows:
        measures.append(pain(t, "baseline", 7, -7))
    # 1-6: pain 7 -> 3 (improved by 4 >= MCID 2): responders.
    for t in rows[:6]:
        measures.append(pain(t, "m12", 3, 365))
    # 7-8: pain 7 -> 6: non-responders.
    for t in rows[6:8]:
        measures.append(pain(t, "m12", 6, 365))
    # 9: the score could not be calculated: missing, not a non-responder.
    measures.append(pain(rows[8], "m12", None, 365))
    # 10: hip replaced at 9 months, never answered at 12: a failure, counted as non-responder.
    later = [LaterEvent(10, "hip", "right", "arthroplasty", start + timedelta(days=270))]
    # 11: lost to follow-up.  12: its 12-month window is still open: not eligible.
    rows[11] = hip(12, start, closed=frozenset({"w12"}))
    reg = registry.Registry(TODAY, rows, measures, later)
    rate = registry.responder_rate(reg, rows, "m12", [Criterion(*NRS)], THRESHOLDS)
    assert (rate.treated, rate.eligible, rate.answered, rate.failed) == (12, 11, 8, 1)
    assert rate.responders == 6
    assert rate.missing == 2  # 9 (not calculable) and 11 (lost)
    assert rate.completeness == pytest.approx(9 / 11)
    assert rate.proportion.k == 6 and rate.proportion.n == 9
    assert rate.bounds.best == pytest.approx(8 / 11)
    assert rate.bounds.worst == pytest.approx(6 / 11)
    # Counting only arthroplasty as failure changes nothing here; counting none makes 10 missing.
    none = registry.responder_rate(reg, rows, "m12", [Criterion(*NRS)], THRESHOLDS, ())
    assert (none.failed, none.missing, none.eligible) == (0, 3, 11)


def test_a_second_course_on_the_same_joint_is_a_repeat_treatment() -> None:
    first = hip(1, date(2025, 1, 1))
    second = hip(2, date(2025, 9, 1), patient=1, course=2, key="2:2")
    other_side = hip(3, date(2025, 10, 1), patient=1, course=3, key="3:3", side="left")
    reg = registry.Registry(TODAY, [first, second, other_side])
    assert reg.failures(["repeat_orthobiologic"]) == {"1:1": date(2025, 9, 1)}
    assert reg.failures(["arthroplasty"]) == {}


def test_survival_censors_at_the_last_known_follow_up_and_matches_lifelines() -> None:
    start = date(2025, 1, 1)
    rows = [hip(i, start + timedelta(days=7 * i)) for i in range(1, 21)]
    measures, later = [], []
    rng = np.random.default_rng(4)
    expected_durations, expected_events = [], []
    for t in rows:
        if rng.random() < 0.3:
            on = t.treated_on + timedelta(days=int(rng.integers(30, 600)))
            later.append(LaterEvent(t.patient, "hip", "right", "arthroplasty", on))
            expected_durations.append((on - t.treated_on).days)
            expected_events.append(True)
        else:
            seen = int(rng.integers(10, 700))
            measures.append(pain(t, "m12", 3, seen))
            expected_durations.append(seen)
            expected_events.append(False)
    reg = registry.Registry(TODAY, rows, measures, later)
    curve = registry.survival(reg, rows, ["arthroplasty"])
    fitter = KaplanMeierFitter().fit(expected_durations, expected_events)
    for step in curve.steps:
        assert step.survival == pytest.approx(
            float(fitter.survival_function_at_times(step.time).iloc[0]), abs=1e-9
        )
    # Only other surgery counts: nobody failed, everyone is censored (a replacement ends the
    # follow-up it is known to).
    assert all(s.events == 0 for s in registry.survival(reg, rows, ["other_surgery"]).steps)


def test_median_interval_equals_lifelines() -> None:
    rng = np.random.default_rng(11)
    durations = rng.exponential(200, 80).round()
    events = rng.random(80) < 0.8
    curve = stats.kaplan_meier(durations.tolist(), events.tolist())
    median, low, high = claims.median_interval(curve)
    fitter = KaplanMeierFitter().fit(durations, events)
    assert median == fitter.median_survival_time_
    ci = median_survival_times(fitter.confidence_interval_)
    assert low == ci.iloc[0, 0]
    assert high == ci.iloc[0, 1]


def test_time_to_response_takes_the_first_follow_up_meeting_the_criterion() -> None:
    t = hip(1, date(2026, 1, 1))
    measures = [
        pain(t, "baseline", 8, -3),
        pain(t, "w2", 7, 14),  # improved by 1: not yet
        pain(t, "w6", 5, 42),  # improved by 3: the event at day 42
        pain(t, "w12", 7, 84),
    ]
    never = hip(2, date(2026, 1, 1))
    measures += [pain(never, "baseline", 8, -3), pain(never, "w12", 8, 85)]
    no_baseline = hip(3, date(2026, 1, 1))
    measures += [pain(no_baseline, "w12", 2, 80)]
    reg = registry.Registry(TODAY, [t, never, no_baseline], measures)
    curve = registry.time_to_response(reg, reg.treated, Criterion(*NRS), THRESHOLDS[NRS])
    assert curve.n == 2
    assert [(s.time, s.events, s.censored) for s in curve.steps] == [(42, 1, 0), (85, 0, 1)]


def test_durability_ends_at_the_first_follow_up_below_the_criterion_or_a_failure() -> None:
    kept = hip(1, date(2024, 1, 1))
    lost = hip(2, date(2024, 1, 1))
    replaced = hip(3, date(2024, 1, 1))
    measures = []
    for t in (kept, lost, replaced):
        measures += [pain(t, "baseline", 8, -1), pain(t, "w12", 4, 84)]
    measures += [pain(kept, "m12", 4, 365), pain(kept, "m24", 5, 730)]
    measures += [pain(lost, "m12", 7, 365)]
    later = [LaterEvent(3, "hip", "right", "arthroplasty", date(2024, 1, 1) + timedelta(days=500))]
    reg = registry.Registry(TODAY, [kept, lost, replaced], measures, later)
    curve = registry.durability(reg, reg.treated, Criterion(*NRS), THRESHOLDS[NRS], "w12")
    assert [(s.time, s.events, s.censored) for s in curve.steps] == [
        (365, 1, 0),
        (500, 1, 0),
        (730, 0, 1),
    ]


def test_harm_rate_per_patient_and_per_injection() -> None:
    rows = [hip(i, date(2026, 1, 1), injections_received=2) for i in range(1, 11)]
    harms = [
        Harm(1, 1, 101, 1, False, True, "injection_site_reaction"),
        Harm(1, 1, 101, 2, False, True, "pain"),  # same injection: one injection counted
        Harm(2, 2, 201, 3, True, True, "infection"),
        Harm(3, None, None, 2, True, False, "fall"),  # not related, not at an injection
        Harm(99, 99, 9901, 4, True, True, "other"),  # another cohort's patient
    ]
    reg = registry.Registry(TODAY, rows, harms=harms)
    every = registry.harm_rate(reg, rows)
    assert (every.per_patient.k, every.per_patient.n) == (3, 10)
    assert (every.per_injection.k, every.per_injection.n) == (2, 20)
    assert every.by_grade == {1: 1, 2: 2, 3: 1}
    serious_related = registry.harm_rate(reg, rows, serious_only=True, related_only=True)
    assert serious_related.per_patient.k == 1
    assert serious_related.per_patient.method == "clopper-pearson"


def test_cohort_filters_on_process_data() -> None:
    rows = [
        hip(1, date(2026, 1, 1), incubation_hours=7.0),
        hip(2, date(2026, 1, 1), incubation_hours=9.5, deviations=1),
        hip(3, date(2026, 1, 1)),
    ]
    reg = registry.Registry(TODAY, rows)
    band = registry.Cohort(ranges=(("incubation_hours", 8.0, 12.0),))
    assert [t.key for t in band.rows(reg)] == ["2:2"]
    assert registry.Cohort(without_deviation=True).rows(reg) == [rows[0], rows[2]]
    assert registry.Cohort(regions=frozenset({"knee"})).rows(reg) == []


CLAIM = """
claims: test
version: 1
title: {en: Test page}
items:
  - id: C4
    quote: {en: "success rate between 75 and 85%"}
    source: {en: test}
    cohort: {therapies: [cells_hip]}
    measure: {kind: responders, timepoint: m12, criteria: [{instrument: NRS_PAIN, score: pain}]}
    claimed: {about: [75, 85]}
  - id: C7
    quote: {en: "back within 2 weeks"}
    source: {en: test}
    measure: {kind: daily_activities, timepoint: w2}
    claimed: {about: [90]}
  - id: HP
    quote: {en: "HOOS pain improves"}
    source: {en: test}
    measure: {kind: responders, timepoint: m12, criteria: [{instrument: HOOS, score: pain}]}
    claimed: {at_least: 50}
"""


def test_claims_are_judged_beside_the_measurement() -> None:
    file = claims.parse_claims(yaml.safe_load(CLAIM), "test.yaml")
    start = date(2025, 1, 1)
    rows = [hip(i, start) for i in range(1, 41)]
    measures = [pain(t, "baseline", 7, -1) for t in rows]
    # 20 of 40 respond: 50 %, Wilson [35 %, 65 %], wholly below 75-85 %.
    measures += [pain(t, "m12", 3 if t.patient <= 20 else 7, 365) for t in rows]
    reg = registry.Registry(TODAY, rows, measures)
    c4, c7, hoos = (claims.evaluate(c, reg, THRESHOLDS) for c in file.items)
    assert c4.verdict is stats.Verdict.NOT_CONSISTENT
    assert (c4.n, c4.value, c4.completeness, c4.counted) == (40, 0.5, 1.0, "joints")
    assert c4.low == pytest.approx(stats.wilson(20, 40).low)
    # Nobody was due at 2 weeks (the window never closed, nobody answered): no number, no verdict.
    assert (c7.kind, c7.n, c7.eligible) == ("proportion", 0, 0)
    assert c7.verdict is stats.Verdict.NOT_ENOUGH_DATA
    # No important change of HOOS pain is on file: measured as nothing, never guessed.
    assert hoos.reason == "no_threshold"


def test_few_patients_are_never_a_verdict() -> None:
    file = claims.parse_claims(yaml.safe_load(CLAIM), "test.yaml")
    rows = [hip(i, date(2025, 1, 1)) for i in range(1, 6)]
    measures = [pain(t, "baseline", 7, -1) for t in rows] + [pain(t, "m12", 7, 365) for t in rows]
    result = claims.evaluate(file.items[0], registry.Registry(TODAY, rows, measures), THRESHOLDS)
    assert result.small and result.verdict is stats.Verdict.NOT_ENOUGH_DATA
    assert result.needed == 97  # at 0 % the most demanding rate, 0.5, is assumed


@pytest.mark.parametrize(
    "change,path",
    [
        ({"version": 0}, "version"),
        (
            {
                "items": [
                    {
                        "id": "X",
                        "quote": {"en": "q"},
                        "source": {"en": "s"},
                        "measure": {
                            "kind": "responders",
                            "timepoint": "m6",
                            "criteria": [{"instrument": "KOOS", "score": "nonsense"}],
                        },
                        "claimed": {"at_least": 1},
                    }
                ]
            },
            "items.0.measure.responders.criteria.0",
        ),
        (
            {
                "items": [
                    {
                        "id": "X",
                        "quote": {"en": "q"},
                        "source": {"en": "s"},
                        "measure": {"kind": "harms"},
                        "claimed": {"at_least": 1, "at_most": 2},
                    }
                ]
            },
            "items.0.claimed",
        ),
        (
            {
                "items": [
                    {
                        "id": "X",
                        "quote": {"en": "q"},
                        "source": {"en": "s"},
                        "measure": {"kind": "harms"},
                        "claimed": {"at_most": 1, "unit": "weeks"},
                    }
                ]
            },
            "items.0",
        ),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_bad_claim_file_names_the_path(change, path) -> None:
    data = yaml.safe_load(CLAIM)
    data.update(change)
    with pytest.raises(claims.ClaimsInvalid) as caught:
        claims.parse_claims(data, "bad.yaml")
    assert any(issue.startswith(path) for issue in caught.value.data["issues"]), caught.value.data


def test_the_shipped_claim_files_hold_all_twelve_claims() -> None:
    ids = []
    newest: dict[str, claims.ClaimFile] = {}
    for path in sorted(CLAIMS.glob("*.yaml")):
        file = claims.parse_claims(yaml.safe_load(path.read_text()), path.name)
        if file.claims not in newest or newest[file.claims].version < file.version:
            newest[file.claims] = file
    for file in newest.values():
        ids += [c.id for c in file.items]
        for c in file.items:
            assert all(getattr(c.quote, lang) for lang in ("en", "de", "es", "fa")), c.id
            # Every claim of the files in force is measured; none waits for a capture.
            assert not isinstance(c.measure, claims.Unrecorded), c.id
    assert sorted(ids, key=lambda i: int(i[1:])) == [f"C{i}" for i in range(1, 13)]


def test_timepoints_order_by_their_distance_from_the_injection() -> None:
    keys = ["m24", "w2", "baseline", "m3", "w12", "m12-mri", "odd"]
    assert sorted(keys, key=registry.timepoint_days) == [
        "baseline",
        "w2",
        "w12",
        "m3",
        "m12-mri",
        "m24",
        "odd",
    ]


def test_follow_up_table_counts_due_answered_failed_and_lost() -> None:
    start = date(2025, 1, 1)
    rows = [hip(i, start, closed=frozenset({"w12"})) for i in range(1, 6)]
    measures = [pain(rows[0], "w12", 4, 84), pain(rows[1], "w12", None, 84)]
    later = [LaterEvent(3, "hip", "right", "arthroplasty", start + timedelta(days=40))]
    reg = registry.Registry(TODAY, rows, measures, later)
    [row] = registry.follow_up_table(reg, rows, "NRS", "pain")
    # 5 due; 1 answered; 1 replaced before; 3 lost (one of them answered nothing calculable).
    assert (row.timepoint, row.eligible, row.answered, row.failed, row.lost) == ("w12", 5, 1, 1, 3)
    assert row.completeness == pytest.approx(2 / 5)


def test_strata_by_category_by_tertiles_and_by_the_clinics_cut_points() -> None:
    rows = [
        hip(i, date(2025, 1, 1), sex="female" if i % 2 else "male", incubation_hours=float(i))
        for i in range(1, 10)
    ]
    by_sex = registry.strata(rows, "sex")
    assert [(s.label, len(s.rows)) for s in by_sex] == [("female", 5), ("male", 4)]
    # Values 1..9: statistics.quantiles(..., n=3, method="inclusive") cuts at 11/3 and 19/3,
    # shown to three significant figures.
    thirds = registry.strata(rows, "incubation_hours")
    assert [len(s.rows) for s in thirds] == [3, 3, 3]
    assert [s.label for s in thirds] == ["< 3.67", "3.67–6.33", "≥ 6.33"]
    chosen = registry.strata(rows, "incubation_hours", [8.0])
    assert [(s.label, len(s.rows)) for s in chosen] == [("< 8", 7), ("≥ 8", 2)]
    assert registry.strata([hip(1, date(2025, 1, 1))], "incubation_hours") == []
    with pytest.raises(ValueError):
        registry.strata(rows, "mrn")


def test_a_failure_after_the_timepoint_says_nothing_about_it() -> None:
    start = date(2025, 1, 1)
    t = hip(1, start, closed=frozenset({"w12", "m12"}))
    later = [LaterEvent(1, "hip", "right", "arthroplasty", start + timedelta(days=200))]
    reg = registry.Registry(TODAY, [t], [pain(t, "baseline", 7, -1)], later)
    early = registry.responder_rate(reg, [t], "w12", [Criterion(*NRS)], THRESHOLDS)
    assert (early.eligible, early.failed, early.missing) == (1, 0, 1)  # lost at 12 weeks
    late = registry.responder_rate(reg, [t], "m12", [Criterion(*NRS)], THRESHOLDS)
    assert (late.eligible, late.failed, late.missing) == (1, 1, 0)  # replaced by 12 months


def test_reactions_resolved_within_hours_of_those_whose_time_is_known() -> None:
    rows = [hip(i, date(2026, 1, 1)) for i in range(1, 6)]
    harms = [
        Harm(1, 1, 101, 1, False, True, "localized_edema", 3.0),
        Harm(2, 2, 201, 1, False, True, "paresthesia", 20.0),
        Harm(3, 3, 301, 1, False, True, "injection_site_reaction", 50.0),  # two days
        Harm(4, 4, 401, 1, False, True, "localized_edema", None),  # time not recorded
        Harm(5, 5, 501, 2, False, True, "arthralgia", 1.0),  # not swelling or numbness
        Harm(5, 5, None, 1, False, True, "localized_edema", 1.0),  # not after an injection
    ]
    reg = registry.Registry(TODAY, rows, harms=harms)
    resolved = registry.resolution_rate(reg, rows)
    assert (resolved.proportion.k, resolved.proportion.n, resolved.reactions) == (2, 3, 4)
    assert resolved.completeness == pytest.approx(3 / 4)
    assert resolved.proportion.method == "clopper-pearson"
    assert registry.resolution_rate(reg, rows, within_hours=72).proportion.k == 3


def activities(t: Treated, timepoint: str, value: int | None, days: int) -> Measure:
    on = t.treated_on + timedelta(days=days)
    return Measure(t.key, timepoint, "FOLLOWUP", "activities", value, on, True)


def test_back_to_daily_activities_counts_yes_among_the_due() -> None:
    start = date(2026, 1, 1)
    rows = [hip(i, start, closed=frozenset({"w2"})) for i in range(1, 21)]
    # 1-12 yes, 13-15 no, 16 answered nothing calculable, 17-18 never answered,
    # 19 replaced on day 10 (before 2 weeks, unanswered): not back; 20 replaced on day 30.
    measures = [activities(t, "w2", 1, 14) for t in rows[:12]]
    measures += [activities(t, "w2", 0, 15) for t in rows[12:15]]
    measures += [activities(rows[15], "w2", None, 14)]
    later = [
        LaterEvent(19, "hip", "right", "arthroplasty", start + timedelta(days=10)),
        LaterEvent(20, "hip", "right", "arthroplasty", start + timedelta(days=30)),
    ]
    reg = registry.Registry(TODAY, rows, measures, later)
    rate = registry.activities_rate(reg, rows, "w2")
    assert (rate.eligible, rate.answered, rate.responders, rate.failed) == (20, 15, 12, 1)
    assert rate.missing == 4  # 16 (not calculable), 17, 18 and 20 (failed after 2 weeks)
    assert rate.proportion.k == 12 and rate.proportion.n == 16
    assert rate.bounds.best == pytest.approx(16 / 20) and rate.bounds.worst == pytest.approx(
        12 / 20
    )
    # The claim file's C7 reads the same function.
    file = claims.parse_claims(yaml.safe_load(CLAIM), "test.yaml")
    c7 = claims.evaluate(file.items[1], reg, THRESHOLDS)
    assert (c7.n, c7.events, c7.eligible, c7.known) == (16, 12, 20, 16)
    assert c7.low == pytest.approx(stats.wilson(12, 16).low)


def reading(t: Treated, days: int, cartilage: str, measure: str = "t2_map") -> registry.Reading:
    return registry.Reading(
        t.patient, t.region, t.side, t.treated_on + timedelta(days=days), cartilage, measure
    )


def test_cartilage_reading_nearest_twelve_months() -> None:
    start = date(2025, 1, 1)
    rows = [hip(i, start) for i in range(1, 11)]
    late = hip(11, TODAY - timedelta(days=400))  # 12 months + 90 days not yet passed
    readings = [
        reading(rows[0], 365, "improved"),
        reading(rows[1], 300, "improved", "volume"),
        reading(rows[2], 420, "unchanged"),
        reading(rows[3], 365, "worse"),
        # The nearest of two readings counts: day 200 lies outside the window anyway.
        reading(rows[4], 200, "improved"),
        reading(rows[4], 370, "unchanged"),
        reading(rows[5], 365, "not_assessable"),  # read, but not judged: missing
        reading(rows[6], 365, "improved", "morphology"),  # not a chosen measure: missing
        reading(rows[7], 500, "improved"),  # outside the window: missing
        reading(late, 365, "improved"),  # in its window already: due and counted
    ]
    # 9 re-treated on day 100, before 12 months and unread: not improved.
    later = [LaterEvent(9, "hip", "right", "repeat_orthobiologic", start + timedelta(days=100))]
    reg = registry.Registry(TODAY, [*rows, late], later=later, readings=readings)
    rate = registry.cartilage_rate(reg, [*rows, late], 12, 90, ["volume", "t2_map"])
    # Due: 1-10 (windows closed) and 11 (read in its window).  Judged: 1-5 and 11; failed: 9.
    assert (rate.eligible, rate.answered, rate.responders, rate.failed) == (11, 6, 3, 1)
    assert rate.missing == 4  # 6 not assessable, 7 other measure, 8 outside, 10 never read
    not_due = hip(12, TODAY - timedelta(days=100))
    again = registry.cartilage_rate(reg, [not_due], 12, 90, ["t2_map"])
    assert again.eligible == 0


def test_claim_files_written_before_the_mri_reading_still_load() -> None:
    text = (CLAIMS / "seed-003.v1.yaml").read_text(encoding="utf-8")
    old = claims.parse_claims(yaml.safe_load(text), "seed-003.v1.yaml")
    c3 = next(c for c in old.items if c.id == "C3")
    result = claims.evaluate(c3, registry.Registry(TODAY, []), THRESHOLDS)
    assert (result.kind, result.reason) == ("unrecorded", "not_recorded")
    new = claims.parse_claims(
        yaml.safe_load((CLAIMS / "seed-003.v2.yaml").read_text(encoding="utf-8")), "v2"
    )
    measure = next(c for c in new.items if c.id == "C3").measure
    assert isinstance(measure, claims.Cartilage) and measure.months == 12


def test_cohorts_filter_and_group_by_body_mass_index() -> None:
    start = date(2026, 1, 1)
    rows = [
        hip(1, start, bmi=22.0),
        hip(2, start, bmi=27.5),
        hip(3, start, bmi=31.2),
        hip(4, start),
    ]
    reg = registry.Registry(TODAY, rows)
    # [25, 30): only the second; a joint without a BMI never belongs to a range.
    assert [t.patient for t in registry.Cohort(ranges=(("bmi", 25.0, 30.0),)).rows(reg)] == [2]
    groups = registry.strata(rows, "bmi", [25.0, 30.0])
    assert [(g.label, [t.patient for t in g.rows]) for g in groups] == [
        ("< 25", [1]),
        ("25–30", [2]),
        ("≥ 30", [3]),
    ]


def test_time_back_to_daily_activities_is_a_kaplan_meier_of_the_first_yes() -> None:
    start = date(2026, 1, 1)
    a, b, c, d = (hip(i, start) for i in range(1, 5))
    measures = [
        activities(a, "w2", 1, 14),
        activities(b, "w2", 0, 14),
        activities(b, "w6", 1, 42),
        activities(c, "w2", 0, 14),
        activities(c, "w6", 0, 42),
        pain(d, "w6", 3, 42),  # d was never asked the question: left out
    ]
    curve = registry.time_to_activities(
        registry.Registry(TODAY, [a, b, c, d], measures), [a, b, c, d]
    )
    # By hand: day 14, 3 at risk, 1 back: 2/3; day 42, 2 at risk, 1 back (c censored): 1/3.
    assert [(s.time, s.survival) for s in curve.steps] == [
        (14, pytest.approx(2 / 3)),
        (42, pytest.approx(1 / 3)),
    ]
    fitter = KaplanMeierFitter().fit([14, 42, 42], [True, True, False])
    assert curve.steps[-1].survival == pytest.approx(fitter.survival_function_.iloc[-1, 0])


def test_cohorts_filter_by_therapy_version_diagnosis_and_grading_system() -> None:
    start = date(2026, 1, 1)
    rows = [
        hip(1, start, protocol_version=2),
        hip(2, start, protocol_version=3, diagnosis="tendinopathy"),
        hip(3, start, grade_system="Outerbridge", grade=2),
        hip(4, start, therapy="acs", protocol="acs-large-joint", protocol_version=3),
    ]
    reg = registry.Registry(TODAY, rows)

    def members(**chosen) -> list[int]:
        return [t.patient for t in registry.Cohort(**chosen).rows(reg)]

    assert members(protocols=frozenset({"cells-hip"}), versions=frozenset({3})) == [2, 3]
    assert members(therapies=frozenset({"acs"})) == [4]
    assert members(diagnoses=frozenset({"tendinopathy"})) == [2]
    # Grade 2 by Kellgren-Lawrence is not grade 2 by Outerbridge.
    assert members(grade_system="KL", grades=frozenset({2})) == [1, 2, 4]
    assert members(grade_system="Outerbridge", grades=frozenset({2})) == [3]
