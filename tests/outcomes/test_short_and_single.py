"""KOOS JR, HOOS JR, KOOS-PS, HOOS-PS, NRS, VAS, PGA, ODI and IKDC against instruments.md 4-10."""

from __future__ import annotations

import pytest

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain import registry


def items(n: int, values: list[int | None]) -> dict[str, int | None]:
    return {f"I{i}": v for i, v in zip(range(1, n + 1), values, strict=True)}


# (instrument, item count, raw sum -> expected, rows read off the published tables)
TABLE_ROWS = [
    ("KOOS_JR", 7, {0: 100.000, 1: 91.975, 10: 61.583, 14: 52.465, 27: 8.291, 28: 0.0}),
    ("HOOS_JR", 6, {0: 100.000, 2: 85.257, 11: 55.985, 19: 29.009, 23: 8.104, 24: 0.0}),
    ("KOOS_PS", 7, {0: 100.0, 1: 94.4, 11: 64.7, 20: 45.6, 27: 8.2, 28: 0.0}),
    ("HOOS_PS", 5, {0: 100.0, 5: 80.0, 13: 49.2, 19: 9.2, 20: 0.0}),
]


def spread(total: int, n: int) -> list[int | None]:
    """n item values 0-4 that add up to total."""
    values = []
    for _ in range(n):
        take = min(4, total)
        values.append(take)
        total -= take
    assert total == 0
    return list(values)


@pytest.mark.parametrize(("name", "n", "rows"), TABLE_ROWS)
def test_raw_sum_converts_through_the_table(name, n, rows) -> None:
    instrument = registry.get(name)
    score_name = instrument.subscales[0].name
    assert score_name == ("interval" if name.endswith("JR") else "score")
    for raw, expected in rows.items():
        scored = instrument.score(items(n, spread(raw, n)))
        assert scored.values()[score_name] == pytest.approx(expected), raw


@pytest.mark.parametrize(("name", "n", "rows"), TABLE_ROWS)
def test_every_item_is_required(name, n, rows) -> None:
    instrument = registry.get(name)
    answers = items(n, [1] * (n - 1) + [None])
    scored = instrument.score(answers)
    (value,) = scored.values().values()
    assert value is None
    assert scored.missing == 1
    assert "every item must be answered" in next(iter(scored.reasons().values()))


@pytest.mark.parametrize("name", ["KOOS_JR", "HOOS_JR", "KOOS_PS", "HOOS_PS"])
def test_tables_fall_strictly_from_100_to_0(name) -> None:
    instrument = registry.get(name)
    n = len(instrument.items)
    values = [
        instrument.score(items(n, spread(raw, n))).values()[instrument.subscales[0].name]
        for raw in range(4 * n + 1)
    ]
    assert values[0] == 100 and values[-1] == 0
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_nrs_vas_and_global_are_the_answer() -> None:
    assert registry.get("NRS").score({"PAIN": 7}).values() == {"pain": 7}
    assert registry.get("NRS_PAIN").id == "NRS"
    assert registry.get("VAS").score({"PAIN": 100}).values() == {"pain": 100}
    assert registry.get("PGA").score({"GLOBAL": 0}).values() == {"global": 0}
    empty = registry.get("NRS").score({"PAIN": None})
    assert empty.values() == {"pain": None}
    assert empty.reasons() == {"pain": "the single item is unanswered"}


@pytest.mark.parametrize(
    ("name", "item", "bad"), [("NRS", "PAIN", 11), ("NRS", "PAIN", -1), ("VAS", "PAIN", 101)]
)
def test_single_items_refuse_out_of_range(name, item, bad) -> None:
    with pytest.raises(ValidationFailed) as err:
        registry.get(name).score({item: bad})
    assert err.value.code == "out_of_range"
    assert err.value.field == item


def odi(values: list[int | None]) -> dict[str, int | None]:
    return {f"Q{n}": v for n, v in enumerate(values, 1)}


def test_odi_percent_of_answered_sections() -> None:
    # All ten answered, sum 20: 20 / 50 * 100 = 40 %.
    assert registry.get("ODI").score(odi([2] * 10)).values() == {"percent": 40}
    # Section 8 (sex life) left out, nine answered summing 18: 18 / 45 * 100 = 40 %.
    one_missing = registry.get("ODI").score(odi([2] * 7 + [None, 2, 2]))
    assert one_missing.values() == {"percent": 40}
    assert one_missing.missing == 1
    # 5,4,3,...: sum 5+4+3+2+1+0+5+4+3 = 27 over 9 sections -> 27/45*100 = 60.
    assert registry.get("ODI").score(odi([5, 4, 3, 2, 1, 0, 5, 4, 3, None])).values() == {
        "percent": pytest.approx(60)
    }


def test_odi_two_missing_is_not_calculated() -> None:
    scored = registry.get("ODI").score(odi([1] * 8 + [None, None]))
    assert scored.values() == {"percent": None}
    assert scored.reasons()["percent"] == "needs at least 9 of 10 items answered; 8 answered"


def test_odi_extremes_and_range() -> None:
    assert registry.get("ODI").score(odi([0] * 10)).values() == {"percent": 0}
    assert registry.get("ODI").score(odi([5] * 10)).values() == {"percent": 100}
    with pytest.raises(ValidationFailed):
        registry.get("ODI").score(odi([6] + [0] * 9))


def ikdc(**values: int | None) -> dict[str, int | None]:
    return {key.upper(): value for key, value in values.items()}


BEST = ikdc(
    i1=4, i2=0, i3=0, i4=4, i5=4, i6=1, i7=4, i8=4,
    i9a=4, i9b=4, i9c=4, i9d=4, i9e=4, i9f=4, i9g=4, i9h=4, i9i=4, i10a=3, i10b=10,
)  # fmt: skip
WORST = ikdc(
    i1=0, i2=10, i3=10, i4=0, i5=0, i6=0, i7=0, i8=0,
    i9a=0, i9b=0, i9c=0, i9d=0, i9e=0, i9f=0, i9g=0, i9h=0, i9i=0, i10a=10, i10b=0,
)  # fmt: skip


def test_ikdc_extremes_and_item_10a_is_not_scored() -> None:
    assert registry.get("IKDC").score(BEST).values() == {"score": 100}
    assert registry.get("IKDC").score(WORST).values() == {"score": 0}
    without_10a = registry.get("IKDC").score(BEST | {"I10A": None})
    assert without_10a.values() == {"score": 100}
    assert without_10a.missing == 0


def test_ikdc_sum_over_87_when_complete() -> None:
    # Items 2 and 3 reversed: 3 -> 7, 5 -> 5.  2+7+5+2+2+0+2+2 + 9*2 + 5 = 45; 45/87*100.
    answers = ikdc(i1=2, i2=3, i3=5, i4=2, i5=2, i6=0, i7=2, i8=2, i10b=5) | {
        f"I9{c}": 2 for c in "ABCDEFGHI"
    }
    assert registry.get("IKDC").score(answers).values()["score"] == pytest.approx(45 / 87 * 100)
    # Without item 10b (max 10) the denominator is 77: 40/77*100.
    partial = registry.get("IKDC").score(answers | {"I10B": None})
    assert partial.values()["score"] == pytest.approx(40 / 77 * 100)
    # Without items 10b and 2 (16 of 18): 33/67*100.
    sixteen = registry.get("IKDC").score(answers | {"I10B": None, "I2": None})
    assert sixteen.values()["score"] == pytest.approx(33 / 67 * 100)


def test_ikdc_needs_16_of_18() -> None:
    scored = registry.get("IKDC").score(BEST | {"I1": None, "I2": None, "I3": None})
    assert scored.values() == {"score": None}
    assert scored.reasons()["score"] == "needs at least 16 of 18 items answered; 15 answered"
    assert scored.missing == 3


def test_unknown_instrument_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as err:
        registry.get("SF36")
    assert err.value.field == "instrument"


def test_every_protocol_instrument_is_known() -> None:
    from pathlib import Path

    import yaml

    library = Path(__file__).resolve().parents[2] / "src/autologic/protocols/library"
    for path in library.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        for tp in data["follow_up"]["timepoints"]:
            for name in tp.get("instruments", []):
                assert registry.known(name), (path.name, name)
