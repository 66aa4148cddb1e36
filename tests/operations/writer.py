"""A clinic writing while it is backed up or replicated: registers patients through the real
action, one transaction each, and appends each committed MRN to a file, until told to stop
(tests/operations/test_backup_drill, test_pitr, test_litestream). Run as a script; the drills
use ``autologic`` and ``write_through_a_moment`` from here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

PASSWORD = "correct-horse-battery-staple"


def command_env(root: Path, url: str) -> dict[str, str]:
    """The environment of an `autologic` command on the database at ``url``."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"AUTOLOGIC_MODE": "test", "AUTOLOGIC_DATA_DIR": str(root), "DATABASE_URL": url})
    return env


def autologic(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `autologic` command as an operator would, in its own process."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "autologic.cli", *args],
        env=command_env(root, url) | {"AUTOLOGIC_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=600,
    )


def open_clinic(root: Path, url: str, code: str) -> None:
    """Migrate an empty database and open a clinic with one coordinator."""
    migrated = autologic(root, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    opened = autologic(
        root,
        url,
        "createstaff",
        "--username=front",
        "--role=coordinator",
        f"--site={code}",
        f"--site-name=Clinic {code}",
        "--name=Ana Front",
    )
    assert opened.returncode == 0, opened.stderr


@dataclass
class Moment:
    """A moment while the clinic was writing, and what it had acknowledged around it."""

    at: datetime
    settled: set[str]  # acknowledged ``settle`` seconds before the moment: committed by then
    # acknowledged 1.5 s after it: all that can have committed by then (a loaded machine may
    # take a moment between a commit and its acknowledgement)
    by_then: set[str]
    everything: set[str]  # acknowledged once the clinic stopped


def write_through_a_moment(
    root: Path, url: str, *, settle: float, alive: Callable[[], None] = lambda: None
) -> Moment:
    """Run this script against ``url`` until 20 patients are in, note a moment ``settle``
    seconds later, and stop it 20 patients after that. ``alive`` asserts that whatever else must
    keep running (a replicator) still is."""
    stop, acks = root / "stop", root / "acks"
    env = command_env(root, url) | {
        "DJANGO_SETTINGS_MODULE": "autologic.settings",
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    writer = subprocess.Popen([sys.executable, __file__, str(stop), str(acks)], env=env)  # noqa: S603

    def acknowledged() -> set[str]:
        return set(acks.read_text().split()) if acks.exists() else set()

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 120
        while len(acknowledged()) < n:
            assert writer.poll() is None, "the writer stopped"
            alive()
            assert time.monotonic() < deadline, "the writer is too slow"
            time.sleep(0.1)

    try:
        wait_for(20)
        settled = acknowledged()
        time.sleep(settle)
        at = datetime.now(UTC)
        time.sleep(1.5)
        by_then = acknowledged()
        wait_for(len(by_then) + 20)
    finally:
        stop.touch()
        writer.wait(60)
    assert writer.returncode == 0
    return Moment(at, settled, by_then, acknowledged())


def main(stop: Path, acks: Path) -> None:
    import django

    django.setup()
    from autologic.accounts.models import Site
    from autologic.patients.actions import create_patient

    site = Site.objects.order_by("pk").first()
    assert site is not None, "the demo has no clinic"
    with acks.open("a", encoding="utf-8") as out:
        for n in range(5000):
            if stop.exists():
                break
            patient = create_patient(
                site=site,
                data={
                    "given_name": "Load",
                    "family_name": f"Writer{n}",
                    "date_of_birth": date(1970, 1, 1),
                    "sex": "female",
                },
                by=None,
            )
            out.write(f"{patient.mrn}\n")  # after the commit: an acknowledged write
            out.flush()
            os.fsync(out.fileno())


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
