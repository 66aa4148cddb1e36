"""A course ready to be billed: the care fixtures, and each country's billing profile."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from autologic.billing import actions
from autologic.billing.domain.money import Money
from autologic.common import clock
from tests.care.conftest import NOW, fixed_clock, resources, start_course  # noqa: F401

PROFILES: dict[str, dict[str, Any]] = {
    "DE": {
        "country": "DE",
        "legal_name": "Orthozentrum Berlin MVZ GmbH",
        "tax_id": "27/123/45678",
        "address": "Friedrichstraße 1\n10117 Berlin",
    },
    "ES": {
        "country": "ES",
        "legal_name": "Clínica Ortobiológica Barcelona SL",
        "tax_id": "B12345674",
        "address": "Carrer de Balmes 100\n08008 Barcelona",
        "verifactu": True,
    },
    "AE": {
        "country": "AE",
        "legal_name": "Autologic Clinic Dubai LLC",
        "tax_id": "100123456700003",
        "address": "Dubai Healthcare City, Building 64",
    },
    "IR": {
        "country": "IR",
        "legal_name": "درمانگاه درد تهران",
        "tax_id": "10101234567",
        "address": "تهران، خیابان ولیعصر",
        "show_tomans": True,
        "deposit_gate": True,
    },
}

# The German clinic's GOÄ items for an ACS course (points from billing.md §2.1; the analog
# assignment for ACS is ❓ there, so the clinic configures it and the page says so).
GOAE_ITEMS = [
    {
        "code": "1",
        "label": {"en": "Consultation", "de": "Beratung"},
        "per": "course",
        "points": 80,
        "frame": "personal",
    },
    {
        "code": "284",
        "label": {"en": "Autologous blood preparation", "de": "Eigenblutbehandlung"},
        "per": "collection",
        "points": 90,
        "frame": "personal",
    },
    {
        "code": "255",
        "label": {"en": "Intra-articular injection", "de": "Intraartikuläre Injektion"},
        "per": "region_injection",
        "points": 95,
        "frame": "personal",
    },
]


def billing_for(site, country: str, **overrides: Any):
    return actions.set_billing_profile(
        site, {**PROFILES[country], **overrides}, by=None, now=clock.now()
    )


def goae_list(site) -> None:
    zero = Money.of(0, "EUR")
    items = [{**i, "low": zero, "high": zero} for i in GOAE_ITEMS]
    # A § 10 expense: the ACS syringe kit (whether it qualifies is ❓ in billing.md).
    kit = Money.of("180.00", "EUR")
    items.append(
        {
            "code": "acs-kit",
            "label": {"en": "ACS syringe kit", "de": "ACS-Spritzenset"},
            "per": "collection",
            "frame": "expense",
            "low": kit,
            "high": kit,
        }
    )
    actions.add_price_list(
        site,
        "acs-large-joint",
        effective_from=NOW.date(),
        items=items,
        source="GOÄ items of the clinic",
        by=None,
        now=NOW,
    )


def hip_range(site) -> None:
    """Seed 004: a hip course at 12–20 million tomans, by method (stored in rials)."""
    actions.add_price_list(
        site,
        "cells-hip",
        effective_from=NOW.date(),
        items=[
            {
                "code": "hip-course",
                "label": {"fa": "دوره درمان سلولی لگن", "en": "Hip cell therapy course"},
                "per": "course",
                "low": Money.of(120_000_000, "IRR"),
                "high": Money.of(200_000_000, "IRR"),
            }
        ],
        source="Clinic page, seed 004",
        by=None,
        now=NOW,
    )


@pytest.fixture
def billing_clerk(make_staff):
    return make_staff("billing")


__all__ = ["Decimal"]
