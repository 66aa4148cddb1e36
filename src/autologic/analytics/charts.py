"""The registry's charts: Vega-Lite specifications built with Altair and rendered to SVG by
vl-convert on the server, so they print, work offline and need no script (docs/adr/0009).

Numbers on the axes are written by the same formatting the page uses (``share``), so a
Persian page shows Persian digits; the chart's colours say the verdict, and the page's
legend says what each mark is."""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert
from django.utils.safestring import SafeString, mark_safe

from autologic.analytics.domain.claims import Result

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
    spec.setdefault("config", {})["font"] = "system-ui, sans-serif"
    svg = vl_convert.vegalite_to_svg(spec)
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
