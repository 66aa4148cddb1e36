"""Loading protocol files: a loaded version never changes meaning; new versions load beside it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from autologic.audit.models import AuditEvent
from autologic.protocols.actions import sync_protocols
from autologic.protocols.files import LIBRARY
from autologic.protocols.models import ProtocolVersion

pytestmark = pytest.mark.django_db
ACS = LIBRARY / "acs-large-joint.v1.yaml"


def test_sync_loads_the_library_once_and_audits_it():
    files = len(list(LIBRARY.glob("*.yaml")))
    first = sync_protocols()
    assert first.ok and len(first.loaded) == files
    again = sync_protocols()
    assert again.loaded == [] and len(again.unchanged) == files
    assert AuditEvent.objects.filter(action="protocol.load").count() == files


def test_a_changed_version_is_refused_and_the_stored_one_kept(tmp_path):
    sync_protocols(files=[ACS])
    stored = ProtocolVersion.objects.get(code="acs-large-joint", version=1)
    changed = tmp_path / "acs-large-joint.v1.yaml"
    changed.write_text(
        ACS.read_text(encoding="utf-8").replace("count: {default: 6,", "count: {default: 5,"),
        encoding="utf-8",
    )
    report = sync_protocols(files=[changed])
    assert not report.ok
    assert "publish the change as version 2" in report.refused[0]
    stored.refresh_from_db()
    assert stored.protocol.injections.count.default == 6


def test_a_new_version_loads_beside_the_old_one(tmp_path):
    sync_protocols(files=[ACS])
    newer = tmp_path / "acs-large-joint.v2.yaml"
    newer.write_text(
        ACS.read_text(encoding="utf-8")
        .replace("\nversion: 1\n", "\nversion: 2\n")
        .replace("count: {default: 6,", "count: {default: 5,"),
        encoding="utf-8",
    )
    assert sync_protocols(files=[newer]).loaded == ["acs-large-joint v2"]
    versions = {
        row.version: row.protocol.injections.count.default
        for row in ProtocolVersion.objects.filter(code="acs-large-joint")
    }
    assert versions == {1: 6, 2: 5}


def test_retiring_a_version_is_allowed_and_audited(tmp_path):
    # Version 1 of the shipped library was active before version 2 retired it.
    active = tmp_path / "acs-large-joint.v1.yaml"
    active.write_text(
        ACS.read_text(encoding="utf-8").replace("status: retired", "status: active"),
        encoding="utf-8",
    )
    sync_protocols(files=[active])
    report = sync_protocols(files=[ACS])
    assert report.status_changed == ["acs-large-joint v1"]
    assert ProtocolVersion.objects.get(code="acs-large-joint").status == "retired"
    event = AuditEvent.objects.get(action="protocol.status")
    assert event.changes == {"status": ["active", "retired"]}


def test_an_invalid_file_is_refused_with_its_name(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\ncode: x\n", encoding="utf-8")
    report = sync_protocols(files=[broken])
    assert report.refused and report.refused[0].startswith("broken.yaml: ")
    assert not ProtocolVersion.objects.exists()


@pytest.mark.slow
def test_check_command_exits_1_naming_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    shutil.copy(ACS, bad)
    bad.write_text(
        bad.read_text(encoding="utf-8").replace(
            "interval_days: {min: 3, max: 7}", "interval_days: {min: 9, max: 7}"
        ),
        encoding="utf-8",
    )
    env_cmd = [sys.executable, "-m", "autologic.cli", "protocols", "check", str(bad), str(ACS)]
    result = subprocess.run(env_cmd, capture_output=True, text=True, env=_env(), check=False)
    assert result.returncode == 1, result.stderr
    assert f"{bad}: injections.interval_days: min (9.0) is greater than max (7.0)" in result.stderr
    assert f"{ACS}: ok (acs-large-joint v1)" in result.stdout


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "AUTOLOGIC_MODE": "test"}
