"""Infectious-disease markers (issue 15): recorded per marker with the date and result; the
protocol says what a reactive or missing result does; the donation's status follows."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from autologic.clinical.domain.markers import MarkerFacts, marker_status
from autologic.clinical.domain.vocabulary import BASE_MARKERS
from autologic.protocols.domain.schema import Markers
from autologic.protocols.files import LIBRARY, read_protocol

DAY = date(2026, 11, 21)
SPEC = Markers(tests=sorted(BASE_MARKERS), max_age_days=30, reactive="block", missing="mark")


def negative(on: date = date(2026, 11, 10), *, but: dict[str, str] | None = None) -> tuple:
    results = {m.value: "negative" for m in BASE_MARKERS} | (but or {})
    return tuple(MarkerFacts(marker, on, result) for marker, result in results.items())


def test_infectious_markers_negative_only_when_every_listed_marker_is_negative():
    assert marker_status(SPEC, negative(), DAY).status == "negative"
    status = marker_status(SPEC, negative(but={"hcv": "pending"}), DAY)
    assert (status.status, status.missing) == ("not_evaluated", ("hcv",))
    partial = tuple(t for t in negative() if t.marker != "syphilis")
    assert marker_status(SPEC, partial, DAY).missing == ("syphilis",)


def test_infectious_markers_reactive_wins_and_a_later_negative_does_not_clear_it():
    tests = (*negative(but={"hbsag": "reactive"}), MarkerFacts("hbsag", DAY, "negative"))
    status = marker_status(SPEC, tests, DAY)
    assert (status.status, status.reactive) == ("reactive", ("hbsag",))
    assert status.blocks_processing(SPEC) == "markers_reactive"


def test_infectious_markers_count_only_samples_in_the_protocol_window():
    assert marker_status(SPEC, negative(date(2026, 10, 22)), DAY).status == "negative"
    stale = marker_status(SPEC, negative(date(2026, 10, 21)), DAY)
    assert stale.status == "not_evaluated" and len(stale.missing) == 5
    after = marker_status(SPEC, negative(date(2026, 11, 22)), DAY)
    assert after.status == "not_evaluated"
    assert after.blocks_processing(SPEC) == ""  # missing only marks the product here


def test_infectious_markers_without_a_protocol_list_are_never_evaluated():
    assert marker_status(None, negative(), DAY).status == "not_evaluated"


def test_infectious_markers_schema_requires_the_base_markers():
    with pytest.raises(ValidationError, match="must include hbsag"):
        Markers(tests=["hiv_1_2", "anti_hbc", "hcv", "syphilis"], max_age_days=30)
    with pytest.raises(ValidationError, match="once"):
        Markers(tests=[*sorted(BASE_MARKERS), "hcv"], max_age_days=30)


def test_infectious_markers_in_every_protocol_from_version_2():
    """Every active protocol lists the base markers and says what a gap or a reactive does
    (the ACS protocols had no serology at all); version 1 files stay valid without them."""
    for path in sorted(LIBRARY.glob("*.v[2-9].yaml")):
        protocol = read_protocol(path)
        markers = protocol.preparation.markers
        assert markers is not None, path.name
        assert set(markers.tests) >= BASE_MARKERS, path.name
        assert markers.reactive in ("block", "mark") and markers.missing in ("block", "mark")
    for path in sorted(LIBRARY.glob("*.v1.yaml")):
        assert read_protocol(path).preparation.markers is None
    for version in (2, 3):
        msc = read_protocol(LIBRARY / f"bm-msc-knee.v{version}.yaml").preparation.markers
        assert msc is not None and (msc.reactive, msc.missing) == ("block", "block")
