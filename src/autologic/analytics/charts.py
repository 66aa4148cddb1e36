"""The registry's charts: Vega-Lite specifications built with Altair and rendered to SVG by
vl-convert on the server, so they print, work offline and need no script (docs/adr/0009).

Numbers on the axes are written by the same formatting the page uses (``share``), so a
Persian page shows Persian digits; the chart's colours say the verdict, and the page's
legend says what each mark is."""

from __future__ import annotations

import math
import re
from typing import Any

import altair as alt
import vl_convert
from django.utils.safestring import SafeString, mark_safe

from autologic.analytics.domain.claims import Result

_INNER_ROLES = re.compile(r' (?:role="graphics-[a-z]+"|aria-roledescription="[^"]*")')
VERDICT_COLOURS = {
    "consistent": "#1f7a4d",
    "not_consistent": "#b42318",
    "not_enough_data": "#6b7785",
}
CLAIM_COLOUR = "#d7dde4"
WIDTH = 560


def _render(chart: alt.TopLevelMixin, description: str) -> SafeString:
    """The chart as an inline SVG element with its accessible description."""
    spec: dict[str, Any] = chart.to_dict()
    spec["description"] = description
    config = spec.setdefault("config", {})
    config["font"] = "system-ui, sans-serif"
    # The chart is one image with one description (below); its marks are not read one by one.
    config["aria"] = False
    svg = vl_convert.vegalite_to_svg(spec)
    # Vega names each mark container a graphics object; inside one image they are not.
    svg = _INNER_ROLES.sub("", svg)
    # The SVG comes from vl-convert's renderer over our own data, not from user input.
    # Axes run left to right in every language; the labels are numbers in the page's digits.
    svg = svg.replace(
        "<svg ",
        f'<svg role="img" aria-label="{_attribute(description)}" direction="ltr" ',
        1,
    )
    return mark_safe(svg)  # noqa: S308


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _axis_labels(format_share: Any) -> str:
    """A Vega expression giving each tick (0, 25 ... 100 %) its label in the page's form."""
    pairs = ", ".join(f"'{v}': '{format_share(v)}'" for v in (0, 0.25, 0.5, 0.75, 1))
    return "({" + pairs + "})[toString(datum.value)]"


def claims_chart(results: list[Result], format_share: Any, description: str) -> SafeString | None:
    """Each proportion claim as a grey band (what the page claims) beside the clinic's
    measured value (dot) and 95 % interval (line), coloured by the verdict."""
    rows = []
    for r in results:
        if r.kind != "proportion" or r.value is None or r.low is None or r.high is None:
            continue
        low, high = r.claim.claimed.bounds()
        point = r.claim.claimed.direction == "about" and low == high
        rows.append(
            {
                "claim": r.claim.id,
                "claimed_low": max(0.0, low - 0.004) if point else low,
                "claimed_high": min(1.0, high + 0.004) if point else high,
                "value": r.value,
                "low": r.low,
                "high": r.high,
                "verdict": str(r.verdict),
            }
        )
    if not rows:
        return None
    order = [row["claim"] for row in rows]
    scale = alt.Scale(domain=[0, 1], nice=False)
    axis = alt.Axis(
        values=[0, 0.25, 0.5, 0.75, 1], labelExpr=_axis_labels(format_share), title=None, grid=True
    )
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("claim:N", sort=order, title=None, axis=alt.Axis(labelFontWeight="bold"))
    )
    colour = alt.Color(
        "verdict:N",
        scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
        legend=None,
    )
    claimed = base.mark_bar(color=CLAIM_COLOUR, height=16).encode(
        x=alt.X("claimed_low:Q", scale=scale, axis=axis), x2="claimed_high:Q"
    )
    interval = base.mark_rule(strokeWidth=3).encode(x="low:Q", x2="high:Q", color=colour)
    measured = base.mark_point(filled=True, size=90, opacity=1).encode(x="value:Q", color=colour)
    chart = (claimed + interval + measured).properties(width=WIDTH, height=30 * len(rows))
    return _render(chart.configure_view(stroke=None), description)


def change_chart(
    points: list[dict[str, Any]], label_number: Any, description: str
) -> SafeString | None:
    """Mean change from baseline at each timepoint (dot and line) with its 95 % interval."""
    shown = [p for p in points if p["mean"] is not None]
    if not shown:
        return None
    order = [p["label"] for p in shown]
    base = alt.Chart(alt.Data(values=shown)).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    )
    y = alt.Y(
        "mean:Q",
        title=None,
        axis=alt.Axis(labelExpr=_number_labels(shown, label_number), tickMinStep=1),
    )
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=70), color="#1f5f8b").encode(
        y=y
    )
    bars = base.mark_rule(color="#1f5f8b", strokeWidth=2).encode(y="low:Q", y2="high:Q")
    zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color="#9aa5b1").encode(y="zero:Q")
    chart = (zero + bars + line).properties(width=WIDTH, height=220)
    return _render(chart.configure_view(stroke=None), description)


def _number_labels(points: list[dict[str, Any]], label_number: Any) -> str:
    """Axis labels in the page's digits for the ticks Vega chooses (whole numbers)."""
    values = [
        v for p in points for v in (p.get("low"), p.get("high"), p.get("mean")) if v is not None
    ]
    low, high = int(min(values + [0])) - 5, int(max(values + [0])) + 5
    pairs = ", ".join(f"'{v}': '{label_number(v)}'" for v in range(low, high + 1))
    return "({" + pairs + "})[toString(datum.value)] || toString(datum.value)"


def responder_chart(
    bars: list[dict[str, Any]], format_share: Any, description: str
) -> SafeString | None:
    """Responder shares per timepoint and definition, as bars with their 95 % intervals."""
    shown = [b for b in bars if b["value"] is not None]
    if not shown:
        return None
    order = list(dict.fromkeys(b["label"] for b in shown))
    kinds = list(dict.fromkeys(b["kind"] for b in shown))
    palette = ["#1f5f8b", "#5aa469", "#d08c2a"][: len(kinds)]
    scale = alt.Scale(domain=[0, 1], nice=False)
    axis = alt.Axis(
        values=[0, 0.25, 0.5, 0.75, 1], labelExpr=_axis_labels(format_share), title=None
    )
    base = alt.Chart(alt.Data(values=shown)).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("kind:N", sort=kinds),
    )
    colour = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=kinds, range=palette),
        legend=alt.Legend(title=None, orient="top", direction="horizontal", labelLimit=400),
    )
    bars_mark = base.mark_bar(opacity=0.85).encode(
        y=alt.Y("value:Q", scale=scale, axis=axis), color=colour
    )
    errors = base.mark_rule(color="#1d2733").encode(y="low:Q", y2="high:Q")
    chart = (bars_mark + errors).properties(width=WIDTH, height=220)
    return _render(chart.configure_view(stroke=None), description)


def survival_chart(
    steps: list[dict[str, Any]], format_share: Any, months_label: Any, description: str
) -> SafeString | None:
    """A Kaplan-Meier curve (steps) with its 95 % band, over months from the first injection."""
    if not steps:
        return None
    scale = alt.Scale(domain=[0, 1], nice=False)
    axis = alt.Axis(
        values=[0, 0.25, 0.5, 0.75, 1], labelExpr=_axis_labels(format_share), title=None
    )
    longest = max(s["months"] for s in steps)
    step = 6 if longest <= 36 else 12
    end = max(step, step * math.ceil(longest / step))
    ticks = list(range(0, end + 1, step))
    x_axis = alt.Axis(
        values=ticks,
        labelExpr="({"
        + ", ".join(f"'{t}': '{months_label(t)}'" for t in ticks)
        + "})[toString(datum.value)]",
        title=None,
    )
    base = alt.Chart(alt.Data(values=steps))
    x = alt.X("months:Q", scale=alt.Scale(domain=[0, ticks[-1]], nice=False), axis=x_axis)
    band = base.mark_area(interpolate="step-after", opacity=0.25, color="#1f5f8b").encode(
        x=x, y=alt.Y("low:Q", scale=scale, axis=axis), y2="high:Q"
    )
    curve = base.mark_line(interpolate="step-after", color="#1f5f8b", strokeWidth=2).encode(
        x=x, y=alt.Y("survival:Q", scale=scale)
    )
    censored = (
        base.transform_filter("datum.censored > 0")
        .mark_tick(color="#1d2733", thickness=1, size=8)
        .encode(x=x, y=alt.Y("survival:Q", scale=scale))
    )
    chart = (band + curve + censored).properties(width=WIDTH, height=240)
    return _render(chart.configure_view(stroke=None), description)


def forest_chart(
    rows: list[dict[str, Any]], overall: float | None, format_share: Any, description: str
) -> SafeString | None:
    """One row per stratum: its share (dot) and 95 % interval (line); the cohort's share as a
    dashed line."""
    shown = [r for r in rows if r["value"] is not None]
    if not shown:
        return None
    order = [r["label"] for r in shown]
    scale = alt.Scale(domain=[0, 1], nice=False)
    axis = alt.Axis(
        values=[0, 0.25, 0.5, 0.75, 1], labelExpr=_axis_labels(format_share), title=None, grid=True
    )
    base = alt.Chart(alt.Data(values=shown)).encode(y=alt.Y("label:N", sort=order, title=None))
    interval = base.mark_rule(strokeWidth=2, color="#1d2733").encode(
        x=alt.X("low:Q", scale=scale, axis=axis), x2="high:Q"
    )
    point = base.mark_square(size=40 + 0, color="#1f5f8b").encode(
        x="value:Q", size=alt.Size("n:Q", legend=None, scale=alt.Scale(range=[30, 220]))
    )
    layers = interval + point
    if overall is not None:
        layers += (
            alt.Chart(alt.Data(values=[{"overall": overall}]))
            .mark_rule(strokeDash=[4, 3], color="#b42318")
            .encode(x="overall:Q")
        )
    chart = layers.properties(width=WIDTH - 100, height=28 * len(shown))
    return _render(chart.configure_view(stroke=None), description)
