"""Lay out the overview's daily charts as SVG geometry; the template only draws what this computes.

Charts are server-rendered SVG: nothing to download, readable without JavaScript, and each carries a
text summary for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_skeleton
from flask_babel import get_locale, ngettext

WIDTH = 600
HEIGHT = 230
LEFT = 56  # room for the value axis labels
BOTTOM = 28  # room for the date labels
TOP = 12
RIGHT = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    tone: str
    points: str  # SVG polyline points
    total: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    bars: list[Bar]
    series: list[Series]
    empty: bool
    summary: str


def _nice_max(value: float) -> float:
    """Round the top of the value axis up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10.0 * power


def _short(value: float) -> str:
    """Label an axis value without decimals unless it has some (0.5 stays 0.5)."""
    return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"


def _day_label(day: date) -> str:
    """Name a day on the axis as the admin's language does ("Dec 4", "4. Dez.")."""
    return format_skeleton("MMMd", day, locale=get_locale() or "en_US")


def _axes(
    days: Sequence[date], top: float, fmt: Callable[[float], str] = _short
) -> tuple[list[Tick], list[Tick]]:
    plot_height = HEIGHT - TOP - BOTTOM
    y_ticks = [Tick(TOP + plot_height * (1 - share), fmt(top * share)) for share in (0, 0.5, 1)]
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    every = max(len(days) // 5, 1)
    x_ticks = [
        Tick(LEFT + slot * (n + 0.5), _day_label(day))
        for n, day in enumerate(days)
        if n % every == 0 or n == len(days) - 1
    ]
    if len(x_ticks) > 1 and x_ticks[-1].position - x_ticks[-2].position < slot * every * 0.6:
        x_ticks.pop(-2)  # keep the last day's label without crowding the one before it
    return y_ticks, x_ticks


def bar_chart(days: Sequence[date], values: Sequence[Decimal], money: Callable[[Decimal], str]) -> Chart:
    """Lay out one bar per day, e.g. the revenue the flows earned, each labelled by ``money``."""
    top = _nice_max(float(max(values, default=0)))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bars = []
    for n, (day, value) in enumerate(zip(days, values, strict=True)):
        height = plot_height * float(value) / top
        bars.append(
            Bar(
                x=LEFT + slot * n + slot * 0.15,
                y=TOP + plot_height - height,
                width=slot * 0.7,
                height=height,
                label=f"{_day_label(day)}: {money(value)}",
            )
        )
    y_ticks, x_ticks = _axes(days, top)
    total = sum(values, Decimal(0))
    return Chart(
        WIDTH,
        HEIGHT,
        TOP + plot_height,
        y_ticks,
        x_ticks,
        bars,
        [],
        empty=total == 0,
        summary=ngettext(
            "%(money)s over %(num)d day", "%(money)s over %(num)d days", len(days), money=money(total)
        ),
    )


def line_chart(days: Sequence[date], series: Sequence[tuple[str, str, Sequence[int]]]) -> Chart:
    """Lay out one line per series (name, tone, one count per day), e.g. messages sent and clicked."""
    top = _nice_max(max((max(values, default=0) for _, _, values in series), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    lines = []
    for name, tone, values in series:
        points = " ".join(
            f"{LEFT + slot * (n + 0.5):.1f},{TOP + plot_height * (1 - value / top):.1f}"
            for n, value in enumerate(values)
        )
        lines.append(Series(name, tone, points, sum(values)))
    y_ticks, x_ticks = _axes(days, top)
    return Chart(
        WIDTH,
        HEIGHT,
        TOP + plot_height,
        y_ticks,
        x_ticks,
        [],
        lines,
        empty=all(line.total == 0 for line in lines),
        summary=ngettext(
            "%(totals)s over %(num)d day",
            "%(totals)s over %(num)d days",
            len(days),
            totals=", ".join(f"{line.total:,} {line.name.lower()}" for line in lines),
        ),
    )
