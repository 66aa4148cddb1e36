"""Commands that need no database run in production mode without a SECRET_KEY; any other command
without one says so on one line, not with a traceback. Each runs as a real `autologic` process
with a clean environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _autologic(
    *args: str, data_dir: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autologic.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        input=stdin,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "AUTOLOGIC_MODE": "production",
            "AUTOLOGIC_DATA_DIR": str(data_dir),
            **env,
        },
    )


def test_protocols_check_runs_without_a_secret_key(tmp_path: Path):
    done = _autologic("protocols", "check", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "acs-spine" in done.stdout and "Traceback" not in done.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: broken\n")
    refused = _autologic("protocols", "check", str(broken), data_dir=tmp_path)
    assert refused.returncode == 1 and f"{broken}:" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_score_and_ids_run_without_a_secret_key(tmp_path: Path):
    scored = _autologic("score", "NRS", data_dir=tmp_path, stdin='{"PAIN": 4}')
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["scores"] == {"pain": 4.0}
    checked = _autologic("ids", "check-char", "G123498654321", data_dir=tmp_path)
    assert (checked.returncode, checked.stdout) == (0, "H\n")


def test_labels_sample_runs_without_a_secret_key(tmp_path: Path):
    pytest.importorskip("weasyprint")
    out = tmp_path / "sample.pdf"
    done = _autologic("labels", "sample", "--out", str(out), data_dir=tmp_path)
    if "cannot load library" in done.stderr:  # Pango missing: `make labeltools`
        pytest.skip("Pango is not installed")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    "args", [("migrate",), ("protocols", "sync"), ("worker", "--once"), ("manage", "check")]
)
def test_a_command_that_needs_the_secret_key_says_so_in_one_line(tmp_path: Path, args):
    done = _autologic(*args, data_dir=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autologic: SECRET_KEY is missing")
    assert not list(tmp_path.glob("*.sqlite3"))  # nothing was opened or created


def test_an_offline_process_has_no_database(tmp_path: Path):
    """What lets those commands go without a key also keeps them from any stored data."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from autologic.accounts.models import Site\n"
            "Site.objects.count()",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "AUTOLOGIC_MODE": "production",
            "AUTOLOGIC_OFFLINE": "1",
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "autologic.settings",
        },
    )
    assert done.returncode != 0
    assert "settings.DATABASES is improperly configured" in done.stderr
