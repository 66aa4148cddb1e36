"""Every resource type the FHIR API emits is checked from outside: @medplum/core's
validateResource (R4 structure) and the npm ``fhir`` package (required bindings) must report 0
errors, and ``fhir.resources`` (R4B) must parse each resource.  The harness is first shown to
fail on resources that are known to be wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from autologic.analytics.actions import save_cohort
from autologic.billing.actions import add_coverage
from autologic.common import clock
from autologic.interop.resources.registry import TYPES
from tests.billing.test_claims import invoiced_course
from tests.care.conftest import NOW
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
from tests.interop.conftest import Fhir
from tests.interop.validators import validate
from tests.interop.world_clinical import treated
from tests.interop.world_outcomes import outcomes_world


def test_the_validators_catch_known_mistakes(tmp_path) -> None:
    wrong = [
        {  # storage.temperature is a number; "serum-ish" is no product category
            "resourceType": "BiologicallyDerivedProduct",
            "productCategory": "serum-ish",
            "storage": [{"temperature": "cold"}],
        },
        {
            "resourceType": "AuditEvent",
            "type": {"code": "rest"},
            "recorded": "2026-12-07T09:00:00Z",
            "source": {"observer": {"display": "x"}},
        },  # no agent (1..*)
        {"resourceType": "Patient", "gender": "man"},  # not administrative-gender
    ]
    report = validate(tmp_path, wrong)
    failed = {(e["validator"], e["type"]) for e in report["errors"]}
    assert ("fhir", "BiologicallyDerivedProduct") in failed
    assert ("medplum", "BiologicallyDerivedProduct") in failed
    assert ("medplum", "AuditEvent") in failed
    assert {t for _v, t in failed} == {"BiologicallyDerivedProduct", "AuditEvent", "Patient"}


def emitted(fhir: Fhir) -> list[dict[str, Any]]:
    """What the API answers for every served type: each search Bundle, each resource in it,
    each resource read on its own, the CapabilityStatement and a refusal."""
    out = [fhir.json("/fhir/metadata"), fhir.json("/fhir/Patient", {"name": "x"})]
    for name, rtype in TYPES.items():
        bundle = fhir.json(
            f"/fhir/{name}", {"_include": list(rtype.includes)} if rtype.includes else None
        )
        out.append(bundle)
        resources = [e["resource"] for e in bundle.get("entry", [])]
        assert any(r["resourceType"] == name for r in resources), f"no {name} in the test data"
        out += resources
        out += [fhir.json(f"/fhir/{r['resourceType']}/{r['id']}") for r in resources[:3]]
    return out


@pytest.fixture
def fhir_world(injected, site, physician, fixed_clock, start_course, make_staff) -> None:
    """A product's whole chain for one patient; a treated course with grades, consents and
    appointments, answered questionnaires and an adverse event for another."""
    from datetime import UTC, datetime

    from autologic.patients.actions import create_patient
    from tests.conftest import patient_data

    fixed_clock.current = NOW  # the billed course starts from the care fixtures' day
    clerk = make_staff("billing")
    course, _invoice = invoiced_course(site, start_course, clerk)
    add_coverage(
        course,
        insurer="Sanitas",
        policy_number="P-778",
        channel="direct",
        share_rule="Contracted clinic, 80 %",
        by=clerk,
        now=NOW,
    )

    fixed_clock.current = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the other patient's today
    other = create_patient(
        site=site, data=patient_data(family_name="Okafor", given_name="Ada"), by=physician
    )
    treated(site, physician, other)
    outcomes_world(other, physician, clock.now())
    save_cohort(site=site, name="Knees", query={"region": ["knee"]}, by=physician, now=clock.now())


@pytest.mark.django_db
def test_every_type_served_passes_both_validators_and_parses_as_r4b(
    tmp_path, fhir_for, fhir_world
) -> None:
    fhir = fhir_for()
    emitted_resources = emitted(fhir)
    report = validate(tmp_path, emitted_resources)
    assert report["errors"] == []
    assert set(TYPES) | {"Bundle", "CapabilityStatement", "OperationOutcome"} <= set(
        report["types"]
    )
    for resource in emitted_resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.mark.django_db
def test_every_identifier_carries_a_system(fhir_for, fhir_world) -> None:
    fhir = fhir_for()

    def identifiers(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            found = (
                list(node.get("identifier", [])) if isinstance(node.get("identifier"), list) else []
            )
            return found + [i for v in node.values() for i in identifiers(v)]
        if isinstance(node, list):
            return [i for v in node for i in identifiers(v)]
        return []

    found = identifiers(emitted(fhir))
    assert found and all(
        i.get("system", "").startswith(("https://", "http://", "urn:")) for i in found
    )
