"""Protocol files: the shipped library validates, and every kind of mistake names file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autologic.protocols.domain.parse import ProtocolInvalid, fingerprint, parse_protocol
from autologic.protocols.files import LIBRARY, protocol_files, read_protocol

SHIPPED = {
    "acs-large-joint",
    "acs-tendon",
    "acs-spine",
    "bm-msc-knee",
    "cells-hip",
}


def base() -> dict:
    return yaml.safe_load((LIBRARY / "acs-large-joint.v1.yaml").read_text(encoding="utf-8"))


def issues_of(data: object) -> list[str]:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(data, "clinic.yaml")
    assert caught.value.data["source"] == "clinic.yaml"
    assert str(caught.value).startswith("clinic.yaml: ")
    return [str(issue) for issue in caught.value.data["issues"]]


def test_every_shipped_protocol_loads():
    loaded = {read_protocol(path).code for path in protocol_files([LIBRARY])}
    assert loaded == SHIPPED


def test_shipped_parameters_follow_the_domain_reference():
    acs = read_protocol(LIBRARY / "acs-large-joint.v1.yaml")
    assert acs.injections.count.default == 6
    assert (acs.injections.interval_days.min, acs.injections.interval_days.max) == (3, 7)
    incubation = acs.processing[0]
    assert (incubation.hours.min, incubation.hours.max) == (6, 24)
    assert incubation.temperature_c.target == 37
    assert acs.product.storage.shelf_life_days == 365
    assert acs.product.storage.temperature_max_c == -18
    spine = read_protocol(LIBRARY / "acs-spine.v1.yaml")
    assert (spine.injections.count.min, spine.injections.count.max) == (3, 4)
    assert spine.injections.interval_days.target == 7
    msc = read_protocol(LIBRARY / "bm-msc-knee.v1.yaml")
    assert msc.processing[0].hours.target == 21 * 24
    assert msc.product.dose.cells_million.target == 40
    assert msc.collection.volume_ml == 100
    assert msc.preparation.fasting.hours == 6
    hip = read_protocol(LIBRARY / "cells-hip.v1.yaml")
    assert hip.preparation.medication_hold.days_before_collection == 14
    assert {"nsaid", "anticoagulant"} <= set(hip.preparation.medication_hold.classes)
    assert [t.weeks for t in hip.follow_up.timepoints if t.kind == "visit"] == [2, 6, 12]
    assert [t.months for t in hip.follow_up.timepoints if t.kind == "imaging"] == [3, 6]
    assert any(r.days == 42 for r in hip.restrictions)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["injections"].update(count={"default": 9, "min": 3, "max": 6}),
            "injections.count: default (9) is outside 3..6",
        ),
        (
            lambda d: d["processing"][0].update(duration_h={"min": 24, "max": 6}),
            "processing[0].duration_h: min (24.0) is greater than max (6.0)",
        ),
        (
            lambda d: d["eligibility"][1].update(bandz=[]),
            "eligibility[1].bandz: Extra inputs are not permitted",
        ),
        (
            lambda d: d["eligibility"][0].update(regions=["knee", "elbowz"]),
            "eligibility[0].regions[1]: Input should be",
        ),
        (
            lambda d: d["processing"][1].pop("g_force"),
            "processing[1]: a centrifugation step needs g_force and spin_min",
        ),
        (
            lambda d: d["product"].pop("thaw_to_injection_max_min"),
            "a frozen product needs product.thaw_to_injection_max_min",
        ),
        (
            lambda d: d["prices"][0]["amounts"].update(eur="1"),
            "prices[0].amounts: 'eur' is not an ISO 4217 currency code",
        ),
        (
            lambda d: d.update(preparation={"studies": [{"kind": "ecg", "max_age_days": 90}]}),
            "the preparation lists studies but no rule checks them",
        ),
        (
            lambda d: d["follow_up"]["timepoints"][0].update(months=1),
            "follow_up.timepoints[0]: give exactly one of weeks and months",
        ),
        (lambda d: d.pop("collection"), "collection: Field required"),
        (lambda d: d["title"].pop("en"), "title.en: Field required"),
    ],
)
def test_mistakes_name_the_field_and_the_reason(change, expected):
    data = base()
    change(data)
    issues = issues_of(data)
    assert any(issue.startswith(expected) for issue in issues), issues


def test_all_mistakes_are_reported_at_once():
    data = base()
    data["injections"]["session_min"] = -5
    data["product"]["code"] = "lower case"
    issues = issues_of(data)
    assert any(i.startswith("injections.session_min") for i in issues)
    assert any(i.startswith("product.code") for i in issues)


def test_a_file_that_is_not_a_mapping():
    assert issues_of(["a", "list"]) == ["the file must hold a mapping of protocol fields"]


def test_duplicate_keys_are_refused(tmp_path: Path):
    text = (LIBRARY / "acs-large-joint.v1.yaml").read_text(encoding="utf-8")
    path = tmp_path / "dup.yaml"
    path.write_text(text + "version: 2\n", encoding="utf-8")
    with pytest.raises(ProtocolInvalid) as caught:
        read_protocol(path)
    message = str(caught.value)
    assert message.startswith("dup.yaml: line ")
    assert "duplicate key 'version'" in message


def test_broken_yaml_names_the_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("code: x\ntitle: {en: unclosed\n", encoding="utf-8")
    with pytest.raises(ProtocolInvalid) as caught:
        read_protocol(path)
    assert "broken.yaml: line " in str(caught.value)


def test_fingerprint_ignores_layout_but_not_meaning():
    data = base()
    first = fingerprint(parse_protocol(data, "a.yaml"))
    reordered = dict(reversed(list(data.items())))
    assert fingerprint(parse_protocol(reordered, "b.yaml")) == first
    data["injections"]["count"]["default"] = 5
    assert fingerprint(parse_protocol(data, "c.yaml")) != first
