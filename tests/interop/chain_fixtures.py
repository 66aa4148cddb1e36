"""The fixtures that make a product's whole chain (collected, processed, released, reserved,
issued, thawed and injected after the two-person bedside check), for the FHIR tests that
import them: the lab's and the bedside's own fixtures, and ``injected``."""

from __future__ import annotations

import pytest

from autologic.injections import actions
from tests.conftest import band
from tests.injections.conftest import (  # noqa: F401
    freezer,
    given,
    nurse,
    ready,
    released,
    sessions,
)
from tests.lab.conftest import (  # noqa: F401
    fixed_clock,
    make_lot,
    manager,
    proof,
    resources,
    start_course,
    tech,
)


@pytest.fixture
def injected(released, physician, nurse, patient, fixed_clock):  # noqa: F811
    """An ACS lot released, its first unit issued, thawed and injected after the bedside check:
    (the collection, the unit, the administration)."""
    lot = released()
    first = sessions(lot)[0]
    unit = ready(first, nurse, fixed_clock)
    record = actions.administer(
        first,
        given(unit, band(patient)),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    return lot, unit, record
