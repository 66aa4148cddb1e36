"""Expanding a protocol into a course's events, against the protocol files' own numbers."""

from __future__ import annotations

import pytest

from autologic.care.domain.pathway import VISIT_HORIZON_DAYS, PathwayError, expand
from autologic.protocols.domain.schema import Protocol
from autologic.protocols.files import LIBRARY, read_protocol


def load(name: str) -> Protocol:
    return read_protocol(LIBRARY / f"{name}.v1.yaml")


def test_kits_follow_regions_times_injections():
    protocol = load("acs-large-joint")
    pathway = expand(protocol, regions=2, injections=6, guidance="ultrasound")
    assert pathway.kits_per_session == 2
    assert pathway.kits == 12
    assert [e.kits for e in pathway.events if e.kind == "injection"] == [2] * 6
    # Consumables per region-injection scale the same way.
    assert dict(pathway.consumables)["ACS glass-bead syringe kit (10 mL)"] == 12


def test_acs_incubation_centrifuge_and_frozen_syringes():
    pathway = expand(load("acs-large-joint"), regions=1, injections=4, guidance="ultrasound")
    keys = [s.key for s in pathway.steps]
    assert keys[:4] == ["collection", "centrifugation", "aliquoting", "freezing"]
    spin = next(link for link in pathway.links if link.after == "centrifugation")
    draw = pathway.steps[0].duration
    # Incubation 6-24 h after the draw ends (protocol processing[0].duration_h).
    assert (spin.min_gap - draw, spin.max_gap - draw) == (6 * 60, 24 * 60)
    incubator = [h for h in pathway.holds if h.kind == "incubator"]
    assert [(h.amount, h.from_step, h.to_step) for h in incubator] == [
        (4, "collection", "centrifugation")
    ]
    freezer = [(h.from_step, h.to_step, h.amount) for h in pathway.holds if h.kind == "freezer"]
    assert freezer == [("freezing", f"inj{k}", 1) for k in range(1, 5)]
    cadence = [
        (link.min_gap, link.max_gap, link.unit) for link in pathway.links if link.after == "inj3"
    ]
    assert cadence == [(3, 7, "day")]


def test_spine_sessions_are_weekly_under_fluoroscopy():
    protocol = load("acs-spine")
    pathway = expand(protocol, regions=1, injections=4, guidance="fluoroscopy")
    session = pathway.steps[[s.key for s in pathway.steps].index("inj2")]
    assert {d.capability for d in session.demands} == {"fluoroscopy"}
    gaps = [
        (link.min_gap, link.max_gap)
        for link in pathway.links
        if link.after.startswith("inj") and link.before.startswith("inj")
    ]
    assert gaps == [(6, 8)] * 3


def test_msc_culture_holds_a_slot_for_19_to_23_days_and_fasting_keeps_mornings():
    pathway = expand(load("bm-msc-knee"), regions=1, injections=1, guidance="ultrasound")
    assert [h.kind for h in pathway.holds] == ["culture"]
    first = next(link for link in pathway.links if link.after == "inj1" and link.unit == "day")
    assert (first.min_gap, first.max_gap) == (19, 23)
    harvest = pathway.steps[0]
    assert harvest.time_of_day == (7 * 60, 12 * 60)
    assert {d.capability for d in harvest.demands} == {None, "harvest"}


def test_hip_cells_are_injected_the_same_day_after_separation():
    pathway = expand(load("cells-hip"), regions=1, injections=1, guidance="fluoroscopy")
    same_day = next(link for link in pathway.links if link.after == "inj1" and link.unit == "day")
    assert (same_day.min_gap, same_day.max_gap) == (0, 0)
    assert not [h for h in pathway.holds if h.kind == "freezer"]  # a fresh product


def test_follow_up_visits_within_the_horizon_are_booked_the_rest_are_due_windows():
    protocol = load("cells-hip")
    pathway = expand(protocol, regions=1, injections=1, guidance="ultrasound")
    booked = {e.step for e in pathway.events if e.kind == "visit" and e.booked}
    assert booked == {"w2", "w6", "w12"}
    for point in protocol.follow_up.timepoints:
        event = pathway.event(f"fu-{point.key}")
        assert event.offset_days == point.offset_days
        assert event.booked == (
            point.kind == "visit" and 0 < point.offset_days <= VISIT_HORIZON_DAYS
        )
    w2 = next(link for link in pathway.links if link.after == "fu-w2")
    assert (w2.min_gap, w2.max_gap) == (14 - 2, 14 + 4)  # window_days_before / after
    imaging = pathway.event("fu-m3-imaging")
    assert imaging.modality == "mri" and not imaging.booked


@pytest.mark.parametrize(
    ("name", "injections", "guidance", "field"),
    [
        ("acs-large-joint", 7, "ultrasound", "injections"),
        ("acs-spine", 2, "fluoroscopy", "injections"),
        ("acs-spine", 3, "ultrasound", "guidance"),
    ],
)
def test_choices_outside_the_protocol_are_refused_with_the_field(name, injections, guidance, field):
    with pytest.raises(PathwayError) as caught:
        expand(load(name), regions=1, injections=injections, guidance=guidance)
    assert caught.value.field == field
