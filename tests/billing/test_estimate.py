"""Price lists and estimates (issue 17): ranges fixed with a reason, quantities from the course's
shape, the newest list in force, no flat price list where the GOÄ applies, and the protocol
files' prices as a clinic's first list."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from autologic.billing.domain.estimate import (
    EstimateError,
    PriceLine,
    PriceList,
    Shape,
    allowed,
    estimate,
    from_protocol,
    in_force,
)
from autologic.billing.domain.money import Money
from autologic.protocols.domain.parse import parse_protocol

LIBRARY = Path(__file__).resolve().parents[2] / "src" / "autologic" / "protocols" / "library"


def irr(tomans: int) -> Money:
    return Money.of(tomans * 10, "IRR")


HIP = PriceList(
    1,
    date(2026, 3, 21),
    "IRR",
    (PriceLine("package", "Hip cell treatment", "course", irr(12_000_000), irr(20_000_000)),),
)


def test_seed_004s_range_is_fixed_inside_it_with_a_reason():
    """12 to 20 million tomans depending on the method: the estimate fixes 16 million for the
    fat harvest and says so."""
    fixed = {"package": (irr(16_000_000), "Abdominal fat, cells not multiplied")}
    priced = estimate(HIP, Shape(regions=1, injections=1), fixed)
    assert priced.total == Money.of(160_000_000, "IRR")
    assert priced.lines[0].reason == "Abdominal fat, cells not multiplied"


@pytest.mark.parametrize(
    ("fixed", "code", "field"),
    [
        ({}, "price_not_fixed", "price-package"),
        ({"package": (irr(25_000_000), "marrow")}, "price_outside_range", "price-package"),
        ({"package": (irr(16_000_000), "  ")}, "price_reason_missing", "reason-package"),
    ],
)
def test_a_range_without_a_price_inside_it_and_a_reason_is_refused(fixed, code, field):
    with pytest.raises(EstimateError) as refused:
        estimate(HIP, Shape(regions=1, injections=1), fixed)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_quantities_follow_the_course_both_knees_six_injections_each():
    """Hand-worked: 150 + 450 + 12 × 120 = 2,040.00 EUR."""
    prices = PriceList(
        1,
        date(2026, 1, 1),
        "EUR",
        (
            PriceLine(
                "consultation",
                "Consultation",
                "course",
                Money.of("150", "EUR"),
                Money.of("150", "EUR"),
            ),
            PriceLine(
                "processing",
                "Processing",
                "collection",
                Money.of("450", "EUR"),
                Money.of("450", "EUR"),
            ),
            PriceLine(
                "injection",
                "Injection",
                "region_injection",
                Money.of("120", "EUR"),
                Money.of("120", "EUR"),
            ),
        ),
    )
    priced = estimate(prices, Shape(regions=2, injections=6))
    assert [line.quantity for line in priced.lines] == [1, 1, 12]
    assert priced.total == Money.of("2040.00", "EUR")


def test_the_newest_list_in_force_on_the_day_is_used():
    later = PriceList(2, date(2027, 3, 21), "IRR", HIP.lines)
    assert in_force([HIP, later], date(2026, 12, 6)) is HIP
    assert in_force([HIP, later], date(2027, 3, 21)) is later
    with pytest.raises(EstimateError, match="no price list"):
        in_force([HIP, later], date(2025, 1, 1))


def test_germany_has_no_flat_price_list():
    allowed("ES")
    allowed("IR")
    with pytest.raises(EstimateError) as refused:
        allowed("DE")
    assert refused.value.code == "flat_fees_excluded"


def test_a_clinics_first_list_comes_from_the_protocol_files_prices():
    path = LIBRARY / "acs-large-joint.v3.yaml"
    protocol = parse_protocol(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    prices = from_protocol(
        protocol.prices, currency="AED", language="en", version=1, effective_from=date(2026, 1, 1)
    )
    assert [(line.code, line.per, line.low.amount) for line in prices.lines] == [
        (item.code, item.per, item.amounts["AED"]) for item in protocol.prices
    ]
    priced = estimate(prices, Shape(regions=1, injections=6))
    assert priced.total.currency == "AED" and priced.total.amount > 0
