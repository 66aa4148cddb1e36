"""A clinic chooses its own MCID/PASS per score; the outcome page then judges with it."""

from __future__ import annotations

import pytest

from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes import actions, queries

pytestmark = pytest.mark.django_db


def test_defaults_come_from_the_cited_reference(site) -> None:
    chosen = queries.site_thresholds(site)
    assert chosen[("NRS", "pain", "change")].id == "nrs-mcid-2"
    assert ("HOOS", "pain", "change") not in chosen  # no cited value: no flag


def test_a_clinic_picks_another_reference_or_its_own_value(site, make_staff, fixed_clock) -> None:
    manager = make_staff("manager")
    actions.choose_threshold(
        site=site,
        instrument="KOOS",
        score="qol",
        use="change",
        reference="koos-qol-mcid-8",
        by=manager,
        now=fixed_clock.now(),
    )
    actions.choose_threshold(
        site=site,
        instrument="HOOS",
        score="pain",
        use="change",
        value=10,
        source="Clinic board 2026-11",
        by=manager,
        now=fixed_clock.now(),
    )
    chosen = queries.site_thresholds(site)
    assert chosen[("KOOS", "qol", "change")].value == 8.0
    own = chosen[("HOOS", "pain", "change")]
    assert (own.value, own.source) == (10, "Clinic board 2026-11")
    assert AuditEvent.objects.filter(action="outcomes.threshold_chosen").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"instrument": "KOOS", "score": "total", "use": "change", "value": 5, "source": "x"},
            "score",
        ),
        (
            {"instrument": "KOOS", "score": "qol", "use": "change", "reference": "nrs-mcid-2"},
            "reference",
        ),
        (
            {"instrument": "VAS", "score": "pain", "use": "change", "reference": "vas-pass-32.3"},
            "reference",
        ),
        ({"instrument": "KOOS", "score": "qol", "use": "change", "value": 5}, "source"),
        ({"instrument": "KOOS", "score": "qol", "use": "change"}, "value"),
        (
            {"instrument": "SF36", "score": "x", "use": "change", "value": 1, "source": "x"},
            "instrument",
        ),
    ],
)
def test_bad_choices_name_the_field(site, make_staff, fixed_clock, kwargs, field) -> None:
    with pytest.raises(ValidationFailed) as err:
        actions.choose_threshold(
            site=site, by=make_staff("manager"), now=fixed_clock.now(), **kwargs
        )
    assert err.value.field == field
