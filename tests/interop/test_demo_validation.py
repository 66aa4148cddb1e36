"""The demo clinics' own records, as FHIR, pass both outside validators.

The other validator tests build small worlds for each type.  This one seeds the three demo
clinics (Düsseldorf, Tehran, Dubai: four languages, Jalali dates, three currencies) and exports
each clinic through the real Bulk Data job, then checks every line with @medplum/core and the npm
``fhir`` package and parses it with ``fhir.resources`` (R4B).  It also reads a search page of
every type and one patient's ``$everything`` per clinic, because the API and the export are
built by the same code but answered through different paths."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from fhir.resources.R4B import get_fhir_model_class

from autologic.accounts.models import Site
from autologic.interop.resources.registry import TYPES
from autologic.interop.tasks import run_fhir_export
from autologic.patients.models import Patient
from tests.interop.conftest import Fhir
from tests.interop.validators import validate

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def export(fhir: Fhir) -> list[dict[str, Any]]:
    """A system-level export through the real job: every line of every file."""
    kicked = fhir.get("/fhir/$export", None, Prefer="respond-async")
    assert kicked.status_code == 202, kicked.content
    status_url = kicked["Content-Location"].removeprefix(BASE)
    assert run_fhir_export.call(status_url.rsplit("/", 1)[1]) == "complete"
    manifest = orjson.loads(fhir.get(status_url).content)
    assert manifest["error"] == []
    lines: list[dict[str, Any]] = []
    for output in manifest["output"]:
        response = fhir.get(output["url"].removeprefix(BASE))
        rows = b"".join(response.streaming_content).splitlines()
        assert len(rows) == output["count"]
        lines += [orjson.loads(row) for row in rows]
    return lines


def test_every_demo_clinic_exports_and_reads_as_valid_fhir(tmp_path, fhir_for) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    sites = list(Site.objects.filter(code__in=["dus", "thr", "dxb"]).order_by("code"))
    assert len(sites) == 3

    checked: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    for site in sites:
        fhir = fhir_for("system/*.read", "system/$export", at=site, name=f"demo-{site.code}")
        lines = export(fhir)
        seen.update(r["resourceType"] for r in lines)
        checked += lines
        for name in TYPES:  # the API's own search Bundles, one page of each type
            bundle = fhir.json(f"/fhir/{name}", {"_count": 20})
            assert bundle["resourceType"] == "Bundle", (site.code, name, bundle)
            checked.append(bundle)
        patient = Patient.objects.filter(site=site).order_by("pk").first()
        assert patient is not None
        everything = fhir.json(f"/fhir/Patient/{patient.pk}/$everything")
        assert everything["resourceType"] == "Bundle" and everything["entry"]
        checked.append(everything)

    # Every type the API serves is in the demo clinics' data, so none goes unchecked.
    assert set(TYPES) - set(seen) == set(), f"types the demo data never exports: {seen}"
    report = validate(tmp_path, checked)
    assert report["errors"] == [], report["errors"][:20]
    assert set(TYPES) | {"Bundle"} <= set(report["types"])
    for resource in checked:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
