"""Eligibility verdicts for scenarios taken from the source clinic pages (shared/seeds).

Each row states the page's policy in words, the facts, and the verdict, the rule ids that must be
cited and the actions that must be listed.  The protocols are the shipped files, so a change to a
shipped protocol that alters a clinic's policy fails here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from autologic.clinical.domain.eligibility import (
    AuthorisationFacts,
    Facts,
    MedicationFacts,
    RegionFacts,
    StudyFacts,
    evaluate,
)
from autologic.protocols.files import LIBRARY, read_protocol

TODAY = date(2026, 11, 21)
PROTOCOLS = {
    code: read_protocol(LIBRARY / f"{code}.v1.yaml")
    for code in ("acs-large-joint", "acs-tendon", "acs-spine", "bm-msc-knee", "cells-hip")
}


def knee(grade: int | None, side: str = "left", system: str = "KL") -> RegionFacts:
    return RegionFacts(
        "knee", side, "", "osteoarthritis", system if grade is not None else "", grade
    )


def hip(grade: int | None) -> RegionFacts:
    return RegionFacts("hip", "right", "", "osteoarthritis", "KL", grade)


def facts(*regions: RegionFacts, age: int = 70, **extra: object) -> Facts:
    return Facts(today=TODAY, age=age, regions=regions, **extra)  # type: ignore[arg-type]


MSC_READY = {
    "studies": (
        StudyFacts("serology", date(2026, 10, 1), "normal"),
        StudyFacts("chest_xray", date(2026, 10, 1), "normal"),
        StudyFacts("ecg", date(2026, 10, 1), "normal"),
        StudyFacts("blood_tests", date(2026, 10, 1), "normal"),
    ),
    "authorisations": (
        AuthorisationFacts("AEMPS", "bm-msc-knee", "AEMPS-2026-0815", date(2026, 11, 2)),
    ),
    "anaesthesia_risk": "ASA2",
}
IBUPROFEN = MedicationFacts("Ibuprofen 400 mg", "nsaid")

SCENARIOS = [
    # (name, protocol, facts, verdict, cited rule ids, action codes, flags)
    (
        "000: ACS targets OA stages 1-3",
        "acs-large-joint",
        facts(knee(2)),
        "eligible",
        {"acs-regions", "acs-kl-grade"},
        set(),
        set(),
    ),
    (
        "000: stage 4 without a documented reason is refused",
        "acs-large-joint",
        facts(knee(4), age=72),
        "not_eligible",
        {"acs-kl-grade"},
        set(),
        set(),
    ),
    (
        "000: stage 4 for a patient unwilling to have surgery, lower success flagged",
        "acs-large-joint",
        facts(knee(4), age=72, avoids_surgery=True),
        "eligible_with_conditions",
        {"acs-kl-grade"},
        set(),
        {"lower_expected_success"},
    ),
    (
        "000: stage 4, young for joint replacement",
        "acs-large-joint",
        facts(knee(4), age=48),
        "eligible_with_conditions",
        {"acs-kl-grade"},
        set(),
        {"lower_expected_success"},
    ),
    (
        "000: stage 4 with anaesthesia risk",
        "acs-large-joint",
        facts(knee(4), age=80, anaesthesia_risk="ASA3"),
        "eligible_with_conditions",
        {"acs-kl-grade"},
        set(),
        {"lower_expected_success"},
    ),
    (
        "000: stage 4 with a comorbidity",
        "acs-large-joint",
        facts(knee(4), age=80, comorbidities=frozenset({"cardiovascular"})),
        "eligible_with_conditions",
        {"acs-kl-grade"},
        set(),
        {"lower_expected_success"},
    ),
    (
        "000: imaging sets the degree; no grade yet means record one",
        "acs-large-joint",
        facts(knee(None)),
        "eligible_with_conditions",
        {"acs-kl-grade"},
        {"record_grade"},
        set(),
    ),
    (
        "a grade in another system is not a KL grade",
        "acs-large-joint",
        facts(knee(3, system="Ahlback")),
        "eligible_with_conditions",
        {"acs-kl-grade"},
        {"record_grade"},
        set(),
    ),
    (
        "KL 0: no osteoarthritis to treat",
        "acs-large-joint",
        facts(knee(0)),
        "not_eligible",
        {"acs-kl-grade"},
        set(),
        set(),
    ),
    (
        "bilateral: one knee grade 4 without reason refuses the plan for that knee",
        "acs-large-joint",
        facts(knee(2, "left"), knee(4, "right"), age=75),
        "not_eligible",
        {"acs-kl-grade"},
        set(),
        set(),
    ),
    (
        "active joint infection excludes",
        "acs-large-joint",
        facts(knee(2), comorbidities=frozenset({"joint_infection"})),
        "not_eligible",
        {"acs-exclusions"},
        set(),
        set(),
    ),
    (
        "001: spine protocol treats disc problems and stenosis",
        "acs-spine",
        facts(RegionFacts("spine_lumbar", "", "L4/L5", "disc_degeneration")),
        "eligible",
        {"acs-spine-regions"},
        set(),
        set(),
    ),
    (
        "the spine protocol does not treat a knee",
        "acs-spine",
        facts(knee(2)),
        "not_eligible",
        {"acs-spine-regions"},
        set(),
        set(),
    ),
    (
        "000: tendon injuries are an ACS indication",
        "acs-tendon",
        facts(RegionFacts("tendon", "left", "Achilles", "tendinopathy")),
        "eligible",
        {"acs-tendon-regions"},
        set(),
        set(),
    ),
    (
        "003: pre-op studies and AEMPS authorisation come first",
        "bm-msc-knee",
        facts(knee(3), anaesthesia_risk="ASA2"),
        "eligible_with_conditions",
        {"msc-studies", "msc-authorisation"},
        {"obtain_study", "request_authorisation"},
        set(),
    ),
    (
        "003: everything on file and authorised",
        "bm-msc-knee",
        facts(knee(3), **MSC_READY),
        "eligible",
        {"msc-regions", "msc-kl-grade", "msc-studies", "msc-authorisation"},
        set(),
        set(),
    ),
    (
        "003: an authorisation requested but not yet granted",
        "bm-msc-knee",
        facts(
            knee(3),
            **{
                **MSC_READY,
                "authorisations": (AuthorisationFacts("AEMPS", "bm-msc-knee", "AEMPS-2026-0815"),),
            },
        ),
        "eligible_with_conditions",
        {"msc-authorisation"},
        {"await_authorisation"},
        set(),
    ),
    (
        "003: serology older than the protocol allows must be repeated",
        "bm-msc-knee",
        facts(
            knee(3),
            **{
                **MSC_READY,
                "studies": (
                    StudyFacts("serology", date(2026, 1, 5), "normal"),
                    *MSC_READY["studies"][1:],  # type: ignore[index]
                ),
            },
        ),
        "eligible_with_conditions",
        {"msc-studies"},
        {"repeat_study"},
        set(),
    ),
    (
        "003: positive serology needs a physician's review",
        "bm-msc-knee",
        facts(
            knee(3),
            **{
                **MSC_READY,
                "studies": (
                    StudyFacts("serology", date(2026, 11, 1), "abnormal"),
                    *MSC_READY["studies"][1:],  # type: ignore[index]
                ),
            },
        ),
        "eligible_with_conditions",
        {"msc-studies"},
        {"review_study"},
        set(),
    ),
    (
        "003: sedation for the harvest is refused at ASA 4",
        "bm-msc-knee",
        facts(knee(3), **{**MSC_READY, "anaesthesia_risk": "ASA4"}),
        "not_eligible",
        {"msc-sedation-risk"},
        set(),
        set(),
    ),
    (
        "003: the MSC protocol treats only knees",
        "bm-msc-knee",
        facts(hip(2), **MSC_READY),
        "not_eligible",
        {"msc-regions"},
        set(),
        set(),
    ),
    (
        "004: NSAIDs and blood thinners must stop two weeks before harvest",
        "cells-hip",
        facts(
            hip(2),
            medications=(IBUPROFEN,),
            studies=(StudyFacts("blood_tests", date(2026, 11, 10), "normal"),),
            planned_collection=date(2026, 12, 10),
        ),
        "eligible_with_conditions",
        {"hip-medication-hold"},
        {"start_hold"},
        set(),
    ),
    (
        "004: a hold started 10 days before the planned harvest is too short",
        "cells-hip",
        facts(
            hip(2),
            medications=(replace(IBUPROFEN, held_since=date(2026, 11, 30)),),
            studies=(StudyFacts("blood_tests", date(2026, 11, 10), "normal"),),
            planned_collection=date(2026, 12, 10),
        ),
        "eligible_with_conditions",
        {"hip-medication-hold"},
        {"move_collection"},
        set(),
    ),
    (
        "004: a 14-day hold is enough; other drugs need no hold",
        "cells-hip",
        facts(
            hip(2),
            medications=(
                replace(IBUPROFEN, held_since=date(2026, 11, 26)),
                MedicationFacts("Ramipril 5 mg", "other"),
            ),
            studies=(StudyFacts("blood_tests", date(2026, 11, 10), "normal"),),
            planned_collection=date(2026, 12, 10),
        ),
        "eligible",
        {"hip-medication-hold", "hip-studies"},
        set(),
        set(),
    ),
    (
        "004: severe hip osteoarthritis may make the patient unsuitable",
        "cells-hip",
        facts(hip(4), avoids_surgery=True),
        "not_eligible",
        {"hip-kl-grade"},
        {"obtain_study"},
        set(),
    ),
    (
        "no region recorded at all",
        "cells-hip",
        facts(),
        "not_eligible",
        {"hip-regions"},
        {"record_region", "obtain_study"},
        set(),
    ),
]


@pytest.mark.parametrize(
    ("name", "code", "case", "verdict", "rules", "actions", "flags"),
    SCENARIOS,
    ids=[row[0] for row in SCENARIOS],
)
def test_scenario(name, code, case, verdict, rules, actions, flags):
    report = evaluate(PROTOCOLS[code], case)
    assert report.verdict == verdict, [f.message for f in report.findings]
    cited = {f.rule_id for f in report.findings}
    assert rules <= cited
    assert actions == {a.code for a in report.actions}
    assert set(report.flags) == flags
    decisive = [f for f in report.findings if f.outcome == "not_eligible"]
    if verdict == "not_eligible":
        assert {f.rule_id for f in decisive} <= rules, "the refusal cites the expected rule"
    else:
        assert not decisive


def test_refused_grade_four_names_the_accepted_reasons():
    report = evaluate(PROTOCOLS["acs-large-joint"], facts(knee(4), age=72))
    (finding,) = [f for f in report.findings if f.code == "grade_needs_reason"]
    assert finding.params["accepted"] == [
        "high_anaesthesia_risk",
        "comorbidity",
        "young",
        "avoids_surgery",
    ]
    assert finding.region == "knee left"


def test_hold_action_is_due_fourteen_days_before_collection():
    case = facts(hip(2), medications=(IBUPROFEN,), planned_collection=date(2026, 12, 10))
    report = evaluate(PROTOCOLS["cells-hip"], case)
    (action,) = [a for a in report.actions if a.code == "start_hold"]
    assert action.due == date(2026, 11, 26)


def test_expired_authorisation_is_not_a_grant():
    expired = AuthorisationFacts(
        "AEMPS", "bm-msc-knee", "AEMPS-2025-1", date(2025, 1, 1), date(2025, 12, 31)
    )
    case = facts(knee(3), **{**MSC_READY, "authorisations": (expired,)})
    report = evaluate(PROTOCOLS["bm-msc-knee"], case)
    assert report.verdict == "eligible_with_conditions"
    assert "authorisation_expired" in {f.code for f in report.findings}
