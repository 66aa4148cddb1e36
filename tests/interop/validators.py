"""Run the two outside FHIR validators (tests/interop/node/validate.mjs): @medplum/core's
validateResource (R4 structure) and the npm ``fhir`` package (required bindings)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
VALIDATE = Path(__file__).with_name("node") / "validate.mjs"


def validate(tmp_path: Path, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Run both outside validators over the resources; their combined report."""
    files = []
    for n, resource in enumerate(resources):
        path = tmp_path / f"{n:04d}-{resource['resourceType']}.json"
        path.write_bytes(orjson.dumps(resource))
        files.append(str(path))
    done = subprocess.run(
        ["node", str(VALIDATE), *files], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert (done.returncode == 1) == bool(report["errors"])
    return report
