"""Bulk Data $export, as a client runs it: kick off (202 and Content-Location), poll (202 with
X-Progress), read the manifest, download the NDJSON files; cancel; `_type`, `_since` and
`_outputFormat`; and a worker that dies in the middle of a job never leaves a manifest that
lies."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from autologic.audit.models import AuditEvent
from autologic.interop import exports
from autologic.interop.models import ExportJob
from autologic.interop.resources.registry import TYPES
from autologic.interop.tasks import run_fhir_export
from autologic.patients.models import Patient
from tests.interop.chain_fixtures import (  # noqa: F401
    fixed_clock,
    freezer,
    injected,
    make_lot,
    manager,
    nurse,
    released,
    resources,
    start_course,
    tech,
)
from tests.interop.validators import validate

pytestmark = pytest.mark.django_db
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.AUTOLOGIC_FHIR_EXPORT_FILE_BYTES = 4096  # several files per type


def kick_off(fhir, path: str = "/fhir/$export", **params: str) -> str:
    response = fhir.get(path, params, **ASYNC)
    assert response.status_code == 202, response.content
    location = response["Content-Location"]
    assert location.startswith("http://127.0.0.1:8000/fhir/$export-status/")
    return location.removeprefix("http://127.0.0.1:8000")


def finish(fhir, status_url: str) -> dict[str, Any]:
    polled = fhir.get(status_url)
    assert polled.status_code == 202 and polled["X-Progress"] and polled["Retry-After"]
    job_id = status_url.rsplit("/", 1)[1]
    assert run_fhir_export.call(job_id) == "complete"
    done = fhir.get(status_url)
    assert done.status_code == 200, done.content
    return orjson.loads(done.content)


def download(fhir, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for output in manifest["output"]:
        response = fhir.get(output["url"].removeprefix("http://127.0.0.1:8000"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).splitlines()
        assert len(lines) == output["count"]
        by_type.setdefault(output["type"], []).extend(orjson.loads(line) for line in lines)
    return by_type


def every(fhir, name: str) -> list[str]:
    ids, page = [], fhir.json(f"/fhir/{name}", {"_count": 1000})
    ids += [e["resource"]["id"] for e in page.get("entry", [])]
    assert not [link for link in page["link"] if link["relation"] == "next"]
    return ids


def test_a_system_export_holds_everything_once_and_validates(fhir_for, injected, tmp_path) -> None:
    fhir = fhir_for("system/*.read", "system/$export")
    manifest = finish(fhir, kick_off(fhir))
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"] == "http://127.0.0.1:8000/fhir/$export"
    assert datetime.fromisoformat(manifest["transactionTime"].replace("Z", "+00:00"))
    exported = download(fhir, manifest)
    per_type_files = {o["type"] for o in manifest["output"]}
    assert len(manifest["output"]) > len(per_type_files)  # the byte cap split some types
    for name in TYPES:
        if name == "AuditEvent":  # reading is audited: the API sees events made since
            continue
        assert sorted(r["id"] for r in exported.get(name, [])) == sorted(every(fhir, name)), name
    lines = [r for rows in exported.values() for r in rows]
    report = validate(tmp_path, lines)
    assert report["errors"] == []
    assert AuditEvent.objects.filter(action="fhir.export").count() == 1
    assert AuditEvent.objects.filter(action="fhir.export_download").count() == len(
        manifest["output"]
    )


def test_kick_off_refusals(fhir_for) -> None:
    fhir = fhir_for("system/*.read", "system/$export")
    assert fhir.get("/fhir/$export").status_code == 400  # no Prefer: respond-async
    assert fhir.get("/fhir/$export", {"_type": "Nonsense"}, **ASYNC).status_code == 400
    assert fhir.get("/fhir/$export", {"_outputFormat": "text/csv"}, **ASYNC).status_code == 400
    assert fhir.get("/fhir/$export", {"_since": "yesterday"}, **ASYNC).status_code == 400
    assert fhir.get("/fhir/$export", {"_elements": "id"}, **ASYNC).status_code == 400
    for fmt in ("application/fhir+ndjson", "application/ndjson", "ndjson"):
        assert fhir.get("/fhir/$export", {"_outputFormat": fmt}, **ASYNC).status_code == 202
    reader = fhir_for("system/*.read")
    assert reader.get("/fhir/$export", **ASYNC).status_code == 403


def test_only_the_requesting_client_sees_its_export(fhir_for) -> None:
    mine = fhir_for("system/*.read", "system/$export")
    status_url = kick_off(mine, _type="Patient")
    other = fhir_for("system/*.read", "system/$export")
    assert other.get(status_url).status_code == 404


def test_type_since_and_a_second_export_that_is_not_empty(
    fhir_for, injected, patient, fixed_clock
) -> None:
    fhir = fhir_for("system/*.read", "system/$export")
    first = finish(fhir, kick_off(fhir, _type="Patient,Specimen"))
    assert {o["type"] for o in first["output"]} == {"Patient", "Specimen"}
    # A change after the first export's snapshot comes in the next export since then.
    Patient.objects.filter(pk=patient.pk).update(
        updated_at=datetime.now(UTC) + timedelta(hours=1), version=patient.version + 1
    )
    second = finish(fhir, kick_off(fhir, _type="Patient", _since=first["transactionTime"]))
    (patients,) = download(fhir, second).values()
    assert [p["id"] for p in patients] == [str(patient.pk)]
    assert patients[0]["meta"]["versionId"] == str(patient.version + 1)
    again = finish(fhir, kick_off(fhir, _type="Patient,Specimen"))  # HAPI #4013: not empty
    assert sum(o["count"] for o in again["output"]) == sum(o["count"] for o in first["output"])


def test_a_patient_level_export_holds_only_patient_compartments(fhir_for, injected) -> None:
    fhir = fhir_for("system/*.read", "system/$export")
    manifest = finish(fhir, kick_off(fhir, "/fhir/Patient/$export"))
    types = {o["type"] for o in manifest["output"]}
    assert "Patient" in types and "Provenance" in types
    assert "Practitioner" not in types and "Organization" not in types


def test_a_cancelled_export_is_gone(fhir_for) -> None:
    fhir = fhir_for("system/*.read", "system/$export")
    status_url = kick_off(fhir, _type="Patient")
    assert (
        fhir.http.delete(status_url, headers={"Authorization": f"Bearer {fhir.token}"}).status_code
        == 202
    )
    assert fhir.get(status_url).status_code == 404
    job = ExportJob.objects.get()
    assert run_fhir_export.call(str(job.pk)) == "cancelled"  # the queued task does nothing
    assert not exports.export_dir(job.pk).exists()


def test_a_worker_killed_mid_export_leaves_no_lying_manifest(
    fhir_for, injected, monkeypatch
) -> None:
    fhir = fhir_for("system/*.read", "system/$export")
    status_url = kick_off(fhir)
    job_id = status_url.rsplit("/", 1)[1]
    closed = exports._Writer.close

    def die_after_first_file(self) -> None:
        closed(self)
        if self.done:
            raise SystemExit("killed")  # not an Exception: nothing cleans up, as after kill -9

    monkeypatch.setattr(exports._Writer, "close", die_after_first_file)
    with pytest.raises(SystemExit):
        run_fhir_export.call(job_id)
    monkeypatch.setattr(exports._Writer, "close", closed)
    job = ExportJob.objects.get(pk=job_id)
    assert job.status == "running" and not job.files.exists()
    assert any(exports.export_dir(job_id).glob("*.ndjson"))  # a whole file, never listed
    polled = fhir.get(status_url)
    assert polled.status_code == 202  # still in progress, as far as anyone can tell
    # The worker's sweep, later: no heartbeat for too long, so the job starts again.
    assert (
        exports.sweep_exports(now=datetime.now(UTC) + timedelta(minutes=3), waited_seconds=0) == 1
    )
    manifest = orjson.loads(fhir.get(status_url).content)
    for output in manifest["output"]:
        row = ExportJob.objects.get(pk=job_id).files.get(name=output["url"].rsplit("/", 1)[1])
        content = (exports.export_dir(job_id) / row.name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == row.sha256
        assert content.count(b"\n") == row.count == output["count"]
    assert ExportJob.objects.get(pk=job_id).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_the_export_reads_one_snapshot_on_postgresql(fhir_for, patient, monkeypatch) -> None:
    """A change committed by someone else while the job runs is not in this export (it reads
    the snapshot it started with) but is in the next one."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the snapshot isolation under test is PostgreSQL's")
    import psycopg

    s = connection.settings_dict
    url = f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    fhir = fhir_for("system/*.read", "system/$export")
    status_url = kick_off(fhir, _type="Patient")
    beat = exports._heartbeat

    def meanwhile(directory, resource_type, done) -> None:
        if done == 0:  # after the snapshot was taken, before the first page is read
            with psycopg.connect(url, autocommit=True) as other:
                other.execute(
                    "UPDATE patients_patient SET family_name = 'Renamed' WHERE id = %s",
                    [patient.pk],
                )
        beat(directory, resource_type, done)

    monkeypatch.setattr(exports, "_heartbeat", meanwhile)
    manifest = finish(fhir, status_url)
    monkeypatch.setattr(exports, "_heartbeat", beat)
    (rows,) = download(fhir, manifest).values()
    assert rows[0]["name"][0]["family"] == "Müller"  # as it was when the export began
    later = finish(fhir, kick_off(fhir, _type="Patient"))
    (rows,) = download(fhir, later).values()
    assert rows[0]["name"][0]["family"] == "Renamed"


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_with_sigkill_leaves_no_lying_manifest(
    fhir_for, site, physician, settings, tmp_path
) -> None:
    """A real worker process on PostgreSQL is killed (SIGKILL) after its first whole file; the
    job stays running with no file listed; the sweep runs it again and the manifest then lists
    exactly the files on disk, each with its count and checksum."""
    import multiprocessing
    import os
    import signal
    import time

    from django.db import connection

    from tests.interop.export_worker import run_slowly
    from tests.interop.test_fhir_api import many_patients

    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: PostgreSQL")
    many_patients(site, physician, 60)
    fhir = fhir_for("system/*.read", "system/$export")
    status_url = kick_off(fhir, _type="Patient,Practitioner,Organization")
    job_id = status_url.rsplit("/", 1)[1]
    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    worker = multiprocessing.get_context("spawn").Process(
        target=run_slowly, args=(url, str(tmp_path), job_id)
    )
    worker.start()
    directory = exports.export_dir(job_id)
    deadline = time.monotonic() + 60
    while not any(directory.glob("*.ndjson")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(directory.glob("*.ndjson")), "the worker never finished a file"
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    assert worker.exitcode == -signal.SIGKILL
    job = ExportJob.objects.get(pk=job_id)
    assert job.status == "running" and not job.files.exists()
    assert fhir.get(status_url).status_code == 202  # no manifest while nothing is whole
    assert (
        exports.sweep_exports(now=datetime.now(UTC) + timedelta(minutes=3), waited_seconds=0) == 1
    )
    manifest = orjson.loads(fhir.get(status_url).content)
    listed = {o["url"].rsplit("/", 1)[1]: o["count"] for o in manifest["output"]}
    on_disk = {p.name for p in directory.glob("*.ndjson")}
    assert set(listed) == on_disk and not any(directory.glob("*.part"))
    for row in ExportJob.objects.get(pk=job_id).files.all():
        content = (directory / row.name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == row.sha256
        assert content.count(b"\n") == row.count == listed[row.name]
    patients = sum(o["count"] for o in manifest["output"] if o["type"] == "Patient")
    assert patients == 60
