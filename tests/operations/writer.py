"""A clinic writing while it is backed up: registers patients through the real action, one
transaction each, and appends each committed MRN to a file, until told to stop
(tests/operations/test_backup_drill)."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path


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
