"""Location and Device: procedure rooms, and the freezer → rack → box chain a unit is stored in,
each box ``partOf`` its rack and each rack ``partOf`` its freezer; the lab's equipment."""

from __future__ import annotations

import pytest

from autologic.lab.models import Box
from tests.interop.chain_fixtures import (  # noqa: F401
    fixed_clock,
    freezer,
    manager,
    resources,
)
from tests.interop.validators import validate

pytestmark = pytest.mark.django_db
NS = "https://fhir.autologic.invalid"


def test_a_box_is_part_of_its_rack_and_freezer(freezer, resources, fhir_for, tmp_path) -> None:
    fhir = fhir_for()
    box = Box.objects.filter(rack__freezer=freezer).select_related("rack").first()
    read = fhir.json(f"/fhir/Location/box-{box.pk}")
    assert read["partOf"] == {"reference": f"Location/rack-{box.rack_id}"}
    rack = fhir.json(f"/fhir/Location/rack-{box.rack_id}")
    assert rack["partOf"] == {"reference": f"Location/fz-{freezer.pk}"}
    assert fhir.json(f"/fhir/Location/fz-{freezer.pk}")["name"] == freezer.name
    everywhere = fhir.json("/fhir/Location", {"_count": 1000})
    ids = [e["resource"]["id"] for e in everywhere["entry"]]
    assert f"room-{resources['room-1'].pk}" in ids and f"box-{box.pk}" in ids
    assert all(i.startswith(("room-", "fz-", "rack-", "box-")) for i in ids)
    devices = fhir.json("/fhir/Device")
    kinds = {e["resource"]["type"]["coding"][0]["code"] for e in devices["entry"]}
    assert kinds == {"incubator", "centrifuge", "freezer", "culture"}
    incubator = fhir.json(f"/fhir/Device/{resources['incubator-1'].pk}")
    assert incubator["identifier"][0] == {
        "system": f"{NS}/sid/resource/ber",
        "value": "incubator-1",
    }
    assert fhir.get(f"/fhir/Device/{resources['room-1'].pk}").status_code == 404  # a room
    report = validate(tmp_path, [read, rack, everywhere, devices, incubator])
    assert report["errors"] == []
