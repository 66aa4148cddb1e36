"""Group: a saved cohort of the outcome registry, read with its members, and exported at Group
level with only its members' records."""

from __future__ import annotations

import pytest

from autologic.analytics import actions
from autologic.common import clock
from tests.adverse_events.conftest import (  # noqa: F401
    NOW,
    administration,
    fixed_clock,
    freezer,
    inject,
    make_lot,
    manager,
    nurse,
    other_patient,
    released,
    resources,
    start_course,
    tech,
)
from tests.analytics.test_queries import answer
from tests.interop.test_export import download, finish, kick_off
from tests.interop.validators import validate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_a_saved_cohort_is_a_group_with_its_members_and_exports_only_them(
    administration, nurse, physician, other_patient, site, fhir_for, tmp_path
) -> None:
    answer(administration, "baseline", 7, administration.given_at.date(), nurse)
    knees, _new = actions.save_cohort(
        site=site,
        name="Knees",
        query={"score": ["NRS:pain"], "region": ["knee"]},
        by=physician,
        now=clock.now(),
    )
    hips, _new = actions.save_cohort(
        site=site,
        name="Hips",
        query={"score": ["NRS:pain"], "region": ["hip"]},
        by=physician,
        now=clock.now(),
    )
    fhir = fhir_for("system/*.read", "system/$export")
    group = fhir.json(f"/fhir/Group/{knees.pk}")
    patient = administration.patient_id
    assert group["member"] == [{"entity": {"reference": f"Patient/{patient}"}}]
    assert group["quantity"] == 1 and group["type"] == "person" and group["actual"] is True
    assert fhir.json(f"/fhir/Group/{hips.pk}")["quantity"] == 0
    listed = fhir.json("/fhir/Group")
    assert {e["resource"]["name"] for e in listed["entry"]} == {"Knees (v1)", "Hips (v1)"}
    manifest = finish(fhir, kick_off(fhir, f"/fhir/Group/{knees.pk}/$export"))
    exported = download(fhir, manifest)
    assert [p["id"] for p in exported["Patient"]] == [str(patient)]
    assert str(other_patient.pk) not in {p["id"] for p in exported["Patient"]}
    assert {"Procedure", "Provenance", "QuestionnaireResponse"} <= set(exported)
    for rows in exported.values():
        for resource in rows:
            text = str(resource)
            assert f"Patient/{other_patient.pk}'" not in text
    assert fhir.get("/fhir/Group/999999/$export", Prefer="respond-async").status_code == 404
    report = validate(tmp_path, [group, listed])
    assert report["errors"] == []
    registry_client = fhir_for(purpose="registry")  # nobody has a registry consent
    assert "member" not in registry_client.json(f"/fhir/Group/{knees.pk}")
