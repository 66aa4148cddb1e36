"""The lab's gauges on /metrics (operations.queries): the oldest lot still waiting for its
release decision, and freezer excursions open or not yet acknowledged, per clinic."""

from __future__ import annotations

from datetime import timedelta

from autologic.lab.actions import release, storage
from autologic.lab.models import Box, Unit
from autologic.operations import queries
from autologic.operations.metrics import ClinicCollector
from tests.lab.conftest import pass_qc, proof


def final_units(lot) -> list[Unit]:
    return list(Unit.objects.filter(collection=lot, parent__isnull=False).order_by("pk"))


def test_an_unreleased_lot_is_the_oldest_until_its_release(make_lot, tech, manager, fixed_clock):
    lot = make_lot(store=True)
    assert queries.oldest_unreleased_lots() == {lot.site.code: lot.collected_at}
    pass_qc(lot, tech)
    release.release_lot(
        lot, decision="released", proofs=[proof(manager)], notes="", now=fixed_clock.now()
    )
    assert queries.oldest_unreleased_lots() == {}


def test_an_excursion_is_open_until_it_ends_and_counted_until_acknowledged(
    make_lot, tech, manager, freezer, fixed_clock
):
    lot = make_lot()
    pass_qc(lot, tech)
    storage.check_in(final_units(lot), Box.objects.get(code="B1"), by=tech, now=fixed_clock.now())
    t = fixed_clock.now() + timedelta(hours=1)
    storage.record_readings(
        freezer,
        [(t, -20.0), (t + timedelta(hours=1), -12.5)],
        source="logger",
        by=tech,
        now=t + timedelta(hours=2),
    )
    code = freezer.site.code
    assert queries.freezer_excursions() == {(code, "open"): 1, (code, "unacknowledged"): 1}
    storage.record_readings(
        freezer,
        [(t + timedelta(hours=2), -21.0)],
        source="logger",
        by=tech,
        now=t + timedelta(hours=3),
    )
    assert queries.freezer_excursions() == {(code, "unacknowledged"): 1}
    # The scrape reports the same, with the lot's age from the scrape's time.
    now = t + timedelta(hours=3)
    families = {f.name: f for f in ClinicCollector(now).collect()}
    (excursions,) = families["autologic_freezer_excursions"].samples
    assert excursions.labels == {"site": code, "state": "unacknowledged"} and excursions.value == 1
    (age,) = families["autologic_oldest_unreleased_lot_seconds"].samples
    assert age.value == (now - lot.collected_at).total_seconds()
    assert Unit.objects.filter(collection=lot, status="quarantined").exists()
