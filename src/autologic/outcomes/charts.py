"""Server-rendered SVG geometry for a score over time: the line, the baseline, the MCID band.

Only coordinates are computed here; ``outcomes/_chart.html`` draws them, so the chart needs no
JavaScript and prints as it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from autologic.outcomes.queries import Point, Series

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34


@dataclass(frozen=True)
class Dot:
    """One plotted score."""

    x: float
    y: float
    value: float
    label: str
    measured_on: date
    important: bool  # reached the clinic's important-change threshold
    acceptable: bool  # inside the acceptable symptom state
    staff_entered: bool


@dataclass(frozen=True)
class Tick:
    """An axis tick with its label."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the template needs to draw one series."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    line: str
    dots: list[Dot]
    baseline_y: float | None
    band: tuple[float, float] | None  # y of the top and the height of baseline .. baseline ± MCID
    pass_y: float | None
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    better_up: bool

    @property
    def plot_width(self) -> int:
        """Width of the plotting area."""
        return self.right - self.left


def _flags(series: Series, point: Point) -> tuple[bool, bool]:
    important = acceptable = False
    for flag in series.flags(point):
        if flag.threshold.kind.is_change:
            important = bool(flag.met)
        else:
            acceptable = bool(flag.met)
    return important, acceptable


def chart(series: Series) -> Chart | None:
    """The chart of one series, or None when nothing in it could be scored."""
    points = [p for p in series.points if p.value is not None]
    if not points:
        return None
    first, last = points[0].measured_on, points[-1].measured_on
    span = max((last - first).days, 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return round(LEFT + (day - first).days / span * plot_w, 1)

    def y(value: float) -> float:
        fraction = (value - series.low) / ((series.high - series.low) or 1)
        return round(TOP + (1 - fraction) * plot_h, 1)

    dots = []
    for p in points:
        assert p.value is not None
        important, acceptable = _flags(series, p)
        dots.append(
            Dot(
                x(p.measured_on),
                y(p.value),
                p.value,
                p.timepoint,
                p.measured_on,
                important,
                acceptable,
                p.staff_entered,
            )
        )
    base = series.baseline
    baseline_y = y(base.value) if base and base.value is not None else None
    band = None
    if base is not None and base.value is not None and series.change is not None:
        change = series.change
        step = change.value * (abs(base.value) if change.relative else 1)
        if change.normalised:
            step = step / 100 * series.high
        target = base.value + step if series.higher_is_better else base.value - step
        target = min(max(target, series.low), series.high)
        top, bottom = sorted((y(base.value), y(target)))
        band = (top, round(bottom - top, 1))
    pass_y = None
    if series.acceptable is not None:
        limit = series.acceptable.value
        if series.acceptable.normalised:
            limit = limit / 100 * series.high
        pass_y = y(limit)
    quarter = (series.high - series.low) / 4
    y_ticks = [Tick(y(series.low + quarter * i), f"{series.low + quarter * i:g}") for i in range(5)]
    seen: set[str] = set()
    x_ticks = []
    for dot in dots:
        label = dot.label or dot.measured_on.isoformat()
        if label not in seen:
            seen.add(label)
            x_ticks.append(Tick(dot.x, label))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        line=" ".join(f"{d.x},{d.y}" for d in dots),
        dots=dots,
        baseline_y=baseline_y,
        band=band,
        pass_y=pass_y,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        better_up=series.higher_is_better,
    )
